import MithaiEngine

/// Reads a Binance raw websocket capture: one message per line, `<receive time ns> <json>`,
/// combined-stream envelopes (`{"stream":…,"data":…}`) or bare messages, spot or USD-M futures,
/// plain or gzip.
///
/// Messages used: `depthUpdate` (diff depth, `U`/`u` and on futures `pu`), the REST depth
/// snapshot (`{"lastUpdateId":…,"bids":…,"asks":…}`), `trade` and `aggTrade` (futures: only
/// `X == "MARKET"`), `bookTicker`. Others are skipped and counted in the notes.
///
/// Synchronisation (Binance's documented procedure): diffs received before the first snapshot
/// are held; at the snapshot (last update id L) the book is replaced (`clear` + snapshot rows),
/// held diffs with `u < L` (spot: `u <= L`) are dropped and the rest are applied right after
/// the snapshot, stamped with the snapshot's receive time (when a live client would have applied
/// them). The first applied diff must straddle L; then each diff must follow the previous one
/// (futures: `pu == previous u`; spot: `U == previous u + 1`). A break is flagged `.gap` on the
/// diff's first event and counted; later snapshots resynchronise the book only after a gap
/// (otherwise the book is already exact and they are skipped). A file without any snapshot
/// keeps every diff, the first flagged `.gap`.
///
/// Times: `exchTime` is the message's transaction time `T` (event time `E` when there is no
/// `T`; the receive time when there is neither), `localTime` the recorded receive time. When
/// the recorder's clock was behind the venue's (negative feed latencies), every local time is
/// shifted by the same amount so that the smallest latency is zero, as hftbacktest does.
struct BinanceReader {
    struct PendingDiff {
        var firstUpdate: Int64
        var lastUpdate: Int64
        var previousUpdate: Int64?
        var range: Range<Int>
    }

    enum Sync {
        case awaitingSnapshot
        case synced(lastUpdate: Int64)
    }

    let file: InputFile
    let options: ReadOptions
    let control: LoadControl

    func read() throws -> DatasetBuilder {
        var tick = options.tick
        var lot = options.lot
        var symbol = options.symbol
        var isFutures = false
        if tick == nil || lot == nil || symbol == nil {
            let scan = try prescan()
            tick = tick ?? scan.tick
            lot = lot ?? scan.lot
            symbol = symbol ?? scan.symbol
            isFutures = scan.isFutures
        }
        guard let tick, let lot else {
            throw DataError(file: file.path, "no prices found to infer the tick and lot sizes from: pass tick and lot")
        }
        let inferredSteps = options.tick == nil || options.lot == nil
        let instrument = Instrument(symbol: symbol ?? "", venue: isFutures ? "binance-futures" : "binance-spot",
                                    tickSize: tick, lotSize: lot, currency: Self.quoteCurrency(symbol ?? ""),
                                    timeZone: options.timeZone ?? "UTC")
        try instrument.validate()
        let builder = DatasetBuilder(name: file.path, instrument: instrument, control: control)
        var parser = Parser(priceScaler: StepScaler(tick), quantityScaler: StepScaler(lot), inferredSteps: inferredSteps,
                            symbol: symbol.map { Array($0.utf8) }, builder: builder)
        let (stream, name) = try openText(file)
        let lines = LineReader(stream, name: name)
        builder.fraction = { fraction(lines.progress) }
        while let line = try lines.next() {
            if line.isEmpty { continue }
            try parser.handle(line, lines)
        }
        try parser.finish(lines)
        builder.correctNegativeLatency()
        return builder
    }

    static func quoteCurrency(_ symbol: String) -> String {
        for q in ["USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY", "USD"] where symbol.hasSuffix(q) {
            return q
        }
        return ""
    }

