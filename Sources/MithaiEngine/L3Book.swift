/// One entry of a level's queue: a known order, or the level's anonymous quantity (`orderID == 0`).
public struct QueueEntry: Sendable, Equatable, CustomStringConvertible {
    /// Dense order handle; 0 for the anonymous quantity at the front of the queue.
    public var orderID: UInt32
    public var quantity: Lots

    public init(orderID: UInt32, quantity: Lots) {
        self.orderID = orderID
        self.quantity = quantity
    }

    public var description: String { orderID == 0 ? "anon:\(quantity)" : "#\(orderID):\(quantity)" }
}

/// A resting order as the book knows it.
public struct RestingOrder: Sendable, Equatable {
    public var orderID: UInt32
    public var side: Side
    public var price: Ticks
    public var quantity: Lots
}

/// A market-by-order (L3) book: orders queue FIFO per price level.
///
/// Storage: orders live in one contiguous array indexed by their dense handle (the dataset's
/// `orderID`, 1, 2, 3, …), linked into per-level FIFO queues by integer indices; levels live in
/// a pool with a free list; an `L2Book` mirror holds every level's total, so best prices, depth
/// iteration and the L2 view come for free. No class per order.
///
/// **Anonymous quantity.** Data often starts with orders already resting (or, like LOBSTER,
/// omits messages outside the recorded depth), so a level may hold quantity no known order
/// accounts for. Each level keeps such quantity as one anonymous entry at the front of its
/// queue (it is older than every order the book has seen). It grows through `depth`/`snapshot`
/// events (which set a level's total, see `setLevelTotal`) and shrinks when an order the book
/// never saw is executed or cancelled at that level.
///
/// **Modify semantics.** A modify keeps queue position only when the price is unchanged and the
/// quantity does not grow; otherwise the order moves to the back of its (new) level.
///
/// **Over-sized removals.** A cancel or execution larger than what remains of the order removes
/// the order; the excess is taken from the level's anonymous quantity, clamped at zero, and
/// counted in `discrepancies`.
///
/// Complexity: add, cancel, execute: O(1) plus one hash lookup of the level; queue position:
/// O(orders ahead); `setLevelTotal` below the known quantity: O(orders removed).
///
/// Invariants (`checkInvariants`): every live order is in exactly one queue, with a positive
/// quantity, its level's side and price; per level, total = anonymous + Σ order quantities,
/// anonymous >= 0, and the L2 mirror holds that total and the order count; empty levels are
/// removed.
public struct L3Book: Sendable {
    @usableFromInline
    struct OrderSlot: Sendable {
        var price: Ticks = 0
        var quantity: Lots = 0
        var previous: Int32 = -1
        var next: Int32 = -1
        var level: Int32 = -1
        var side: Side = .none
        var isLive: Bool = false
    }

    @usableFromInline
    struct LevelSlot: Sendable {
        var price: Ticks = 0
        var side: Side = .none
        var head: Int32 = -1
        var tail: Int32 = -1
        var orderCount: Int32 = 0
        var known: Lots = 0
        var anonymous: Lots = 0
        var nextFree: Int32 = -1
        var total: Lots { known + anonymous }
    }

    private struct LevelKey: Hashable, Sendable {
        var price: Ticks
        var side: Side
    }

    private var orders = ContiguousArray<OrderSlot>()
    private var levels = ContiguousArray<LevelSlot>()
    private var freeLevel: Int32 = -1
    private var levelIndex: [LevelKey: Int32] = [:]
    /// The book's L2 view: every level's total quantity and order count (anonymous quantity
    /// counts as one order). Never auto-uncrossed: it mirrors the orders exactly.
    public private(set) var l2: L2Book
    /// Number of live orders.
    public private(set) var liveOrders: Int = 0
    /// Events that referred to an order the book does not hold (applied to anonymous quantity).
    public private(set) var unknownOrderEvents: Int = 0
    /// Removals larger than the order, and `setLevelTotal` calls that had to remove known orders.
    public private(set) var discrepancies: Int = 0

