import Foundation
import MithaiEngine

/// Reads LOBSTER order-by-order data: `TICKER_DATE_START_END_message_LEVEL.csv` with, when
/// present, its `…_orderbook_LEVEL.csv` partner, as plain files or inside a zip.
///
/// Message columns: time (seconds after midnight, America/New_York unless told otherwise),
/// type (1 add, 2 partial cancel, 3 delete, 4 visible execution, 5 hidden execution,
/// 7 trading halt/quote/resume), order id, size (shares), price (dollars × 10000), direction
/// (1 buy, -1 sell: the resting order's side). The date and ticker come from the file name.
///
/// **Reconciliation.** LOBSTER writes only the messages that touch the requested number of
/// levels: orders submitted deeper, and cancels of orders while they are deeper, never appear;
/// the day also starts with orders resting from before the open. The book rebuilt from the
/// messages alone therefore drifts from the truth. When the order-book file is present the
/// reader keeps an `L3Book` in step and, after each message, compares the levels that row
/// shows; where they differ it emits `.inferred` events that make them agree, using the rest of
/// the message file to choose which orders explain a shortfall:
/// 1. an order whose next message is a delete for less than it holds lost the difference
///    earlier (inferred partial cancel);
/// 2. an order with no later message was deleted unseen (inferred full cancel, oldest first);
/// 3. whatever remains is set with a `depth` event on the level (an L3 book turns it into
///    anonymous quantity at the front of the queue, or removes from the newest orders).
/// Messages about orders the book never saw draw on the level's anonymous quantity. Without
/// the order-book file, no reconciliation happens (noted in the dataset).
struct LobsterReader {
    struct Source {
        var name: String
        var ticker: String
        var date: (year: Int64, month: Int64, day: Int64)
        var level: Int
        var openMessages: () throws -> (any ByteStream, String)
        var openOrderBook: (() throws -> (any ByteStream, String))?
    }

    let source: Source
    let options: ReadOptions
    let control: LoadControl

    /// Locates the message and order-book files for `path` (zip, message or order-book file).
    static func source(path: String) throws -> (Source, files: [String]) {
        let file = try InputFile(path: path)
        if Compression.detect(try file.head(4)) == .zip {
            let archive = try ZipArchive(file)
            guard let message = archive.members.first(where: { LobsterFiles.isMessageFile($0.name) }) else {
                throw DataError(file: path, "zip holds no LOBSTER message file (*_message_*.csv)")
            }
            let bookName = message.name.replacingOccurrences(of: "_message_", with: "_orderbook_")
            let book = archive.member(named: bookName)
            let (ticker, date, level) = try parseName(message.name, file: path)
            let src = Source(name: "\(path)/\(message.name)", ticker: ticker, date: date, level: level,
                             openMessages: { (try archive.open(message), "\(path)/\(message.name)") },
                             openOrderBook: book.map { b in { (try archive.open(b), "\(path)/\(b.name)") } })
            return (src, [path])
        }
        var messagePath = path
        if LobsterFiles.isOrderBookFile(path) {
            messagePath = path.replacingLastOccurrence(of: "_orderbook_", with: "_message_")
        }
        let bookPath = messagePath.replacingLastOccurrence(of: "_message_", with: "_orderbook_")
        let hasBook = bookPath != messagePath && (try? InputFile(path: bookPath)) != nil
        let (ticker, date, level) = try parseName(messagePath, file: messagePath)
        let messageFile = try InputFile(path: messagePath)
        let src = Source(name: messagePath, ticker: ticker, date: date, level: level,
                         openMessages: { try openText(messageFile) },
                         openOrderBook: hasBook ? { try openText(InputFile(path: bookPath)) } : nil)
        return (src, hasBook ? [messagePath, bookPath] : [messagePath])
    }