    /// Reads the first lines to infer the symbol, market, tick and lot.
    private func prescan() throws -> (tick: ExactDecimal?, lot: ExactDecimal?, symbol: String?, isFutures: Bool) {
        let (stream, name) = try openText(file)
        let lines = LineReader(stream, name: name)
        var prices = StepInference()
        var sizes = StepInference()
        var symbol: String?
        var futures = false
        var n = 0
        while n < 20_000, let line = try lines.next() {
            n += 1
            guard let space = line.firstIndex(of: 32) else { continue }
            var c = JSONCursor(line, at: space + 1)
            var data: Int?
            _ = c.object { key, c in
                if key.equals("data") { data = c.i; return c.skipValue() }
                return false
            }
            c = JSONCursor(line, at: data ?? space + 1)
            _ = c.object { key, c in
                if key.count == 1 {
                    switch key[0] {
                    case UInt8(ascii: "b"), UInt8(ascii: "a"):
                        if c.peek() == 91 { return Self.observeLevels(&c, &prices, &sizes) }
                        if let v = c.scalar(), let d = ExactDecimal.parse(v) { prices.observe(d) }
                        return true
                    case UInt8(ascii: "p"):
                        if let v = c.scalar(), let d = ExactDecimal.parse(v) { prices.observe(d) }
                        return true
                    case UInt8(ascii: "q"), UInt8(ascii: "B"), UInt8(ascii: "A"):
                        if let v = c.scalar(), let d = ExactDecimal.parse(v) { sizes.observe(d) }
                        return true
                    case UInt8(ascii: "s"):
                        let v = c.scalar()
                        if symbol == nil, let v { symbol = v.string }
                        return v != nil
                    default: return false
                    }
                }
                if key.equals("pu") { futures = true; return false }
                if key.equals("bids") || key.equals("asks") { return Self.observeLevels(&c, &prices, &sizes) }
                return false
            }
        }
        return (prices.step, sizes.step, symbol, futures)
    }

    private static func observeLevels(_ c: inout JSONCursor, _ prices: inout StepInference, _ sizes: inout StepInference) -> Bool {
        c.array { c in
            var k = 0
            return c.array { c in
                guard let v = c.scalar() else { return false }
                if let d = ExactDecimal.parse(v) { if k == 0 { prices.observe(d) } else { sizes.observe(d) } }
                k += 1
                return true
            }
        }
    }

    /// Parses lines and drives the synchronisation state machine.
    struct Parser {
        let priceScaler: StepScaler
        let quantityScaler: StepScaler
        let inferredSteps: Bool
        let symbol: [UInt8]?
        let builder: DatasetBuilder

        var sync = Sync.awaitingSnapshot
        var isFutures: Bool?
        var gapSinceSync = false
        var awaitingFirstDiff = false
        var syncedUpdateID: Int64 = 0
        /// Everything received before the first snapshot, in order; diffs are filtered later.
        var pending: [Event] = []
        var pendingDiffs: [PendingDiff] = []
        var pendingIsDiff: [Int32] = []  // per pending event: index into pendingDiffs or -1
        var scratch: [Event] = []

        var gaps = 0
        var droppedDiffs = 0
        var skippedSnapshots = 0
        var snapshots = 0
        var skippedTrades = 0
        var otherSymbols = 0
        var unknownMessages = 0
        var errorMessages = 0

        init(priceScaler: StepScaler, quantityScaler: StepScaler, inferredSteps: Bool, symbol: [UInt8]?, builder: DatasetBuilder) {
            self.priceScaler = priceScaler
            self.quantityScaler = quantityScaler
            self.inferredSteps = inferredSteps
            self.symbol = symbol
            self.builder = builder
        }

        /// The fields of one message that matter.
        struct Message {
            var event: Bytes?
            var eventTime: Int64?
            var transactionTime: Int64?
            var firstUpdate: Int64?
            var lastUpdate: Int64?
            var previousUpdate: Int64?
            var lastUpdateID: Int64?
            var bidsAt: Int?
            var asksAt: Int?
            var bidPrice: Bytes?
            var askPrice: Bytes?
            var bidSize: Bytes?
            var askSize: Bytes?
            var price: Bytes?
            var quantity: Bytes?
            var buyerIsMaker: Bool?
            var tradeType: Bytes?
            var symbol: Bytes?
            var hasCode = false
        }

