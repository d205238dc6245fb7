import Foundation
import MithaiEngine

/// Reads tick files recorded from ICICI Direct's Breeze API (`breeze_connect` websocket ticks
/// written row by row to CSV), e.g. NSE stock futures:
///
///     Symbol,exchange_timestamp,last_price,volume_traded,last_traded_quantity,open_interest,
///     change_in_oi,bid_price_1..5,bid_qty_1..5,ask_price_1..5,ask_qty_1..5,total_buy_qty,total_sell_qty
///
/// What the columns mean and how the recorder's quirks are handled (docs/DATA.md, "Breeze"):
/// - `Symbol` is ICICI's stock code (`RELIND` is Reliance); a file holds several symbols and one
///   is kept (`symbol=`, which also accepts the NSE name of a known code). Without it a file with
///   several symbols is an error listing them with their row counts.
/// - `exchange_timestamp` is IST wall-clock time without a zone: read in `tz` (default
///   Asia/Kolkata) and converted to UTC. There is no receive time (`localTime = exchTime`).
/// - Top of book: the recorder writes the best bid in `bid_price_1/bid_qty_1` and the best ask in
///   `bid_price_2/bid_qty_2`, leaving every `ask_*` column zero. When any row has a non-zero
///   `ask_price_1`, the file is taken to follow its header instead (bid 1 and ask 1).
/// - Rows that cannot be read (wrong column count, bad number or time; the sample has a line
///   holding just `5`) are skipped; each is reported as `file:line` in a warning note.
/// - Rows arrive out of exchange-time order (the recorder interleaves or restarts) and repeat:
///   each symbol's rows are stably sorted by exchange time (ties keep file order) and exact
///   duplicates (same time and same bytes) are dropped; both are counted in the notes.
/// - `volume_traded` is the day's cumulative volume: a row whose volume exceeds the highest seen
///   so far gives one trade print of the increase at `last_price` (several exchange trades
///   between two ticks become one print; `last_traded_quantity` is only the last of them). The
///   first row sets the starting level. A volume below the high-water mark (a stale tick) emits
///   no trade and is reported. The aggressor is inferred: against the quote in force before the
///   tick (at or above the ask: buy; at or below the bid: sell; inside: the side of the mid),
///   by the tick rule at the mid or without a quote, unknown when neither decides.
/// - Each row gives `trade` (if any), then `clear` + a `snapshot` row per quoted side, so L2
///   books, `book`, top-of-book queries and backtests see a one-level book.
/// - Tick: the GCD of all prices of the kept symbol (unless `tick=`); lot: the NSE preset's lot
///   for a known code (`RELIND` → `nse:RELIANCE-FUT`) when every quantity is a multiple of it,
///   else the GCD of the quantities (unless `lot=`). `open_interest`, `change_in_oi` and the
///   `total_*_qty` columns are not represented in events.
struct BreezeReader {
    let file: InputFile
    let options: ReadOptions
    let control: LoadControl

    /// ICICI Direct stock codes whose NSE symbol differs (or is known to be the same).
    static let nseSymbols: [String: String] = [
        "RELIND": "RELIANCE", "INFTEC": "INFY", "HDFBAN": "HDFCBANK", "ICIBAN": "ICICIBANK", "CNXBAN": "BANKNIFTY",
        "NIFTY": "NIFTY", "TCS": "TCS", "TRENT": "TRENT", "MCX": "MCX",
    ]

    /// The futures preset (`nse:RELIANCE-FUT`) for a Breeze futures symbol, when the catalog has one.
    static func presetKey(forSymbol symbol: String) -> String? {
        let nse = nseSymbols[symbol.uppercased()] ?? symbol.uppercased()
        return InstrumentPresets.named("nse:\(nse)-FUT")?.key
    }

    /// Two ticks further apart than this mean the recorder was away: the volume traded meanwhile
    /// is not one print at the next tick's price (it would fill every backtest order at that
    /// price), so it is reported instead of emitted.
    static let gapLimit: Nanos = 60 * Time.second

