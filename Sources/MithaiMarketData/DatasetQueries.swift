public import MithaiEngine

/// The L2 ladder of a dataset at one moment.
public struct LadderSnapshot: Sendable, Equatable {
    /// The moment asked for (ns, UTC); the ladder reflects every event with `localTime <= time`.
    public var time: Nanos
    /// Number of events applied.
    public var eventsApplied: Int
    /// Bid levels, best (highest) first: price in ticks, size in lots, order count (0 = unknown).
    public var bids: [BookLevel]
    /// Ask levels, best (lowest) first.
    public var asks: [BookLevel]
}

/// One entry of an L3 queue, with the source's order id.
public struct QueueSnapshotEntry: Sendable, Equatable {
    /// The dataset's dense handle (0 for anonymous quantity: orders resting before the data
    /// starts or beyond the recorded depth).
    public var orderID: UInt32
    /// The source's order id (0 for anonymous quantity).
    public var originalOrderID: UInt64
    /// Remaining size in lots.
    public var quantity: Lots
}

/// Trades as columns (all arrays have the same length), in feed order.
public struct TradeColumns: Sendable, Equatable {
    /// Exchange time of each trade (ns, UTC).
    public var time: [Nanos] = []
    /// Receive time (ns, UTC).
    public var localTime: [Nanos] = []
    /// Absolute price in ticks.
    public var price: [Ticks] = []
    /// Size in lots.
    public var quantity: [Lots] = []
    /// Aggressor: `.buy` lifted an ask, `.sell` hit a bid, `.none` when unknown.
    public var aggressor: [Side] = []
    /// True for prints against hidden liquidity (LOBSTER type 5).
    public var hidden: [Bool] = []

    public var count: Int { time.count }
}

/// Top of book through time as columns. A missing side has price `Ticks.min` (bid) or
/// `Ticks.max` (ask) and size 0.
public struct TopOfBookColumns: Sendable, Equatable {
    /// Receive time of the change (ns, UTC).
    public var time: [Nanos] = []
    public var bidPrice: [Ticks] = []
    public var bidSize: [Lots] = []
    public var askPrice: [Ticks] = []
    public var askSize: [Lots] = []

    public var count: Int { time.count }
}

extension Dataset {
    /// True when the dataset carries order-by-order (L3) events.
    public var isOrderByOrder: Bool {
        counts[.add] + counts[.cancel] + counts[.modify] + counts[.execute] > 0
    }

