import MithaiEngine

/// Reads trade ticks from a CSV whose header names the columns (case-insensitive):
///
/// | meaning | accepted names | required |
/// |---|---|---|
/// | time | `time`, `timestamp`, `datetime`, `exch_ts`, `exchange_timestamp`, `ts` (or `date` + `time`) | yes |
/// | receive time | `local_time`, `local_timestamp`, `local_ts` | no (= time) |
/// | price | `price`, `px`, `last`, `last_price`, `trade_price` | yes |
/// | size | `qty`, `quantity`, `size`, `amount`, `volume`, `last_traded_quantity`, `trade_size` | yes |
/// | aggressor | `side`, `aggressor`, `aggressor_side` (buy/sell/b/s/1/-1; else unknown) | no |
/// | symbol | `symbol`, `instrument`, `ticker` (keeps one symbol) | no |
/// | quote | `bid_price`/`bid`/`bid_price_1`, `bid_qty`/`bid_size`/`bid_qty_1`, and the `ask_` ones | no |
///
/// Times are epoch numbers (10 digits s, 13 ms, 16 µs, 19 ns; or decimal seconds) or date-times
/// (`2025-11-17 12:07:57.022308`, ISO 8601 with `T`, optional `Z`/offset) read in the given time
/// zone (default UTC). Each row is a `trade`; rows with quote columns also give a `bbo` pair
/// when both prices are positive.
struct TickCSVReader {
    struct Columns {
        var time: Int
        var timeOfDay: Int?
        var local: Int?
        var price: Int
        var size: Int
        var side: Int?
        var symbol: Int?
        var bidPrice: Int?
        var bidSize: Int?
        var askPrice: Int?
        var askSize: Int?
    }

    let file: InputFile
    let options: ReadOptions
    let control: LoadControl

    /// The columns of a header, or nil when it lacks a time, price or size column.
    static func columns(_ header: [String]) -> Columns? {
        let h = header.map { $0.lowercased() }
        func find(_ names: [String]) -> Int? {
            for n in names { if let i = h.firstIndex(of: n) { return i } }
            return nil
        }
        var time = find(["time", "timestamp", "datetime", "exch_ts", "exchange_timestamp", "ts"])
        var timeOfDay: Int?
        if let d = find(["date"]), let t = find(["time"]) {
            time = d
            timeOfDay = t
        }
        guard let time, let price = find(["price", "px", "last", "last_price", "trade_price"]),
              let size = find(["qty", "quantity", "size", "amount", "volume", "last_traded_quantity", "trade_size"])
        else { return nil }
        // A file with OHLC columns is bars, not ticks.
        if h.contains("open") && h.contains("high") && h.contains("low") && h.contains("close") { return nil }
        return Columns(time: time, timeOfDay: timeOfDay, local: find(["local_time", "local_timestamp", "local_ts"]), price: price,
                       size: size, side: find(["side", "aggressor", "aggressor_side"]), symbol: find(["symbol", "instrument", "ticker"]),
                       bidPrice: find(["bid_price", "bid", "bid_price_1"]), bidSize: find(["bid_qty", "bid_size", "bid_qty_1"]),
                       askPrice: find(["ask_price", "ask", "ask_price_1"]), askSize: find(["ask_qty", "ask_size", "ask_qty_1"]))
    }