    /// `GOOG_2012-06-21_34200000_57600000_message_10.csv` → ("GOOG", 2012-06-21, 10).
    static func parseName(_ name: String, file: String) throws -> (String, (Int64, Int64, Int64), Int) {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        let parts = base.split(separator: "_")
        guard parts.count >= 6 else {
            throw DataError(file: file, "not a LOBSTER file name (expected TICKER_YYYY-MM-DD_START_END_message_LEVEL.csv): the date comes from it")
        }
        let n = parts.count
        let levelText = parts[n - 1].split(separator: ".").first.map(String.init) ?? ""
        let dateParts = parts[n - 5].split(separator: "-").compactMap { Int64($0) }
        guard dateParts.count == 3, CivilTime.isValid(year: dateParts[0], month: dateParts[1], day: dateParts[2]),
              let level = Int(levelText), level > 0
        else {
            throw DataError(file: file, "cannot read the date and level from the LOBSTER file name '\(base)'")
        }
        let ticker = parts[0..<(n - 5)].joined(separator: "_")
        return (ticker, (dateParts[0], dateParts[1], dateParts[2]), level)
    }

    /// What the first pass learns about the messages.
    struct Index {
        var types: [UInt8] = []
        var sizes: [Int64] = []
        /// For each message, the index of the next message about the same order, or -1.
        var next: [Int32] = []
        /// Greatest common divisor of every price (dollars × 10000), 0 when there is none.
        var priceGCD: Int64 = 0
    }

    func read() throws -> DatasetBuilder {
        let index = try buildIndex()
        // Default tick: the largest step every price of the file is a multiple of (0.005 for the
        // samples: hidden midpoint executions print at half a cent).
        let tick = options.tick ?? (index.priceGCD > 0 ? ExactDecimal(mantissa: index.priceGCD, scale: 4).normalized() : ExactDecimal("0.01")!)
        let lot = options.lot ?? .one
        let instrument = Instrument(symbol: options.symbol ?? source.ticker, venue: "NASDAQ", tickSize: tick, lotSize: lot,
                                    currency: "USD", timeZone: options.timeZone ?? "America/New_York")
        try instrument.validate()
        let builder = DatasetBuilder(name: source.name, instrument: instrument, control: control)
        let clock = try CivilTime(zone: instrument.timeZone, file: source.name)
        let midnight = clock.utc(year: source.date.year, month: source.date.month, day: source.date.day, nanosOfDay: 0)
        // LOBSTER prices are dollars × 10000: the tick's scale must be at most 4 decimals apart.
        let priceScaler = StepScaler(tick)
        let lotScaler = StepScaler(lot)

        let (messageStream, messageName) = try source.openMessages()
        let messages = LineReader(messageStream, name: messageName)
        var bookLines: LineReader?
        if let open = source.openOrderBook {
            let (stream, name) = try open()
            bookLines = LineReader(stream, name: name)
        } else {
            builder.notes.append("no LOBSTER order-book file: the book is rebuilt from messages alone (orders resting before the open or beyond the recorded depth are missing)")
        }
        builder.fraction = { fraction(messages.progress) }

        var state = State(builder: builder, book: L3Book(), levels: source.level, index: index)
        var fields = FieldSplitter()
        var k = 0
        while let line = try messages.next() {
            if line.isEmpty { continue }
            fields.split(line)
            guard fields.count >= 6 else { throw messages.error("expected 6 columns (time,type,id,size,price,direction), found \(fields.count)") }
            guard let seconds = ExactDecimal.parse(fields[0]), seconds.scale <= 9, seconds.mantissa >= 0 else {
                throw messages.error("time '\(fields[0].string)' is not seconds after midnight")
            }
            let nanos = seconds.mantissa * ExactDecimal.powerOfTen(9 - Int(seconds.scale))
            let time = midnight + nanos
            guard let type = parseInt64(fields[1]), let id = parseInt64(fields[2]), let size = parseInt64(fields[3]),
                  let rawPrice = parseInt64(fields[4]), let direction = parseInt64(fields[5])
            else { throw messages.error("non-integer type, id, size, price or direction") }
            let side: Side = direction == 1 ? .buy : (direction == -1 ? .sell : .none)
            var event: Event
            switch type {
            case 1, 2, 3, 4, 5:
                guard side != .none else { throw messages.error("direction must be 1 or -1, not \(direction)") }
                guard size > 0 else { throw messages.error("size must be positive, not \(size)") }
                guard id >= 0 else { throw messages.error("negative order id \(id)") }
                let price = try units(ExactDecimal(mantissa: rawPrice, scale: 4), priceScaler, "price", inferred: options.tick == nil, messages)
                let lots = try units(ExactDecimal(size), lotScaler, "size", inferred: false, messages)
                let rel = try builder.price(price, line: messages.lineNumber)
                let qty = try builder.quantity(lots, line: messages.lineNumber)
                let kind: EventKind = [1: .add, 2: .cancel, 3: .cancel, 4: .execute, 5: .executeHidden][type]!
                let handle: UInt32
                if type == 1 {
                    if let existing = builder.existingOrderID(UInt64(id)), state.book.order(existing) != nil {
                        throw messages.error("order \(id) submitted twice")
                    }
                    handle = builder.orderID(UInt64(id))
                } else if type == 5 && id == 0 {
                    handle = 0
                } else {
                    handle = builder.orderID(UInt64(id))
                }
                event = Event(kind: kind, side: side, price: rel, quantity: qty, orderID: handle, exchTime: time, localTime: time,
                              flags: type == 3 ? .fullCancel : [])
                if handle != 0 { state.nextMessage(of: handle, is: index.next[k]) }
            case 7:
                let status: TradingStatus = rawPrice == -1 ? .halted : (rawPrice == 0 ? .quoting : .trading)
                event = Event(kind: .status, side: .none, price: 0, quantity: status.rawValue, exchTime: time, localTime: time)
            default:
                throw messages.error("unknown message type \(type) (LOBSTER types are 1-5 and 7)")
            }
            // A delete reports what the order still holds: when that is less than the book
            // has, the difference was cancelled earlier beyond the recorded depth.
            if type == 3, let order = state.book.order(event.orderID), order.quantity > Lots(event.quantity) {
                try state.inferredCancel(order, quantity: order.quantity - Lots(event.quantity), rel: event.price,
                                         time: time, messages)
            }
            if let bookLines {
                guard let row = try bookLines.next() else {
                    throw bookLines.error("order-book file ends before the message file (message line \(messages.lineNumber))")
                }
                let shown = try state.parseRow(row, bookLines, priceScaler: priceScaler)
                if k == 0 { try state.openingBook(shown, undoing: event, type: type, time: time, bookLines) }
                try state.emit(event, last: false)
                try state.reconcile(shown, bookLines, time: time)
            } else {
                try state.emit(event, last: true)
            }
            k += 1
        }
        if let bookLines, let extra = try bookLines.next(), !extra.isEmpty {
            throw bookLines.error("order-book file has more rows than the message file has messages (\(k))")
        }
        if state.inferredEvents > 0 {
            builder.notes.append("\(state.inferredEvents) inferred event(s) reconcile the book with the LOBSTER order-book file on \(state.reconciledRows) of \(k) rows (messages outside the recorded \(source.level) level(s) are not in the file)")
        }
        if state.book.unknownOrderEvents > 0 {
            builder.notes.append("\(state.book.unknownOrderEvents) message(s) about orders submitted before the file starts or beyond the recorded depth (applied to anonymous quantity)")
        }
        return builder
    }