        mutating func handle(_ line: Bytes, _ lines: LineReader) throws {
            guard let space = line.firstIndex(of: 32), let receive = parseInt64(line.slice(0, space)) else {
                throw lines.error("expected '<receive time ns> <json>'")
            }
            var c = JSONCursor(line, at: space + 1)
            var dataAt: Int?
            var m = Message()
            let ok = c.object { key, c in
                if key.equals("data") {
                    dataAt = c.i
                    return c.skipValue()
                }
                if key.equals("stream") { return c.skipValue() }
                return Self.field(key, &c, &m)
            }
            guard ok else { throw lines.error("malformed JSON message") }
            if let dataAt {
                m = Message()
                var d = JSONCursor(line, at: dataAt)
                guard d.object({ key, c in Self.field(key, &c, &m) }) else { throw lines.error("malformed JSON in \"data\"") }
            }
            if m.hasCode { errorMessages += 1; return }
            if let s = m.symbol, let want = symbol, !s.elementsEqual(want) { otherSymbols += 1; return }
            let exch = (m.transactionTime ?? m.eventTime).map { $0 &* Time.millisecond } ?? receive
            if let lastUpdateID = m.lastUpdateID {
                try snapshot(line, m, lastUpdateID: lastUpdateID, exch: exch, local: receive, lines)
            } else if let e = m.event, e.equals("depthUpdate") {
                try diff(line, m, exch: exch, local: receive, lines)
            } else if let e = m.event, e.equals("trade") || e.equals("aggTrade") {
                try trade(m, exch: exch, local: receive, lines)
            } else if m.bidPrice != nil && m.askPrice != nil && m.bidSize != nil && m.askSize != nil {
                try bookTicker(m, exch: exch, local: receive, lines)
            } else {
                unknownMessages += 1
            }
        }

        static func field(_ key: Bytes, _ c: inout JSONCursor, _ m: inout Message) -> Bool {
            func int() -> Int64? { c.scalar().flatMap(parseInt64) }
            switch key.count {
            case 1:
                switch key[0] {
                case UInt8(ascii: "e"): m.event = c.scalar()
                case UInt8(ascii: "E"): m.eventTime = int()
                case UInt8(ascii: "T"): m.transactionTime = int()
                case UInt8(ascii: "U"): m.firstUpdate = int()
                case UInt8(ascii: "u"): m.lastUpdate = int()
                case UInt8(ascii: "b"):
                    if c.peek() == 91 { m.bidsAt = c.i; return c.skipValue() }
                    m.bidPrice = c.scalar()
                case UInt8(ascii: "a"):
                    if c.peek() == 91 { m.asksAt = c.i; return c.skipValue() }
                    m.askPrice = c.scalar()
                case UInt8(ascii: "B"): m.bidSize = c.scalar()
                case UInt8(ascii: "A"): m.askSize = c.scalar()
                case UInt8(ascii: "p"): m.price = c.scalar()
                case UInt8(ascii: "q"): m.quantity = c.scalar()
                case UInt8(ascii: "m"): m.buyerIsMaker = c.scalar().map { $0.equals("true") }
                case UInt8(ascii: "X"): m.tradeType = c.scalar()
                case UInt8(ascii: "s"): m.symbol = c.scalar()
                default: return false
                }
                return true
            case 2:
                if key.equals("pu") { m.previousUpdate = int(); return true }
                return false
            default:
                if key.equals("lastUpdateId") { m.lastUpdateID = int(); return true }
                if key.equals("bids") { m.bidsAt = c.i; return c.skipValue() }
                if key.equals("asks") { m.asksAt = c.i; return c.skipValue() }
                if key.equals("code") { m.hasCode = true; return false }
                return false
            }
        }

        /// Appends the levels of the array at `at` to `out` as `kind` events on `side`.
        func levels(_ line: Bytes, at: Int?, side: Side, kind: EventKind, exch: Nanos, local: Nanos,
                    into out: inout [Event], _ lines: LineReader) throws
        {
            guard let at else { return }
            var c = JSONCursor(line, at: at)
            var failure: DataError?
            let ok = c.array { c in
                var price: Bytes?
                var size: Bytes?
                var k = 0
                guard c.array({ c in
                    guard let v = c.scalar() else { return false }
                    if k == 0 { price = v } else if k == 1 { size = v }
                    k += 1
                    return true
                }), let price, let size else { return false }
                do {
                    let p = try units(decimal(price, "price", lines), priceScaler, "price", inferred: inferredSteps, lines)
                    let q = try units(decimal(size, "quantity", lines), quantityScaler, "quantity", inferred: inferredSteps, lines)
                    out.append(Event(kind: kind, side: side, price: try builder.price(p, line: lines.lineNumber),
                                     quantity: try builder.quantity(q, line: lines.lineNumber), exchTime: exch, localTime: local))
                } catch let e as DataError {
                    failure = e
                    return false
                } catch { return false }
                return true
            }
            if let failure { throw failure }
            guard ok else { throw lines.error("malformed price level array") }
        }