    /// - Parameter windowTicks: width of the L2 mirror's dense window (see `L2Book`).
    public init(windowTicks: Int = 1 << 16) {
        l2 = L2Book(windowTicks: windowTicks, crossing: .allowCrossed)
    }

    // MARK: Queries

    public var bestBid: Ticks { l2.bestBid }
    public var bestAsk: Ticks { l2.bestAsk }

    /// The order with handle `orderID`, if it is resting.
    public func order(_ orderID: UInt32) -> RestingOrder? {
        let i = Int(orderID)
        guard i < orders.count, orders[i].isLive else { return nil }
        let o = orders[i]
        return RestingOrder(orderID: orderID, side: o.side, price: o.price, quantity: o.quantity)
    }

    /// The queue at `price` on `side`, front first (anonymous quantity first when present).
    public func queue(_ side: Side, at price: Ticks) -> [QueueEntry] {
        guard let li = levelIndex[LevelKey(price: price, side: side)] else { return [] }
        let level = levels[Int(li)]
        var out: [QueueEntry] = []
        if level.anonymous > 0 { out.append(QueueEntry(orderID: 0, quantity: level.anonymous)) }
        var o = level.head
        while o >= 0 {
            out.append(QueueEntry(orderID: UInt32(o), quantity: orders[Int(o)].quantity))
            o = orders[Int(o)].next
        }
        return out
    }

    /// Quantity and number of queue entries ahead of order `orderID` at its level (anonymous
    /// quantity counts as one entry), or nil if the order is not resting. O(orders ahead).
    public func queuePosition(of orderID: UInt32) -> (quantityAhead: Lots, entriesAhead: Int)? {
        let i = Int(orderID)
        guard i < orders.count, orders[i].isLive else { return nil }
        let level = levels[Int(orders[i].level)]
        var ahead = level.anonymous
        var n = level.anonymous > 0 ? 1 : 0
        var o = level.head
        while o >= 0 && Int(o) != i {
            ahead += orders[Int(o)].quantity
            n += 1
            o = orders[Int(o)].next
        }
        return (ahead, n)
    }

    /// The first known order of the queue at `price` on `side` (anonymous quantity is not an
    /// order and is skipped), or nil. O(1) after the level lookup; allocates nothing.
    public func frontOrder(_ side: Side, at price: Ticks) -> RestingOrder? {
        guard let li = levelIndex[LevelKey(price: price, side: side)] else { return nil }
        let h = levels[Int(li)].head
        guard h >= 0 else { return nil }
        let o = orders[Int(h)]
        return RestingOrder(orderID: UInt32(h), side: o.side, price: o.price, quantity: o.quantity)
    }

    /// The anonymous quantity at `price` on `side`.
    public func anonymousQuantity(_ side: Side, at price: Ticks) -> Lots {
        guard let li = levelIndex[LevelKey(price: price, side: side)] else { return 0 }
        return levels[Int(li)].anonymous
    }

    /// The known orders at `price` on `side`, front first.
    public func orders(_ side: Side, at price: Ticks) -> [RestingOrder] {
        queue(side, at: price).filter { $0.orderID != 0 }.map { order($0.orderID)! }
    }

    // MARK: Mutations

    /// Errors for operations that cannot apply.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case duplicateOrder(UInt32)
        case invalidOrder(UInt32)
        case invalidQuantity(Lots)
        case invalidSide