    /// First pass: message types, sizes, the next message of each order, and price decimals.
    private func buildIndex() throws -> Index {
        let (stream, name) = try source.openMessages()
        let lines = LineReader(stream, name: name)
        var index = Index()
        var last: [Int64: Int32] = [:]
        var fields = FieldSplitter()
        while let line = try lines.next() {
            if line.isEmpty { continue }
            fields.split(line)
            guard fields.count >= 6, let type = parseInt64(fields[1]), let id = parseInt64(fields[2]),
                  let size = parseInt64(fields[3]), let price = parseInt64(fields[4])
            else { throw lines.error("expected 6 numeric columns (time,type,id,size,price,direction)") }
            let k = Int32(index.types.count)
            index.types.append(UInt8(truncatingIfNeeded: type))
            index.sizes.append(size)
            index.next.append(-1)
            if type >= 1 && type <= 5 {
                index.priceGCD = Self.gcd(index.priceGCD, price.magnitude)
                if id != 0 {
                    if let previous = last[id] { index.next[Int(previous)] = k }
                    last[id] = k
                }
            }
        }
        return index
    }

    static func gcd(_ a: Int64, _ b: UInt64) -> Int64 {
        var x = UInt64(a)
        var y = b
        while y != 0 { (x, y) = (y, x % y) }
        return Int64(x)
    }