        mutating func snapshot(_ line: Bytes, _ m: Message, lastUpdateID: Int64, exch: Nanos, local: Nanos,
                               _ lines: LineReader) throws
        {
            if case .synced = sync, !gapSinceSync {
                skippedSnapshots += 1
                return
            }
            scratch.removeAll(keepingCapacity: true)
            scratch.append(Event(kind: .clear, side: .none, price: 0, quantity: 0, exchTime: exch, localTime: local,
                                 flags: .snapshotBegin))
            try levels(line, at: m.bidsAt, side: .buy, kind: .snapshot, exch: exch, local: local, into: &scratch, lines)
            try levels(line, at: m.asksAt, side: .sell, kind: .snapshot, exch: exch, local: local, into: &scratch, lines)
            scratch[scratch.count - 1].flags.formUnion([.snapshotEnd, .endOfMessage])
            snapshots += 1
            let wasAwaiting: Bool
            if case .awaitingSnapshot = sync { wasAwaiting = true } else { wasAwaiting = false }
            if wasAwaiting {
                // Everything received so far, except diffs, goes first, in order.
                for (k, e) in pending.enumerated() where pendingIsDiff[k] < 0 { try builder.append(e) }
            }
            for e in scratch { try builder.append(e) }
            if isFutures == nil { isFutures = m.transactionTime != nil }
            sync = .synced(lastUpdate: lastUpdateID)
            syncedUpdateID = lastUpdateID
            gapSinceSync = false
            awaitingFirstDiff = true
            if wasAwaiting {
                for d in pendingDiffs {
                    if isStale(d.lastUpdate) { droppedDiffs += 1; continue }
                    let gap = !follows(d, first: awaitingFirstDiff)
                    awaitingFirstDiff = false
                    try emit(pending[d.range], gap: gap, local: local)
                }
                pending.removeAll()
                pendingDiffs.removeAll()
                pendingIsDiff.removeAll()
            }
        }

        /// A diff older than the synchronised snapshot.
        func isStale(_ lastUpdate: Int64) -> Bool {
            (isFutures ?? true) ? lastUpdate < syncedUpdateID : lastUpdate <= syncedUpdateID
        }

        /// Whether diff `d` continues the sequence (and updates the state).
        mutating func follows(_ d: PendingDiff, first: Bool) -> Bool {
            guard case .synced(let lastUpdate) = sync else { return true }
            let futures = d.previousUpdate != nil
            let ok: Bool
            if first {
                let target = futures ? syncedUpdateID : syncedUpdateID + 1
                ok = d.firstUpdate <= target && d.lastUpdate >= target
            } else if futures {
                ok = d.previousUpdate == lastUpdate
            } else {
                ok = d.firstUpdate == lastUpdate + 1
            }
            sync = .synced(lastUpdate: d.lastUpdate)
            if !ok { gaps += 1; gapSinceSync = true }
            return ok
        }

        mutating func emit(_ events: ArraySlice<Event>, gap: Bool, local: Nanos?) throws {
            var first = true
            for var e in events {
                if let local { e.localTime = local }
                if first && gap { e.flags.insert(.gap) }
                first = false
                try builder.append(e)
            }
        }

        mutating func diff(_ line: Bytes, _ m: Message, exch: Nanos, local: Nanos, _ lines: LineReader) throws {
            guard let firstUpdate = m.firstUpdate, let lastUpdate = m.lastUpdate else {
                throw lines.error("depthUpdate without U/u update ids")
            }
            if isFutures == nil { isFutures = m.previousUpdate != nil }
            scratch.removeAll(keepingCapacity: true)
            try levels(line, at: m.bidsAt, side: .buy, kind: .depth, exch: exch, local: local, into: &scratch, lines)
            try levels(line, at: m.asksAt, side: .sell, kind: .depth, exch: exch, local: local, into: &scratch, lines)
            guard !scratch.isEmpty else { return }
            scratch[scratch.count - 1].flags.insert(.endOfMessage)
            let d = PendingDiff(firstUpdate: firstUpdate, lastUpdate: lastUpdate, previousUpdate: m.previousUpdate,
                                range: pending.count..<(pending.count + scratch.count))
            switch sync {
            case .awaitingSnapshot:
                pendingDiffs.append(d)
                pending.append(contentsOf: scratch)
                pendingIsDiff.append(contentsOf: repeatElement(Int32(pendingDiffs.count - 1), count: scratch.count))
            case .synced:
                if isStale(lastUpdate) { droppedDiffs += 1; return }
                let gap = !follows(d, first: awaitingFirstDiff)
                awaitingFirstDiff = false
                try emit(scratch[...], gap: gap, local: nil)
            }
        }

