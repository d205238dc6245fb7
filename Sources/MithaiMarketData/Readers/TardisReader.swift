import MithaiEngine

/// Reads Tardis.dev CSV downloads (plain or gzip), chosen by the header:
/// - `incremental_book_L2`: `exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount`;
///   a run of `is_snapshot=true` rows starts with a whole-book `clear` (Tardis: a snapshot after
///   updates means the book was reset), `amount` 0 deletes a level;
/// - `trades`: `exchange,symbol,timestamp,local_timestamp,id,side,price,amount` (`side` is the
///   aggressor: buy, sell or unknown);
/// - `quotes`: `…,ask_amount,ask_price,bid_price,bid_amount` → a `bbo` pair (empty side skipped);
/// - `book_snapshot_N`: `…,asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,…` → each
///   row replaces the book (`clear` + snapshot rows).
/// Timestamps are microseconds since the epoch (UTC). Rows sharing both timestamps form one
/// message (`.endOfMessage` on the last). Only one symbol is kept: `symbol` if given, else the
/// first one seen.
struct TardisReader {
    enum Kind { case incremental, trades, quotes, snapshots(Int) }

    let file: InputFile
    let options: ReadOptions
    let control: LoadControl

    static func kind(ofHeader h: [String]) -> Kind? {
        guard h.count >= 4, h[0] == "exchange", h[1] == "symbol", h[2] == "timestamp", h[3] == "local_timestamp" else { return nil }
        let rest = Array(h[4...])
        if rest == ["is_snapshot", "side", "price", "amount"] { return .incremental }
        if rest == ["id", "side", "price", "amount"] { return .trades }
        if rest == ["ask_amount", "ask_price", "bid_price", "bid_amount"] { return .quotes }
        if rest.count >= 4, rest.count % 4 == 0 {
            for level in 0..<(rest.count / 4) {
                let expected = ["asks[\(level)].price", "asks[\(level)].amount", "bids[\(level)].price", "bids[\(level)].amount"]
                if Array(rest[(4 * level)..<(4 * level + 4)]) != expected { return nil }
            }
            return .snapshots(rest.count / 4)
        }
        return nil
    }