    /// The replay state: the reader's own book and the reconciliation logic.
    struct State {
        let builder: DatasetBuilder
        var book: L3Book
        let levels: Int
        let index: Index
        /// Per dense order handle: index of its next message, or -1.
        var nextOf: [Int32] = []
        var inferredEvents = 0
        var reconciledRows = 0
        var pending: Event?
        var fields = FieldSplitter()

        init(builder: DatasetBuilder, book: L3Book, levels: Int, index: Index) {
            self.builder = builder
            self.book = book
            self.levels = levels
            self.index = index
        }

        mutating func nextMessage(of handle: UInt32, is next: Int32) {
            let i = Int(handle)
            if i >= nextOf.count { nextOf.append(contentsOf: repeatElement(-1, count: max(i + 1 - nextOf.count, nextOf.count))) }
            nextOf[i] = next
        }

        /// Appends `event` (holding back the last one so `.endOfMessage` lands on the final
        /// event of a message) and applies it to the reader's book.
        mutating func emit(_ event: Event, last: Bool) throws {
            if let p = pending { try builder.append(p) }
            var e = event
            if last { e.flags.insert(.endOfMessage) }
            pending = last ? nil : e
            if last { try builder.append(e) }
            book.apply(event, base: builder.baseTick ?? 0)
        }

        mutating func close() throws {
            if var p = pending {
                p.flags.insert(.endOfMessage)
                try builder.append(p)
                pending = nil
            }
        }

        /// The levels one order-book row shows: asks then bids, best first, dummies removed.
        mutating func parseRow(_ row: Bytes, _ lines: LineReader, priceScaler: StepScaler) throws -> (asks: [(Ticks, Lots)], bids: [(Ticks, Lots)]) {
            fields.split(row)
            guard fields.count == 4 * levels else {
                throw lines.error("expected \(4 * levels) columns (\(levels) levels × ask price, ask size, bid price, bid size), found \(fields.count)")
            }
            var asks: [(Ticks, Lots)] = []
            var bids: [(Ticks, Lots)] = []
            for level in 0..<levels {
                for side in [Side.sell, .buy] {
                    let column = 4 * level + (side == .sell ? 0 : 2)
                    guard let rawPrice = parseInt64(fields[column]), let size = parseInt64(fields[column + 1]) else {
                        throw lines.error("non-integer price or size in level \(level + 1)")
                    }
                    if rawPrice == 9_999_999_999 || rawPrice == -9_999_999_999 { continue }  // no such level
                    guard size > 0 else { throw lines.error("level \(level + 1) has size \(size)") }
                    guard let price = priceScaler.units(ExactDecimal(mantissa: rawPrice, scale: 4)) else {
                        throw lines.error("price \(rawPrice) is not a multiple of the tick \(priceScaler.step)")
                    }
                    if side == .sell { asks.append((price, size)) } else { bids.append((price, size)) }
                }
            }
            return (asks, bids)
        }

        /// The book before the first message: the first row with that message undone, as
        /// inferred level totals (anonymous quantity of orders resting before the file starts).
        mutating func openingBook(_ shown: (asks: [(Ticks, Lots)], bids: [(Ticks, Lots)]), undoing event: Event, type: Int64,
                                  time: Nanos, _ lines: LineReader) throws
        {
            var asks = shown.asks
            var bids = shown.bids
            if type >= 1 && type <= 4 {
                let price = (builder.baseTick ?? 0) + Ticks(event.price)
                let delta: Lots = type == 1 ? -Lots(event.quantity) : Lots(event.quantity)
                func undo(_ levels: inout [(Ticks, Lots)], better: (Ticks, Ticks) -> Bool) {
                    if let k = levels.firstIndex(where: { $0.0 == price }) {
                        levels[k].1 += delta
                        if levels[k].1 <= 0 { levels.remove(at: k) }
                    } else if delta > 0 {
                        levels.append((price, delta))
                        levels.sort { better($0.0, $1.0) }
                    }
                }
                if event.side == .sell { undo(&asks, better: <) } else { undo(&bids, better: >) }
            }
            let rows = asks.map { (Side.sell, $0) } + bids.map { (Side.buy, $0) }
            for (k, (side, level)) in rows.enumerated() {
                var flags: EventFlags = .inferred
                if k == 0 { flags.insert(.snapshotBegin) }
                if k == rows.count - 1 { flags.insert(.snapshotEnd) }
                let e = Event(kind: .snapshot, side: side, price: try builder.price(level.0, line: lines.lineNumber),
                              quantity: try builder.quantity(level.1, line: lines.lineNumber), exchTime: time, localTime: time,
                              flags: flags)
                try builder.append(e)
                book.apply(e, base: builder.baseTick ?? 0)
                inferredEvents += 1
            }
        }