        mutating func trade(_ m: Message, exch: Nanos, local: Nanos, _ lines: LineReader) throws {
            if let x = m.tradeType, !x.equals("MARKET") { skippedTrades += 1; return }
            guard let p = m.price, let q = m.quantity, let maker = m.buyerIsMaker else {
                throw lines.error("trade without p/q/m")
            }
            let price = try units(decimal(p, "price", lines), priceScaler, "price", inferred: inferredSteps, lines)
            let size = try units(decimal(q, "quantity", lines), quantityScaler, "quantity", inferred: inferredSteps, lines)
            // m: the buyer is the maker, so the aggressor sold.
            let e = Event(kind: .trade, side: maker ? .sell : .buy, price: try builder.price(price, line: lines.lineNumber),
                          quantity: try builder.quantity(size, line: lines.lineNumber), exchTime: exch, localTime: local,
                          flags: .endOfMessage)
            try push(e)
        }

        mutating func bookTicker(_ m: Message, exch: Nanos, local: Nanos, _ lines: LineReader) throws {
            let bp = try units(decimal(m.bidPrice!, "bid price", lines), priceScaler, "bid price", inferred: inferredSteps, lines)
            let bq = try units(decimal(m.bidSize!, "bid size", lines), quantityScaler, "bid size", inferred: inferredSteps, lines)
            let ap = try units(decimal(m.askPrice!, "ask price", lines), priceScaler, "ask price", inferred: inferredSteps, lines)
            let aq = try units(decimal(m.askSize!, "ask size", lines), quantityScaler, "ask size", inferred: inferredSteps, lines)
            try push(Event(kind: .bbo, side: .buy, price: try builder.price(bp, line: lines.lineNumber),
                           quantity: try builder.quantity(bq, line: lines.lineNumber), exchTime: exch, localTime: local))
            try push(Event(kind: .bbo, side: .sell, price: try builder.price(ap, line: lines.lineNumber),
                           quantity: try builder.quantity(aq, line: lines.lineNumber), exchTime: exch, localTime: local,
                           flags: .endOfMessage))
        }

        /// Non-depth events: held while waiting for the first snapshot, else appended.
        mutating func push(_ e: Event) throws {
            if case .awaitingSnapshot = sync {
                pending.append(e)
                pendingIsDiff.append(-1)
            } else {
                try builder.append(e)
            }
        }

        mutating func finish(_ lines: LineReader) throws {
            if case .awaitingSnapshot = sync {
                if !pendingDiffs.isEmpty {
                    builder.notes.append("no depth snapshot in the file: the book is built from diffs alone and is incomplete (first diff flagged as a gap)")
                }
                var flagged = false
                for (k, var e) in pending.enumerated() {
                    if pendingIsDiff[k] >= 0 && !flagged { e.flags.insert(.gap); flagged = true; gaps += 1 }
                    try builder.append(e)
                }
            }
            if gaps > 0 { builder.notes.append("\(gaps) depth sequence gap(s): events flagged .gap; the book may be wrong until the next snapshot") }
            if droppedDiffs > 0 { builder.notes.append("\(droppedDiffs) depth diff(s) older than the snapshot dropped") }
            if skippedSnapshots > 0 { builder.notes.append("\(skippedSnapshots) snapshot(s) skipped: the book was already in sync") }
            if skippedTrades > 0 { builder.notes.append("\(skippedTrades) non-MARKET trade(s) (insurance fund, ADL) skipped") }
            if otherSymbols > 0 { builder.notes.append("\(otherSymbols) message(s) for other symbols skipped") }
            if unknownMessages > 0 { builder.notes.append("\(unknownMessages) message(s) of other types skipped") }
            if errorMessages > 0 { builder.notes.append("\(errorMessages) error response(s) from the venue skipped") }
            if snapshots == 0 && pendingDiffs.isEmpty && builder.counts[.depth] == 0 {
                builder.notes.append("no depth data: trades and quotes only")
            }
        }
    }
}