    func read() throws -> DatasetBuilder {
        let (stream, name) = try openText(file)
        let lines = LineReader(stream, name: name)
        guard let headerLine = try lines.next() else { throw DataError(file: name, "empty file") }
        let header = headerLine.string.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " \"\u{FEFF}") }
        guard let c = Self.columns(header) else {
            throw lines.error("a tick CSV needs a header naming a time, a price and a size column (see docs/DATA.md); found: \(header.joined(separator: ","))")
        }
        var fields = FieldSplitter()
        var symbol = options.symbol
        var prices = StepInference()
        var sizes = StepInference()
        do {
            let (s2, n2) = try openText(file)
            let scan = LineReader(s2, name: n2)
            _ = try scan.next()
            while scan.lineNumber < 50_000, let line = try scan.next() {
                fields.split(line)
                guard fields.count == header.count else { continue }
                if let sc = c.symbol {
                    if symbol == nil { symbol = fields[sc].unquoted().string }
                    if fields[sc].unquoted().string != symbol { continue }
                }
                for k in [c.price, c.bidPrice, c.askPrice].compactMap({ $0 }) { if let d = ExactDecimal.parse(fields[k].unquoted()) { prices.observe(d) } }
                for k in [c.size, c.bidSize, c.askSize].compactMap({ $0 }) { if let d = ExactDecimal.parse(fields[k].unquoted()) { sizes.observe(d) } }
            }
        }
        guard let tick = options.tick ?? prices.step else { throw DataError(file: name, "no prices to infer the tick size from: pass tick") }
        let lot = options.lot ?? sizes.step ?? .one
        let inferred = options.tick == nil || options.lot == nil
        let instrument = Instrument(symbol: symbol ?? "", tickSize: tick, lotSize: lot, timeZone: options.timeZone ?? "UTC")
        try instrument.validate()
        let builder = DatasetBuilder(name: file.path, instrument: instrument, control: control)
        builder.fraction = { fraction(lines.progress) }
        let parser = TimeParser(clock: try CivilTime(zone: instrument.timeZone, file: name))
        let priceScaler = StepScaler(tick)
        let lotScaler = StepScaler(lot)
        let wanted = symbol.map { Array($0.utf8) }
        var skipped = 0
        var malformed = SkippedRows()
        func row(_ line: Bytes) throws {
            fields.split(line)
            guard fields.count == header.count else { throw lines.error("expected \(header.count) columns, found \(fields.count)") }
            if let sc = c.symbol, let wanted, !fields[sc].unquoted().elementsEqual(wanted) { skipped += 1; return }
            var time: Nanos?
            if let tod = c.timeOfDay {
                if let d = TimeParser.date(fields[c.time]), let t = TimeParser.timeOfDay(fields[tod]) {
                    time = parser.clock.utc(year: d.0, month: d.1, day: d.2, nanosOfDay: t)
                }
            } else {
                time = parser.any(fields[c.time])
            }
            guard let time else { throw lines.error("cannot read the time '\(fields[c.time].string)'") }
            var local = time
            if let lc = c.local {
                guard let l = parser.any(fields[lc]) else { throw lines.error("cannot read the receive time '\(fields[lc].string)'") }
                local = l
            }
            var side = Side.none
            if let sc = c.side {
                let s = fields[sc].unquoted()
                if s.equals("buy") || s.equals("b") || s.equals("B") || s.equals("BUY") || s.equals("1") { side = .buy }
                else if s.equals("sell") || s.equals("s") || s.equals("S") || s.equals("SELL") || s.equals("-1") { side = .sell }
            }
            let p = try units(decimal(fields[c.price].unquoted(), "price", lines), priceScaler, "price", inferred: inferred, lines)
            let q = try units(decimal(fields[c.size].unquoted(), "size", lines), lotScaler, "size", inferred: inferred, lines)
            let tradePrice = try builder.price(p, line: lines.lineNumber)
            let tradeQuantity = try builder.quantity(q, line: lines.lineNumber)
            if let bp = c.bidPrice, let bq = c.bidSize, let ap = c.askPrice, let aq = c.askSize,
               let bpd = ExactDecimal.parse(fields[bp].unquoted()), let apd = ExactDecimal.parse(fields[ap].unquoted()),
               bpd.mantissa > 0, apd.mantissa > 0
            {
                let bidP = try units(bpd, priceScaler, "bid price", inferred: inferred, lines)
                let askP = try units(apd, priceScaler, "ask price", inferred: inferred, lines)
                let bidQ = try units(decimal(fields[bq].unquoted(), "bid size", lines), lotScaler, "bid size", inferred: inferred, lines)
                let askQ = try units(decimal(fields[aq].unquoted(), "ask size", lines), lotScaler, "ask size", inferred: inferred, lines)
                let bid = Event(kind: .bbo, side: .buy, price: try builder.price(bidP, line: lines.lineNumber),
                                quantity: try builder.quantity(bidQ, line: lines.lineNumber), exchTime: time, localTime: local)
                let ask = Event(kind: .bbo, side: .sell, price: try builder.price(askP, line: lines.lineNumber),
                                quantity: try builder.quantity(askQ, line: lines.lineNumber), exchTime: time, localTime: local)
                try builder.append(bid)
                try builder.append(ask)
            }
            try builder.append(Event(kind: .trade, side: side, price: tradePrice, quantity: tradeQuantity, exchTime: time,
                                     localTime: local, flags: .endOfMessage))
        }
        while let line = try lines.next() {
            if line.isEmpty { continue }
            do {
                try row(line)
            } catch let error as DataError where options.skipMalformedRows && error.line == lines.lineNumber {
                malformed.record(error)
            }
        }
        if let note = malformed.note { builder.notes.append(note) }
        if skipped > 0 { builder.notes.append("\(skipped) row(s) for other symbols skipped (kept \(symbol ?? ""))") }
        return builder
    }
}