        public var description: String {
            switch self {
            case .duplicateOrder(let id): return "order \(id) is already resting"
            case .invalidOrder(let id): return "order handle \(id) is invalid (handles start at 1)"
            case .invalidQuantity(let q): return "quantity \(q) must be positive"
            case .invalidSide: return "order side must be buy or sell"
            }
        }
    }

    /// Adds order `orderID` at the back of the queue at `price` on `side`.
    public mutating func add(_ orderID: UInt32, side: Side, price: Ticks, quantity: Lots) throws(Failure) {
        guard orderID != 0, orderID != UInt32.max else { throw .invalidOrder(orderID) }
        guard side != .none else { throw .invalidSide }
        guard quantity > 0 else { throw .invalidQuantity(quantity) }
        let i = Int(orderID)
        if i >= orders.count {
            orders.append(contentsOf: repeatElement(OrderSlot(), count: max(i + 1 - orders.count, orders.count)))
        }
        guard !orders[i].isLive else { throw .duplicateOrder(orderID) }
        let li = levelFor(side: side, price: price)
        orders[i] = OrderSlot(price: price, quantity: quantity, previous: levels[li].tail, next: -1,
                              level: Int32(li), side: side, isLive: true)
        if levels[li].tail >= 0 { orders[Int(levels[li].tail)].next = Int32(i) } else { levels[li].head = Int32(i) }
        levels[li].tail = Int32(i)
        levels[li].orderCount += 1
        levels[li].known += quantity
        liveOrders += 1
        publish(li)
    }

    /// Removes `quantity` from order `orderID` (all of it when `full`). For an order the book
    /// does not hold, the quantity is taken from the anonymous quantity at `price` on `side`.
    public mutating func cancel(_ orderID: UInt32, quantity: Lots, full: Bool, side: Side, price: Ticks) {
        reduce(orderID, quantity: quantity, full: full, side: side, price: price)
    }

    /// Executes `quantity` of resting order `orderID` (see `cancel` for unknown orders).
    public mutating func execute(_ orderID: UInt32, quantity: Lots, side: Side, price: Ticks) {
        reduce(orderID, quantity: quantity, full: false, side: side, price: price)
    }

    /// Changes order `orderID` to `price` and `quantity` (see *Modify semantics*). A modify of an
    /// unknown order adds it.
    public mutating func modify(_ orderID: UInt32, side: Side, price: Ticks, quantity: Lots) throws(Failure) {
        let i = Int(orderID)
        guard i < orders.count, orders[i].isLive else {
            unknownOrderEvents += 1
            if quantity > 0 { try add(orderID, side: side, price: price, quantity: quantity) }
            return
        }
        if quantity <= 0 {
            remove(i)
            return
        }
        if orders[i].price == price && quantity <= orders[i].quantity {
            let li = Int(orders[i].level)
            levels[li].known -= orders[i].quantity - quantity
            orders[i].quantity = quantity
            publish(li)
            return
        }
        let orderSide = orders[i].side
        remove(i)
        try add(orderID, side: side == .none ? orderSide : side, price: price, quantity: quantity)
    }

    /// Sets the total quantity of the level at `price` on `side` to `total`. The difference from
    /// the known orders becomes the level's anonymous quantity; when `total` is below what the
    /// known orders hold, the anonymous quantity drops to zero and known orders are reduced from
    /// the back of the queue (newest first), which counts as a discrepancy.
    public mutating func setLevelTotal(_ side: Side, price: Ticks, total: Lots) {
        guard side != .none else { return }
        let key = LevelKey(price: price, side: side)
        guard let found = levelIndex[key] else {
            if total > 0 {
                let li = levelFor(side: side, price: price)
                levels[li].anonymous = total
                publish(li)
            }
            return
        }
        let li = Int(found)
        if total >= levels[li].known {
            levels[li].anonymous = total - levels[li].known
            publish(li)
            return
        }
        discrepancies += 1
        levels[li].anonymous = 0
        var excess = levels[li].known - max(total, 0)
        while excess > 0 {
            let o = Int(levels[li].tail)
            let q = orders[o].quantity
            if q <= excess {
                excess -= q
                remove(o)  // may release the level when it empties
            } else {
                orders[o].quantity -= excess
                levels[li].known -= excess
                excess = 0
                publish(li)
            }
        }
        if levelIndex[key] != nil { publish(li) }
    }

    /// Removes the orders and anonymous quantity of `side` from `price` to the touch (bids at or
    /// above, asks at or below); `side == .none` empties the book.
    public mutating func clear(_ side: Side, from price: Ticks) {
        var doomed: [Int32] = []
        for (key, li) in levelIndex where side == .none || key.side == side {
            if side == .none || (side == .buy ? key.price >= price : key.price <= price) { doomed.append(li) }
        }
        doomed.sort()  // deterministic release order
        for li in doomed { releaseLevelAndOrders(Int(li)) }
    }

    /// Removes every order and level of `side` (`.none`: the whole book).
    public mutating func clear(_ side: Side) {
        clear(side, from: side == .buy ? Ticks.min : Ticks.max)
    }

    /// Applies one event:
    /// - `add`, `cancel`, `modify`, `execute` act on `orderID`;
    /// - `depth`/`snapshot` set the level's total (`setLevelTotal`); `clear` clears;
    /// - `trade`, `executeHidden`, `bbo`, `status` leave the book unchanged.
    /// An invalid `add` (duplicate handle, non-positive quantity) is counted as a discrepancy
    /// and otherwise ignored. `base` is the dataset's base tick.
    public mutating func apply(_ event: Event, base: Ticks) {
        let price = base &+ Ticks(event.price)
        let quantity = Lots(event.quantity)
        switch event.kind {
        case .add:
            do { try add(event.orderID, side: event.side, price: price, quantity: quantity) } catch { discrepancies += 1 }
        case .cancel:
            reduce(event.orderID, quantity: quantity, full: event.flags.contains(.fullCancel), side: event.side, price: price)
        case .execute:
            reduce(event.orderID, quantity: quantity, full: false, side: event.side, price: price)
        case .modify:
            do { try modify(event.orderID, side: event.side, price: price, quantity: quantity) } catch { discrepancies += 1 }
        case .depth, .snapshot:
            setLevelTotal(event.side, price: price, total: quantity)
        case .clear:
            if event.side == .none || event.flags.contains(.entireSide) { clear(event.side) } else { clear(event.side, from: price) }
        case .trade, .executeHidden, .bbo, .status:
            break
        }
    }

    // MARK: Internals

    private mutating func reduce(_ orderID: UInt32, quantity: Lots, full: Bool, side: Side, price: Ticks) {
        let i = Int(orderID)
        guard orderID != 0, i < orders.count, orders[i].isLive else {
            unknownOrderEvents += 1
            takeAnonymous(side: side, price: price, quantity: quantity)
            return
        }
        let remaining = orders[i].quantity
        if full || quantity >= remaining {
            let excess = full ? 0 : quantity - remaining
            let orderSide = orders[i].side
            let orderPrice = orders[i].price
            remove(i)
            if excess > 0 {
                discrepancies += 1
                takeAnonymous(side: orderSide, price: orderPrice, quantity: excess)
            }
            return
        }
        guard quantity > 0 else { return }
        let li = Int(orders[i].level)
        orders[i].quantity = remaining - quantity
        levels[li].known -= quantity
        publish(li)
    }

    private mutating func takeAnonymous(side: Side, price: Ticks, quantity: Lots) {
        guard let found = levelIndex[LevelKey(price: price, side: side)] else { return }
        let li = Int(found)
        levels[li].anonymous = max(0, levels[li].anonymous - max(quantity, 0))
        publish(li)
    }

    /// Unlinks order slot `i` from its level and frees it.
    private mutating func remove(_ i: Int) {
        let li = Int(orders[i].level)
        let previous = orders[i].previous
        let next = orders[i].next
        if previous >= 0 { orders[Int(previous)].next = next } else { levels[li].head = next }
        if next >= 0 { orders[Int(next)].previous = previous } else { levels[li].tail = previous }
        levels[li].orderCount -= 1
        levels[li].known -= orders[i].quantity
        orders[i] = OrderSlot()
        liveOrders -= 1
        publish(li)
    }

    /// The level slot for (side, price), creating it if needed.
    private mutating func levelFor(side: Side, price: Ticks) -> Int {
        let key = LevelKey(price: price, side: side)
        if let li = levelIndex[key] { return Int(li) }
        let li: Int
        if freeLevel >= 0 {
            li = Int(freeLevel)
            freeLevel = levels[li].nextFree
        } else {
            li = levels.count
            levels.append(LevelSlot())
        }
        levels[li] = LevelSlot(price: price, side: side)
        levelIndex[key] = Int32(li)
        return li
    }

    /// Pushes level `li`'s total to the L2 mirror and releases the level when it is empty.
    private mutating func publish(_ li: Int) {
        let level = levels[li]
        let count = level.orderCount + (level.anonymous > 0 ? 1 : 0)
        l2.set(level.side, price: level.price, quantity: level.total, orders: level.total > 0 ? count : 0)
        if level.total == 0 && level.orderCount == 0 {
            levelIndex[LevelKey(price: level.price, side: level.side)] = nil
            levels[li] = LevelSlot()
            levels[li].nextFree = freeLevel
            freeLevel = Int32(li)
        }
    }

    private mutating func releaseLevelAndOrders(_ li: Int) {
        var o = levels[li].head
        while o >= 0 {
            let next = orders[Int(o)].next
            orders[Int(o)] = OrderSlot()
            liveOrders -= 1
            o = next
        }
        levels[li].head = -1
        levels[li].tail = -1
        levels[li].orderCount = 0
        levels[li].known = 0
        levels[li].anonymous = 0
        publish(li)
    }

    // MARK: Invariants

    /// Verifies every invariant; traps on violation. O(orders + levels + L2 window).
    /// - Parameter allowCrossed: when false, also demands `bestBid < bestAsk`.
    public func checkInvariants(allowCrossed: Bool = true) {
        l2.checkInvariants()
        var seen = 0
        var levelsPerSide = [0, 0]
        for (key, li) in levelIndex {
            let level = levels[Int(li)]
            precondition(level.price == key.price && level.side == key.side, "level index points at the wrong level")
            precondition(level.anonymous >= 0, "negative anonymous quantity at \(key.price)")
            var sum: Lots = 0
            var n: Int32 = 0
            var previous: Int32 = -1
            var o = level.head
            while o >= 0 {
                let order = orders[Int(o)]
                precondition(order.isLive, "dead order \(o) linked in a queue")
                precondition(order.level == li && order.price == level.price && order.side == level.side,
                             "order \(o) linked in the wrong level")
                precondition(order.quantity > 0, "order \(o) has quantity \(order.quantity)")
                precondition(order.previous == previous, "broken back link at order \(o)")
                sum += order.quantity
                n += 1
                previous = o
                o = order.next
            }
            precondition(level.tail == previous, "tail does not end the queue at \(key.price)")
            precondition(sum == level.known, "level \(key.price): orders sum \(sum) != known \(level.known)")
            precondition(n == level.orderCount, "level \(key.price): \(n) orders linked, \(level.orderCount) counted")
            precondition(level.total > 0 || n > 0, "empty level \(key.price) kept")
            precondition(l2.quantity(key.side, at: key.price) == level.total, "L2 mirror disagrees at \(key.price)")
            seen += Int(n)
            levelsPerSide[key.side == .buy ? 0 : 1] += 1
        }
        precondition(seen == liveOrders, "\(seen) orders in queues, \(liveOrders) live")
        precondition(orders.reduce(0) { $0 + ($1.isLive ? 1 : 0) } == liveOrders, "live order count drifted")
        precondition(l2.levelCount(.buy) == levelsPerSide[0] && l2.levelCount(.sell) == levelsPerSide[1],
                     "L2 mirror has levels the L3 book does not")
        if !allowCrossed { precondition(!l2.isCrossed, "book crossed: \(l2.bestBid) >= \(l2.bestAsk)") }
    }

    /// `checkInvariants()` in debug builds only.
    public func debugCheckInvariants(allowCrossed: Bool = true) {
        #if DEBUG
        checkInvariants(allowCrossed: allowCrossed)
        #endif
    }
}