        /// Compares the book with one order-book row and emits inferred events where they differ;
        /// finally marks the message's last event.
        mutating func reconcile(_ rowLevels: (asks: [(Ticks, Lots)], bids: [(Ticks, Lots)]), _ lines: LineReader, time: Nanos) throws {
            var rowNeeded = false
            for side in [Side.sell, .buy] {
                let shown = side == .sell ? rowLevels.asks : rowLevels.bids
                let full = shown.count == levels
                let worst = shown.last?.0
                // Our levels within the shown range.
                var targets: [(Ticks, Lots)] = []
                book.l2.forEachLevel(side) { level in
                    if full, let worst, side == .buy ? level.price < worst : level.price > worst { return false }
                    if !shown.contains(where: { $0.0 == level.price }) { targets.append((level.price, 0)) }
                    return true
                }
                for (p, q) in shown where book.l2.quantity(side, at: p) != q { targets.append((p, q)) }
                for (price, target) in targets where book.l2.quantity(side, at: price) != target {
                    rowNeeded = true
                    try settle(side, price: price, target: target, time: time, lines)
                }
            }
            if rowNeeded { reconciledRows += 1 }
            try close()
        }

        /// Brings the level at `price` to `target`, explaining shortfalls with later messages.
        private mutating func settle(_ side: Side, price: Ticks, target: Lots, time: Nanos, _ lines: LineReader) throws {
            let rel = try builder.price(price, line: lines.lineNumber)
            var excess = book.l2.quantity(side, at: price) - book.anonymousQuantity(side, at: price) - target
            if excess > 0 {
                // 1. orders whose next message deletes less than they hold
                for order in book.orders(side, at: price) where excess > 0 {
                    let n = Int(order.orderID) < nextOf.count ? nextOf[Int(order.orderID)] : -1
                    guard n >= 0, index.types[Int(n)] == 3, index.sizes[Int(n)] < order.quantity else { continue }
                    let cut = min(order.quantity - index.sizes[Int(n)], excess)
                    try inferredCancel(order, quantity: cut, rel: rel, time: time, lines)
                    excess -= cut
                }
                // 2. orders never mentioned again: deleted while outside the recorded depth
                for order in book.orders(side, at: price) where excess > 0 {
                    let n = Int(order.orderID) < nextOf.count ? nextOf[Int(order.orderID)] : -1
                    guard n < 0 else { continue }
                    let cut = min(order.quantity, excess)
                    try inferredCancel(order, quantity: cut, rel: rel, time: time, lines)
                    excess -= cut
                }
            }
            // 3. the rest: set the level total (anonymous quantity, or newest orders reduced)
            if book.l2.quantity(side, at: price) != target {
                let e = Event(kind: .depth, side: side, price: rel, quantity: try builder.quantity(target, line: lines.lineNumber),
                              exchTime: time, localTime: time, flags: .inferred)
                try emit(e, last: false)
                inferredEvents += 1
            }
        }

        mutating func inferredCancel(_ order: RestingOrder, quantity: Lots, rel: Int32, time: Nanos, _ lines: LineReader) throws {
            let full = quantity >= order.quantity
            let e = Event(kind: .cancel, side: order.side, price: rel, quantity: try builder.quantity(quantity, line: lines.lineNumber),
                          orderID: order.orderID, exchTime: time, localTime: time, flags: full ? [.inferred, .fullCancel] : .inferred)
            try emit(e, last: false)
            inferredEvents += 1
        }
    }
}

extension String {
    func replacingLastOccurrence(of target: String, with replacement: String) -> String {
        guard let r = range(of: target, options: .backwards) else { return self }
        return String(self[..<r.lowerBound]) + replacement + String(self[r.upperBound...])
    }
}