    static let required = ["symbol", "exchange_timestamp", "last_price", "volume_traded", "bid_price_1", "bid_qty_1",
                           "bid_price_2", "bid_qty_2"]

    /// True for a Breeze tick header (lower-cased, trimmed fields).
    static func matches(header: [String]) -> Bool {
        required.allSatisfy(header.contains) && header.contains("last_traded_quantity") && header.contains("open_interest")
    }

    /// One readable row of the kept symbol (or of any symbol before one is chosen).
    struct Row {
        var line: Int
        var time: Nanos
        var last: ExactDecimal
        var volume: ExactDecimal
        var lastQuantity: ExactDecimal
        var bid: (ExactDecimal, ExactDecimal)
        var bid2: (ExactDecimal, ExactDecimal)
        var ask1: (ExactDecimal, ExactDecimal)
        /// FNV-1a of the whole line: with equal times, equal hashes mean an exact duplicate.
        var hash: UInt64
    }

    /// What the reader found and did; also rendered into the dataset's notes.
    struct Stats {
        var rowsRead = 0
        var rowsBySymbol: [(String, Int)] = []
        var symbol = ""
        var malformed: [(line: Int, message: String)] = []
        var outOfOrder = 0
        var duplicatesDropped = 0
        var sameTimeDifferent = 0
        var kept = 0
        var headerLayout = false
        var trades = 0
        var tradedQuantity: Int64 = 0
        var firstVolume: Int64 = 0
        var lastVolume: Int64 = 0
        var decreases: [(line: Int, from: Int64, to: Int64)] = []
        /// Recording gaps (more than `gapLimit` between two ticks) whose volume increase was not
        /// emitted as a print: the line after the gap, its start and end, the volume in lots.
        var gaps: [(line: Int, from: Nanos, to: Nanos, volume: Int64)] = []
        var gapVolume: Int64 { gaps.reduce(0) { $0 + $1.volume } }
        var byQuote = 0
        var byTick = 0
        var unknownSide = 0
        var crossed = 0
        var locked = 0
        var oneSided = 0
        var presetKey: String?
    }

    func read() throws -> DatasetBuilder { try readWithStats().0 }