    /// The number of events with `localTime <= time` (events are ordered by local time).
    /// O(log n).
    public func eventCount(upTo time: Nanos) -> Int {
        withEvents { events in
            var lo = 0
            var hi = events.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if events[mid].localTime <= time { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// The L2 ladder after every event received at or before `time` (all events when nil), up to
    /// `levels` levels per side. L3 datasets are replayed through an `L3Book` (anonymous quantity
    /// included); L2 datasets through an `L2Book` that removes crossed levels. O(events up to
    /// `time`).
    public func ladder(at time: Nanos? = nil, levels: Int = 10) -> LadderSnapshot {
        let end = time.map { eventCount(upTo: $0) } ?? eventCount
        let book = l2Book(upTo: end)
        return LadderSnapshot(time: time ?? (localTimeSpan?.upperBound ?? 0), eventsApplied: end,
                              bids: book.levels(.buy, maxLevels: levels), asks: book.levels(.sell, maxLevels: levels))
    }

    /// The L2 book after the first `end` events.
    public func l2Book(upTo end: Int) -> L2Book {
        if isOrderByOrder { return l3Book(upTo: end).l2 }
        var book = L2Book()
        ReplayBenchmark.replay(self, into: &book, range: 0..<min(end, eventCount))
        return book
    }

    /// The L3 book after the first `end` events.
    public func l3Book(upTo end: Int) -> L3Book {
        var book = L3Book()
        let base = baseTick
        withEvents { events in
            for e in events[0..<min(end, events.count)] { book.apply(e, base: base) }
        }
        return book
    }

    /// The queue at `price` (ticks) on `side` after every event received at or before `time`,
    /// front first. Empty for L2 datasets.
    public func queue(at time: Nanos, side: Side, price: Ticks) -> [QueueSnapshotEntry] {
        guard isOrderByOrder else { return [] }
        let book = l3Book(upTo: eventCount(upTo: time))
        return book.queue(side, at: price).map {
            QueueSnapshotEntry(orderID: $0.orderID, originalOrderID: $0.orderID == 0 ? 0 : originalOrderID($0.orderID),
                               quantity: $0.quantity)
        }
    }

    /// Trades received in `from...to` (local time; unbounded when nil): `trade` events, and the
    /// executions of L3 data (whose aggressor is the side opposite the resting order).
    public func trades(from: Nanos? = nil, to: Nanos? = nil) -> TradeColumns {
        var out = TradeColumns()
        let start = from.map { eventCount(upTo: $0 - 1) } ?? 0
        let end = to.map { eventCount(upTo: $0) } ?? eventCount
        guard start < end else { return out }
        let base = baseTick
        withEvents { events in
            for e in events[start..<end] {
                let aggressor: Side
                switch e.kind {
                case .trade: aggressor = e.side
                case .execute, .executeHidden:
                    if e.flags.contains(.inferred) { continue }
                    aggressor = e.side.opposite
                default: continue
                }
                out.time.append(e.exchTime)
                out.localTime.append(e.localTime)
                out.price.append(base &+ Ticks(e.price))
                out.quantity.append(Lots(e.quantity))
                out.aggressor.append(aggressor)
                out.hidden.append(e.kind == .executeHidden)
            }
        }
        return out
    }

    /// Best bid and ask through time (local time, `from...to`, unbounded when nil): one row per
    /// change. From the venue's quote feed (`bbo` events) when the dataset has one, otherwise
    /// from the book rebuilt event by event (sampled after complete messages).
    public func topOfBook(from: Nanos? = nil, to: Nanos? = nil, source: TopOfBookSource = .automatic) -> TopOfBookColumns {
        let useQuotes = source == .quotes || (source == .automatic && counts[.bbo] > 0)
        let start = from.map { eventCount(upTo: $0 - 1) } ?? 0
        let end = to.map { eventCount(upTo: $0) } ?? eventCount
        var out = TopOfBookColumns()
        var last = (Ticks.min, Lots(0), Ticks.max, Lots(0))
        func record(_ t: Nanos, _ row: (Ticks, Lots, Ticks, Lots)) {
            guard row != last else { return }
            last = row
            out.time.append(t)
            out.bidPrice.append(row.0)
            out.bidSize.append(row.1)
            out.askPrice.append(row.2)
            out.askSize.append(row.3)
        }
        let base = baseTick
        if useQuotes {
            withEvents { events in
                var current = last
                for e in events[0..<end] where e.kind == .bbo {
                    if e.side == .buy { current.0 = base &+ Ticks(e.price); current.1 = Lots(e.quantity) }
                    if e.side == .sell { current.2 = base &+ Ticks(e.price); current.3 = Lots(e.quantity) }
                    guard e.flags.contains(.endOfMessage) || e.side == .sell else { continue }
                    if e.localTime >= (from ?? Nanos.min) { record(e.localTime, current) } else { last = current }
                }
            }
            return out
        }
        let l3 = isOrderByOrder
        var l2 = L2Book()
        var book3 = L3Book()
        let messages = events(withFlag: .endOfMessage, in: 0..<end) > 0
        withEvents { events in
            for (i, e) in events[0..<end].enumerated() {
                if l3 { book3.apply(e, base: base) } else { l2.apply(e, base: base) }
                if messages && !e.flags.contains(.endOfMessage) { continue }
                let b = l3 ? book3.l2 : l2
                let row = (b.bestBid, b.bestBidQuantity, b.bestAsk, b.bestAskQuantity)
                if i >= start { record(e.localTime, row) } else { last = row }
            }
        }
        return out
    }

    /// Number of events in `range` carrying `flag`.
    func events(withFlag flag: EventFlags, in range: Range<Int>) -> Int {
        withEvents { events in events[range].reduce(0) { $0 + ($1.flags.contains(flag) ? 1 : 0) } }
    }
}

/// Where `topOfBook` takes its rows from.
public enum TopOfBookSource: Sendable {
    /// Quotes when the dataset has them, else the rebuilt book.
    case automatic
    /// The venue's quote feed (`bbo` events).
    case quotes
    /// The book rebuilt from depth or order events.
    case book
}

/// Walks a dataset forward in time keeping its book, so a series of ladders or queues through
/// the day costs one replay instead of one per question.
///
///     var r = dataset.replayer()
///     for t in stride(from: start, to: end, by: Time.second) {
///         r.advance(to: t)
///         print(r.ladder(levels: 5))
///     }
public struct DatasetReplayer: Sendable {
    public let dataset: Dataset
    /// Number of events applied so far.
    public private(set) var position = 0
    private var l2: L2Book
    private var l3: L3Book
    private let orderByOrder: Bool

    init(dataset: Dataset) {
        self.dataset = dataset
        orderByOrder = dataset.isOrderByOrder
        l2 = L2Book()
        l3 = L3Book()
    }

    /// The receive time of the last event applied (nil before the first).
    public var time: Nanos? { position == 0 ? nil : dataset[position - 1].localTime }

    /// Applies every event received at or before `time` (never moves backwards).
    public mutating func advance(to time: Nanos) {
        advance(toEvent: dataset.eventCount(upTo: time))
    }

    /// Applies events until `end` events have been applied (never moves backwards).
    public mutating func advance(toEvent end: Int) {
        let target = min(end, dataset.eventCount)
        guard target > position else { return }
        let base = dataset.baseTick
        let from = position
        let l3Mode = orderByOrder
        dataset.withEvents { events in
            for e in events[from..<target] {
                if l3Mode { l3.apply(e, base: base) } else { l2.apply(e, base: base) }
            }
        }
        position = target
    }

    /// The current L2 book (for L3 data, the L3 book's L2 view).
    public var book: L2Book { orderByOrder ? l3.l2 : l2 }

    /// The current L3 book (empty for L2 data).
    public var orderBook: L3Book { l3 }

    /// The current ladder, `levels` per side.
    public func ladder(levels: Int = 10) -> LadderSnapshot {
        let b = book
        return LadderSnapshot(time: time ?? 0, eventsApplied: position, bids: b.levels(.buy, maxLevels: levels),
                              asks: b.levels(.sell, maxLevels: levels))
    }

    /// The current queue at `price` on `side`, front first (empty for L2 data).
    public func queue(side: Side, price: Ticks) -> [QueueSnapshotEntry] {
        l3.queue(side, at: price).map {
            QueueSnapshotEntry(orderID: $0.orderID, originalOrderID: $0.orderID == 0 ? 0 : dataset.originalOrderID($0.orderID),
                               quantity: $0.quantity)
        }
    }
}

extension Dataset {
    /// A replayer positioned before the first event.
    public func replayer() -> DatasetReplayer { DatasetReplayer(dataset: self) }
}