    func read() throws -> DatasetBuilder {
        let (stream, name) = try openText(file)
        let lines = LineReader(stream, name: name)
        guard let headerLine = try lines.next() else { throw DataError(file: name, "empty file") }
        let header = headerLine.string.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " \u{FEFF}") }
        guard let kind = Self.kind(ofHeader: header) else {
            throw lines.error("not a Tardis CSV header (incremental_book_L2, trades, quotes or book_snapshot_N): \(header.prefix(8).joined(separator: ","))")
        }
        // Infer symbol, venue, tick and lot from the first rows.
        var prices = StepInference()
        var sizes = StepInference()
        var symbol = options.symbol
        var venue = ""
        var fields = FieldSplitter()
        let priceColumns: [Int]
        let sizeColumns: [Int]
        switch kind {
        case .incremental, .trades: (priceColumns, sizeColumns) = ([6], [7])
        case .quotes: (priceColumns, sizeColumns) = ([5, 6], [4, 7])
        case .snapshots(let n): (priceColumns, sizeColumns) = ((0..<(2 * n)).map { 4 + 2 * $0 }, (0..<(2 * n)).map { 5 + 2 * $0 })
        }
        do {
            let (s2, n2) = try openText(file)
            let scan = LineReader(s2, name: n2)
            _ = try scan.next()
            while scan.lineNumber < 50_000, let line = try scan.next() {
                fields.split(line)
                guard fields.count == header.count else { continue }
                if symbol == nil { symbol = fields[1].string }
                if venue.isEmpty { venue = fields[0].string }
                guard fields[1].string == symbol else { continue }
                for c in priceColumns { if let d = ExactDecimal.parse(fields[c]) { prices.observe(d) } }
                for c in sizeColumns { if let d = ExactDecimal.parse(fields[c]) { sizes.observe(d) } }
            }
        }
        guard let tick = options.tick ?? prices.step else { throw DataError(file: name, "no prices to infer the tick size from: pass tick") }
        let lot = options.lot ?? sizes.step ?? .one
        let inferred = options.tick == nil || options.lot == nil
        let instrument = Instrument(symbol: symbol ?? "", venue: venue, tickSize: tick, lotSize: lot,
                                    timeZone: options.timeZone ?? "UTC")
        try instrument.validate()
        let builder = DatasetBuilder(name: file.path, instrument: instrument, control: control)
        builder.fraction = { fraction(lines.progress) }
        let priceScaler = StepScaler(tick)
        let lotScaler = StepScaler(lot)
        let wanted = Array((symbol ?? "").utf8)
        var pending: Event?
        var pendingKey = (Nanos.min, Nanos.min)
        var inSnapshot = false
        var otherSymbols = 0

        /// Appends the held event, marking it as the end of a message when the next row
        /// belongs to another message.
        func flush(nextKey: (Nanos, Nanos)?, snapshotEnds: Bool) throws {
            guard var p = pending else { return }
            if nextKey == nil || nextKey! != pendingKey { p.flags.insert(.endOfMessage) }
            if snapshotEnds { p.flags.insert(.snapshotEnd) }
            try builder.append(p)
            pending = nil
        }
        func push(_ e: Event, key: (Nanos, Nanos)) throws {
            try flush(nextKey: key, snapshotEnds: false)
            pending = e
            pendingKey = key
        }
        func price(_ b: Bytes, _ what: String) throws -> Int32 {
            try builder.price(units(decimal(b, what, lines), priceScaler, what, inferred: inferred, lines), line: lines.lineNumber)
        }
        func size(_ b: Bytes, _ what: String) throws -> Int32 {
            try builder.quantity(units(decimal(b, what, lines), lotScaler, what, inferred: inferred, lines), line: lines.lineNumber)
        }

        while let line = try lines.next() {
            if line.isEmpty { continue }
            fields.split(line)
            guard fields.count == header.count else { throw lines.error("expected \(header.count) columns, found \(fields.count)") }
            if !fields[1].elementsEqual(wanted) { otherSymbols += 1; continue }
            guard let exchMicros = parseInt64(fields[2]), let localMicros = parseInt64(fields[3]) else {
                throw lines.error("timestamp and local_timestamp must be integer microseconds")
            }
            let exch = exchMicros * Time.microsecond
            let local = localMicros * Time.microsecond
            let key = (exch, local)
            switch kind {
            case .incremental:
                let snap = fields[4].equals("true")
                guard snap || fields[4].equals("false") else { throw lines.error("is_snapshot must be true or false") }
                let side = try bookSide(fields[5], lines)
                if snap && !inSnapshot {
                    try flush(nextKey: nil, snapshotEnds: false)
                    try push(Event(kind: .clear, side: .none, price: 0, quantity: 0, exchTime: exch, localTime: local, flags: .snapshotBegin), key: key)
                } else if !snap && inSnapshot {
                    try flush(nextKey: nil, snapshotEnds: true)
                }
                inSnapshot = snap
                try push(Event(kind: snap ? .snapshot : .depth, side: side, price: try price(fields[6], "price"),
                               quantity: try size(fields[7], "amount"), exchTime: exch, localTime: local), key: key)
            case .trades:
                let s = fields[5]
                let side: Side = s.equals("buy") ? .buy : (s.equals("sell") ? .sell : .none)
                guard side != .none || s.equals("unknown") || s.isEmpty else { throw lines.error("side must be buy, sell or unknown") }
                try push(Event(kind: .trade, side: side, price: try price(fields[6], "price"), quantity: try size(fields[7], "amount"),
                               exchTime: exch, localTime: local), key: key)
            case .quotes:
                if !fields[6].isEmpty && !fields[7].isEmpty {
                    try push(Event(kind: .bbo, side: .buy, price: try price(fields[6], "bid_price"), quantity: try size(fields[7], "bid_amount"),
                                   exchTime: exch, localTime: local), key: key)
                }
                if !fields[5].isEmpty && !fields[4].isEmpty {
                    try push(Event(kind: .bbo, side: .sell, price: try price(fields[5], "ask_price"), quantity: try size(fields[4], "ask_amount"),
                                   exchTime: exch, localTime: local), key: key)
                }
                try flush(nextKey: nil, snapshotEnds: false)
            case .snapshots(let n):
                try push(Event(kind: .clear, side: .none, price: 0, quantity: 0, exchTime: exch, localTime: local, flags: .snapshotBegin), key: key)
                for level in 0..<n {
                    for (side, offset) in [(Side.sell, 0), (Side.buy, 2)] {
                        let p = fields[4 + 4 * level + offset]
                        let q = fields[5 + 4 * level + offset]
                        if p.isEmpty || q.isEmpty { continue }
                        try push(Event(kind: .snapshot, side: side, price: try price(p, "price"), quantity: try size(q, "amount"),
                                       exchTime: exch, localTime: local), key: key)
                    }
                }
                try flush(nextKey: nil, snapshotEnds: true)
            }
        }
        try flush(nextKey: nil, snapshotEnds: inSnapshot)
        if otherSymbols > 0 { builder.notes.append("\(otherSymbols) row(s) for other symbols skipped (kept \(symbol ?? ""))") }
        return builder
    }

    private func bookSide(_ b: Bytes, _ lines: LineReader) throws -> Side {
        if b.equals("bid") { return .buy }
        if b.equals("ask") { return .sell }
        throw lines.error("side must be bid or ask, not '\(b.string)'")
    }
}
