/// What the exchange's book looked like before each in-flight event (shared-book mode of
/// `Backtest`): enough to undo the events in reverse order and show the strategy its delayed
/// view, then replay them. Holds only the events applied but not yet seen locally (a handful:
/// those within one feed latency of a decision), in application order.
struct BookUndoLog: Sendable {
    /// One event's undo: the level it set (previous quantity and order count), plus the levels
    /// it removed as a side effect (a crossing update or a clear), in `removed[start..<end]`.
    struct Entry: Sendable {
        var index: Int
        var side: Side
        var setsLevel: Bool
        var price: Ticks
        var quantity: Lots
        var orders: Int32
        var removedStart: Int32
        var removedEnd: Int32
    }

    private(set) var entries: ContiguousArray<Entry> = []
    private var removedSide: ContiguousArray<Side> = []
    private var removed: ContiguousArray<BookLevel> = []

    var isEmpty: Bool { entries.isEmpty }

    /// Saves what `event` (feed index `index`) is about to change in `book`.
    mutating func record(_ event: Event, index: Int, book: L2Book, base: Ticks) {
        let start = Int32(removed.count)
        var entry = Entry(index: index, side: event.side, setsLevel: false, price: 0, quantity: 0, orders: 0,
                          removedStart: start, removedEnd: start)
        switch event.kind {
        case .depth, .snapshot:
            guard event.side == .buy || event.side == .sell else { return }
            let p = base &+ Ticks(event.price)
            entry.setsLevel = true
            entry.price = p
            entry.quantity = book.quantity(event.side, at: p)
            entry.orders = book.orderCount(event.side, at: p)
            if event.quantity > 0 {
                // A crossing update removes the other side's levels up to its price.
                if event.side == .buy && p >= book.bestAsk {
                    keep(.sell, book) { $0.price <= p }
                } else if event.side == .sell && p <= book.bestBid {
                    keep(.buy, book) { $0.price >= p }
                }
            }
        case .clear:
            if event.side == .none || event.flags.contains(.entireSide) {
                if event.side != .sell { keep(.buy, book) { _ in true } }
                if event.side != .buy { keep(.sell, book) { _ in true } }
            } else {
                let p = base &+ Ticks(event.price)
                if event.side == .buy { keep(.buy, book) { $0.price >= p } } else { keep(.sell, book) { $0.price <= p } }
            }
        default:
            return
        }
        entry.removedEnd = Int32(removed.count)
        entries.append(entry)
    }

    /// Saves the levels of `side`, best first, while `body` holds.
    private mutating func keep(_ side: Side, _ book: L2Book, _ body: (BookLevel) -> Bool) {
        var levels = removed
        var sides = removedSide
        removed = []
        removedSide = []
        book.forEachLevel(side) { level in
            guard body(level) else { return false }
            levels.append(level)
            sides.append(side)
            return true
        }
        removed = levels
        removedSide = sides
    }

    /// Drops the entries of events at feed indices below `index` (now seen locally).
    mutating func forget(before index: Int) {
        var k = 0
        while k < entries.count && entries[k].index < index { k += 1 }
        if k == 0 { return }
        if k == entries.count {
            entries.removeAll(keepingCapacity: true)
            removed.removeAll(keepingCapacity: true)
            removedSide.removeAll(keepingCapacity: true)
        } else {
            entries.removeSubrange(0..<k)
        }
    }

    /// Undoes every logged event, newest first.
    func rewind(_ book: inout L2Book) {
        for entry in entries.reversed() {
            if entry.setsLevel {
                book.set(entry.side, price: entry.price, quantity: entry.quantity, orders: entry.orders)
            }
            var i = Int(entry.removedStart)
            while i < Int(entry.removedEnd) {
                book.set(removedSide[i], price: removed[i].price, quantity: removed[i].quantity, orders: removed[i].orders)
                i += 1
            }
        }
    }

    /// Applies every logged event again, oldest first.
    func replay(_ book: inout L2Book, feed: UnsafeBufferPointer<Event>, base: Ticks) {
        for entry in entries { book.apply(feed[entry.index], base: base) }
    }
}