    func readWithStats() throws -> (DatasetBuilder, Stats) {
        let (stream, name) = try openText(file)
        let shortName = name.split(separator: "/").last.map(String.init) ?? name
        let lines = LineReader(stream, name: name)
        guard let headerLine = try lines.next() else { throw DataError(file: name, "empty file") }
        let header = headerLine.string.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " \"\u{FEFF}").lowercased() }
        guard Self.matches(header: header) else {
            let missing = (Self.required + ["last_traded_quantity", "open_interest"]).filter { !header.contains($0) }
            throw lines.error("not a Breeze tick header: missing \(missing.joined(separator: ", "))")
        }
        func col(_ n: String) -> Int { header.firstIndex(of: n)! }
        let cSymbol = col("symbol"), cTime = col("exchange_timestamp"), cLast = col("last_price"), cVolume = col("volume_traded")
        let cLTQ = col("last_traded_quantity"), cBP1 = col("bid_price_1"), cBQ1 = col("bid_qty_1")
        let cBP2 = col("bid_price_2"), cBQ2 = col("bid_qty_2")
        let cAP1 = header.firstIndex(of: "ask_price_1"), cAQ1 = header.firstIndex(of: "ask_qty_1")
        let zone = options.timeZone ?? "Asia/Kolkata"
        let parser = TimeParser(clock: try CivilTime(zone: zone, file: name))

        var stats = Stats()
        var fields = FieldSplitter()
        var order: [String] = []
        var rows: [String: [Row]] = [:]
        var counts: [String: Int] = [:]
        let wanted = options.symbol.map { w -> String in
            let u = w.uppercased()
            // Accept the NSE name of a known code (symbol=RELIANCE for RELIND).
            if let code = Self.nseSymbols.first(where: { $0.value == u && $0.key != u })?.key { return code + "|" + u }
            return u
        }
        func isWanted(_ s: String) -> Bool {
            guard let wanted else { return true }
            return wanted.split(separator: "|").contains { $0 == s.uppercased() }
        }
        let zero = ExactDecimal(mantissa: 0, scale: 0)
        func number(_ k: Int, _ what: String) throws -> ExactDecimal {
            let b = fields[k].trimmed().unquoted()
            guard let d = ExactDecimal.parse(b), d.mantissa >= 0 else { throw lines.error("\(what) '\(b.string)' is not a non-negative number") }
            return d
        }
        while let line = try lines.next() {
            if line.trimmed().isEmpty { continue }
            fields.split(line)
            do {
                guard fields.count == header.count else {
                    let text = line.count > 40 ? String(line.string.prefix(40)) + "…" : line.string
                    throw lines.error("expected \(header.count) columns, found \(fields.count) ('\(text)')")
                }
                stats.rowsRead += 1
                let symbol = fields[cSymbol].trimmed().unquoted().string
                guard !symbol.isEmpty else { throw lines.error("empty Symbol") }
                if counts[symbol] == nil { order.append(symbol) }
                counts[symbol, default: 0] += 1
                guard isWanted(symbol) else { continue }
                guard let time = parser.dateTime(fields[cTime]) else {
                    throw lines.error("cannot read the exchange_timestamp '\(fields[cTime].string)'")
                }
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                for byte in line { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
                let row = Row(line: lines.lineNumber, time: time, last: try number(cLast, "last_price"),
                              volume: try number(cVolume, "volume_traded"), lastQuantity: try number(cLTQ, "last_traded_quantity"),
                              bid: (try number(cBP1, "bid_price_1"), try number(cBQ1, "bid_qty_1")),
                              bid2: (try number(cBP2, "bid_price_2"), try number(cBQ2, "bid_qty_2")),
                              ask1: (try cAP1.map { try number($0, "ask_price_1") } ?? zero, try cAQ1.map { try number($0, "ask_qty_1") } ?? zero),
                              hash: hash)
                rows[symbol, default: []].append(row)
            } catch let error as DataError where error.line == lines.lineNumber {
                stats.malformed.append((error.line, error.message))
            }
        }
        stats.rowsBySymbol = order.map { ($0, counts[$0]!) }
        func listing(_ list: [(String, Int)]) -> String {
            list.map { "\($0.0) \(Self.grouped(Int64($0.1)))" }.joined(separator: ", ")
        }
        let symbol: String
        if wanted != nil {
            guard let s = order.first(where: isWanted) else {
                throw DataError(file: name, "no rows for symbol \(options.symbol ?? ""); the file has: \(order.isEmpty ? "no rows" : listing(stats.rowsBySymbol))")
            }
            symbol = s
        } else if order.count == 1 {
            symbol = order[0]
        } else if order.isEmpty {
            throw DataError(file: name, "no readable tick rows")
        } else {
            throw DataError(file: name, "\(order.count) symbols in one file (\(listing(stats.rowsBySymbol))): choose one with symbol=, e.g. load FILE symbol=\(order[0])")
        }
        stats.symbol = symbol
        let raw = rows[symbol] ?? []

        // Exchange-time order: count rows earlier than the row before (file order), then sort
        // stably (ties keep file order: the line number breaks them).
        for i in raw.indices.dropFirst() where raw[i].time < raw[i - 1].time { stats.outOfOrder += 1 }
        let sorted = raw.sorted { ($0.time, $0.line) < ($1.time, $1.line) }
        var kept: [Row] = []
        kept.reserveCapacity(sorted.count)
        var groupStart = 0
        for row in sorted {
            if kept.last?.time != row.time {
                groupStart = kept.count
                kept.append(row)
                continue
            }
            if kept[groupStart...].contains(where: { $0.hash == row.hash && Self.sameFields($0, row) }) {
                stats.duplicatesDropped += 1
                continue
            }
            stats.sameTimeDifferent += 1
            kept.append(row)
        }
        stats.kept = kept.count
        guard !kept.isEmpty else { throw DataError(file: name, "no readable rows for \(symbol)") }
        stats.headerLayout = kept.contains { $0.ask1.0.mantissa > 0 }
        func quote(_ r: Row) -> (bid: (ExactDecimal, ExactDecimal), ask: (ExactDecimal, ExactDecimal)) {
            (r.bid, stats.headerLayout ? r.ask1 : r.bid2)
        }

        // Tick and lot.
        let presetKey = Self.presetKey(forSymbol: symbol)
        stats.presetKey = presetKey
        let preset = presetKey.flatMap(InstrumentPresets.named)
        var prices: [ExactDecimal] = []
        var sizes: [ExactDecimal] = []
        for r in kept {
            let q = quote(r)
            prices += [r.last, q.bid.0, q.ask.0]
            sizes += [r.volume, r.lastQuantity, q.bid.1, q.ask.1]
        }
        var notes: [String] = []
        let tick: ExactDecimal
        if let t = options.tick {
            tick = t
        } else {
            guard let g = Self.gcd(prices) else { throw DataError(file: name, "\(symbol): every price is zero: pass tick") }
            tick = g
            var note = "tick \(g) = GCD of \(symbol)'s prices"
            if let p = preset, p.instrument.tickSize != g { note += " (preset \(p.key) says \(p.instrument.tickSize); pass tick= to use it)" }
            notes.append(note)
        }
        let lot: ExactDecimal
        if let l = options.lot {
            lot = l
        } else if let p = preset, sizes.allSatisfy({ $0.multiple(of: p.instrument.lotSize) != nil }) {
            lot = p.instrument.lotSize
            notes.append("lot \(lot) from preset \(p.key) (every quantity is a multiple of it)")
        } else {
            lot = Self.gcd(sizes) ?? ExactDecimal(mantissa: 1, scale: 0)
            notes.append("lot \(lot) = GCD of \(symbol)'s quantities")
        }
        let instrument = Instrument(symbol: symbol, venue: "NSE", tickSize: tick, lotSize: lot,
                                    currency: preset?.instrument.currency ?? "INR", timeZone: zone)
        try instrument.validate()
        let builder = DatasetBuilder(name: file.path, instrument: instrument, control: control)
        let priceScaler = StepScaler(tick), lotScaler = StepScaler(lot)
        func ticks(_ d: ExactDecimal, _ what: String, _ line: Int) throws -> Int32 {
            guard let u = priceScaler.units(d) else {
                throw DataError(file: name, line: line, "\(what) \(d) is not a whole multiple of the tick \(tick)")
            }
            return try builder.price(u, line: line)
        }
        func lots(_ d: ExactDecimal, _ what: String, _ line: Int) throws -> Int64 {
            guard let u = lotScaler.units(d) else {
                throw DataError(file: name, line: line, "\(what) \(d) is not a whole multiple of the lot \(lot)")
            }
            return u
        }

        // Events.
        var highWater: Int64?
        var previousQuote: (bid: Int32, ask: Int32)?
        var lastTrade: (price: Int32, side: Side)?
        var previousTime = kept[0].time
        stats.firstVolume = try lots(kept[0].volume, "volume_traded", kept[0].line)
        for r in kept {
            let volume = try lots(r.volume, "volume_traded", r.line)
            defer { previousTime = r.time }
            if let hw = highWater, volume > hw, r.time - previousTime > Self.gapLimit {
                stats.gaps.append((r.line, previousTime, r.time, volume - hw))
                highWater = volume
            }
            let q = quote(r)
            let bidPrice = q.bid.0.mantissa > 0 ? try ticks(q.bid.0, "bid price", r.line) : nil
            let askPrice = q.ask.0.mantissa > 0 ? try ticks(q.ask.0, "ask price", r.line) : nil
            if let hw = highWater {
                if volume > hw {
                    let quantity = try builder.quantity(volume - hw, line: r.line)
                    let price = try ticks(r.last, "last_price", r.line)
                    var side = Side.none
                    if let pq = previousQuote {
                        if price >= pq.ask { side = .buy } else if price <= pq.bid { side = .sell }
                        else if 2 * Int64(price) > Int64(pq.bid) + Int64(pq.ask) { side = .buy }
                        else if 2 * Int64(price) < Int64(pq.bid) + Int64(pq.ask) { side = .sell }
                    }
                    if side != .none {
                        stats.byQuote += 1
                    } else if let lt = lastTrade {
                        side = price > lt.price ? .buy : (price < lt.price ? .sell : lt.side)
                        if side != .none { stats.byTick += 1 }
                    }
                    if side == .none { stats.unknownSide += 1 }
                    try builder.append(Event(kind: .trade, side: side, price: price, quantity: quantity, exchTime: r.time, localTime: r.time))
                    stats.trades += 1
                    stats.tradedQuantity += volume - hw
                    lastTrade = (price, side)
                    highWater = volume
                } else if volume < hw {
                    stats.decreases.append((r.line, hw, volume))
                }
            } else {
                highWater = volume
            }
            try builder.append(Event(kind: .clear, side: .none, price: 0, quantity: 0, exchTime: r.time, localTime: r.time,
                                     flags: .snapshotBegin))
            var quoteEvents: [Event] = []
            if let bidPrice {
                quoteEvents.append(Event(kind: .snapshot, side: .buy, price: bidPrice,
                                         quantity: try builder.quantity(try lots(q.bid.1, "bid quantity", r.line), line: r.line),
                                         exchTime: r.time, localTime: r.time))
            }
            if let askPrice {
                quoteEvents.append(Event(kind: .snapshot, side: .sell, price: askPrice,
                                         quantity: try builder.quantity(try lots(q.ask.1, "ask quantity", r.line), line: r.line),
                                         exchTime: r.time, localTime: r.time))
            }
            if let b = bidPrice, let a = askPrice {
                if b > a { stats.crossed += 1 } else if b == a { stats.locked += 1 }
                previousQuote = (b, a)
            } else {
                stats.oneSided += 1
                previousQuote = nil
            }
            if quoteEvents.isEmpty {
                quoteEvents.append(Event(kind: .clear, side: .none, price: 0, quantity: 0, exchTime: r.time, localTime: r.time))
            }
            quoteEvents[quoteEvents.count - 1].flags.insert([.snapshotEnd, .endOfMessage])
            for e in quoteEvents { try builder.append(e) }
        }
        stats.lastVolume = try lots(kept[kept.count - 1].volume, "volume_traded", kept[kept.count - 1].line)

        // Notes: warnings first, then what was done.
        var head: [String] = []
        if !stats.malformed.isEmpty {
            let shown = stats.malformed.prefix(5).map { "\(shortName):\($0.line): \($0.message)" }.joined(separator: "; ")
            head.append("warning: \(stats.malformed.count) unreadable row(s) skipped: \(shown)\(stats.malformed.count > 5 ? "; …" : "")")
        }
        if !stats.decreases.isEmpty {
            let shown = stats.decreases.prefix(3).map { "\(shortName):\($0.line): \(Self.grouped($0.from * lot.mantissa)) → \(Self.grouped($0.to * lot.mantissa))" }
            head.append("warning: cumulative volume fell \(stats.decreases.count) time(s) (\(shown.joined(separator: "; "))\(stats.decreases.count > 3 ? "; …" : "")): no trade emitted until it passes its high-water mark")
        }
        if !stats.gaps.isEmpty {
            let shown = stats.gaps.prefix(3).map {
                "\(shortName):\($0.line): \(Self.timeOfDay($0.from, zone: zone)) → \(Self.timeOfDay($0.to, zone: zone)), \(Self.grouped($0.volume * lot.mantissa))"
            }
            head.append("warning: \(stats.gaps.count) recording gap(s) over \(Self.gapLimit / Time.second) s (\(shown.joined(separator: "; "))\(stats.gaps.count > 3 ? "; …" : "")): the volume traded meanwhile is not emitted as a print")
        }
        if stats.crossed > 0 || stats.locked > 0 {
            head.append("warning: \(stats.crossed) crossed and \(stats.locked) locked quote(s) (bid ≥ ask)")
        }
        var body: [String] = []
        let others = stats.rowsBySymbol.filter { $0.0 != symbol }
        body.append("kept \(symbol): \(Self.grouped(Int64(raw.count))) of \(Self.grouped(Int64(stats.rowsRead))) rows"
                    + (others.isEmpty ? "" : " (others: \(listing(others)))"))
        if stats.outOfOrder > 0 { body.append("\(stats.outOfOrder) row(s) went back in exchange time: sorted by exchange time (stable)") }
        if stats.duplicatesDropped > 0 { body.append("\(stats.duplicatesDropped) exact duplicate row(s) dropped; \(Self.grouped(Int64(stats.kept))) ticks kept") }
        if stats.sameTimeDifferent > 0 { body.append("\(stats.sameTimeDifferent) tick(s) share an exchange time with a different tick (kept in file order)") }
        body.append(stats.headerLayout ? "quote: bid_price_1/bid_qty_1 and ask_price_1/ask_qty_1 (as the header says)"
                                       : "quote: best bid in bid_price_1/bid_qty_1, best ask in bid_price_2/bid_qty_2 (the recorder leaves ask_* zero)")
        let unit = lot.mantissa
        body.append("trades from the increase of volume_traded: \(Self.grouped(Int64(stats.trades))) prints, \(Self.grouped(stats.tradedQuantity * unit)) traded"
                    + " (cumulative \(Self.grouped(stats.firstVolume * unit)) → \(Self.grouped(stats.lastVolume * unit))); aggressor by quote \(stats.byQuote), by tick rule \(stats.byTick), unknown \(stats.unknownSide)"
                    + (stats.gaps.isEmpty ? "" : "; \(Self.grouped(stats.gapVolume * unit)) in recording gaps"))
        if stats.oneSided > 0 { body.append("\(stats.oneSided) tick(s) with an empty side") }
        body += notes
        body.append("times: \(zone) wall clock → UTC")
        if let presetKey { body.append("preset \(presetKey)") }
        builder.notes = head + body
        return (builder, stats)
    }

    /// Equal parsed fields (with equal line hashes this is an exact duplicate).
    static func sameFields(_ a: Row, _ b: Row) -> Bool {
        a.time == b.time && a.last == b.last && a.volume == b.volume && a.lastQuantity == b.lastQuantity
            && a.bid == b.bid && a.bid2 == b.bid2 && a.ask1 == b.ask1
    }

    /// The greatest common divisor of non-zero decimals, as a normalised decimal (nil when all zero).
    static func gcd(_ values: [ExactDecimal]) -> ExactDecimal? {
        let scale = values.map { $0.normalized().scale }.max() ?? 0
        var g: Int64 = 0
        for v in values where v.mantissa != 0 {
            guard let m = v.rescaled(to: scale)?.mantissa else { continue }
            var a = g, b = abs(m)
            while b != 0 { (a, b) = (b, a % b) }
            g = a
        }
        return g == 0 ? nil : ExactDecimal(mantissa: g, scale: scale).normalized()
    }

    /// `12:24:58.965975` in `zone` (for notes).
    static func timeOfDay(_ t: Nanos, zone: String) -> String {
        let seconds = TimeZone(identifier: zone)?.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t / Time.second))) ?? 0
        let offset = Int64(seconds) * Time.second
        let local = t + offset
        let day = ((local % Time.day) + Time.day) % Time.day
        let us = (day % Time.second) / Time.microsecond
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let frac = String(us)
        return "\(two(day / Time.hour)):\(two(day / Time.minute % 60)):\(two(day / Time.second % 60)).\(String(repeating: "0", count: 6 - frac.count))\(frac)"
    }

    static func grouped(_ n: Int64) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}

extension Dataset {
    /// The instrument preset whose contract terms and fee table apply to this data, when the
    /// reader knows one (Breeze: `RELIND` → `nse:RELIANCE-FUT`); `load` attaches its costs.
    public var presetKey: String? {
        format == .breeze ? BreezeReader.presetKey(forSymbol: instrument.symbol) : nil
    }
}
