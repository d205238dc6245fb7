/// The strategy's side of a backtest (hftbacktest's "local" processor): the book as the strategy
/// sees it at local time, its orders as last reported by the exchange, its position and money.
/// A strategy reads it and sends requests through it; requests leave at the current local time
/// and reach the exchange after the entry latency.
public struct Trader: Sendable {
    /// Current local time (ns): the last decision time, or the arrival time of the response
    /// being handled.
    public internal(set) var time: Nanos = 0
    /// The book as the strategy sees it (events applied at their local time).
    public var book: L2Book { l3Book?.l2 ?? l2Book }
    private var l2Book: L2Book
    /// For L3 data: the order-by-order book the strategy sees (its L2 view is `book`).
    public private(set) var l3Book: L3Book?
    /// The dataset's base tick: absolute price = base + event.price.
    public let base: Ticks
    /// Position, cash, fees, realised P&L.
    public private(set) var ledger: Ledger
    /// The strategy's orders.
    public private(set) var orders = LocalOrders()
    /// Local time of the last market event the strategy has seen.
    public private(set) var lastEventTime: Nanos = 0
    /// Feed latency of the last event (local - exchange time), ns.
    public private(set) var lastFeedLatency: Nanos = 0
    /// Requests made since the driver last sent them.
    var outbox: ContiguousArray<OrderMessage> = []
    /// One record per submitted order, in submission order.
    public private(set) var orderRecords: ContiguousArray<OrderRecord> = []
    /// Every fill, in the order the strategy learnt of them.
    public private(set) var fills: ContiguousArray<Fill> = []
    /// Counts of requests sent and of local rejections.
    public private(set) var counters = RequestCounters()
    /// Pre-trade risk checks (nil when the run sets no limit: then they cost one nil test per
    /// request and per decision).
    public internal(set) var risk: RiskGuard?
    /// Funding of a perpetual (nil for other products).
    public internal(set) var funding: FundingSchedule?
    /// Time of the next funding event to settle (`Nanos.max` when none is left).
    var nextFunding: Nanos = Nanos.min
    /// New orders on this side are refused locally (`.riskLimit`): an inventory unwind stops
    /// the quoter adding to the position it is working off (`InventoryUnwind`). `.none`: off.
    public internal(set) var blockedSide: Side = .none
    /// Id of the last liquidation order (margin calls).
    var liquidationID: OrderID = 1 << 59

    /// - Parameter orderByOrder: keep an L3 book (for L3 data: add, cancel, modify, execute
    ///   events); otherwise an L2 book.
    public init(base: Ticks, valuation: Valuation, orderByOrder: Bool = false) {
        self.base = base
        l2Book = L2Book()
        l3Book = orderByOrder ? L3Book() : nil
        ledger = Ledger(valuation: valuation)
    }

    /// The position in lots.
    @inlinable public var position: Lots { ledger.position }
    public var bestBid: Ticks { l3Book?.bestBid ?? l2Book.bestBid }
    public var bestAsk: Ticks { l3Book?.bestAsk ?? l2Book.bestAsk }
    /// Best bid + best ask (half ticks), or nil when a side is empty.
    public var midHalfTicks: Int64? {
        let b = bestBid, a = bestAsk
        return b != Ticks.min && a != Ticks.max ? b &+ a : nil
    }

    // MARK: - Requests

    /// Sends a new order. Returns nil when sent, or why it was refused locally (a live order
    /// already has this id; non-positive quantity; no side).
    @discardableResult
    public mutating func submit(_ request: OrderRequest) -> RejectReason? {
        if orders.contains(request.id) { counters.localRejects += 1; return .duplicateOrderID }
        if request.quantity <= 0 { counters.localRejects += 1; return .invalidQuantity }
        if request.side == .none { counters.localRejects += 1; return .invalidOrder }
        if request.side == blockedSide { counters.localRejects += 1; return .riskLimit }
        if risk != nil, riskRefuses(request.id, request.side, request.quantity, added: request.quantity,
                                    price: request.type == .limit || request.type == .stopLimit ? request.price : 0,
                                    isModify: false)
        {
            counters.localRejects += 1
            return .riskLimit
        }
        let record = Int32(orderRecords.count)
        orderRecords.append(OrderRecord(id: request.id, side: request.side, type: request.type,
                                        timeInForce: request.timeInForce, price: request.price,
                                        stopPrice: request.stopPrice, quantity: request.quantity, executed: 0,
                                        executedTickLots: 0, status: .pendingNew, reason: .none, submitTime: time,
                                        lastUpdateTime: time, acceptTime: 0, fills: 0, modifies: 0,
                                        cancelRequested: false))
        orders.insert(LocalOrder(id: request.id, side: request.side, type: request.type,
                                 timeInForce: request.timeInForce, price: request.price, stopPrice: request.stopPrice,
                                 quantity: request.quantity, leaves: request.quantity, executed: 0,
                                 status: .pendingNew, pending: .new, submitTime: time, requestTime: time,
                                 record: record))
        outbox.append(OrderMessage(kind: .new, request: request, time: time))
        counters.submitted += 1
        return nil
    }

    /// Asks to cancel order `id`. Returns nil when sent, or why not (unknown id; a request for
    /// it is in flight, including its own submission; it already ended).
    @discardableResult
    public mutating func cancel(_ id: OrderID) -> RejectReason? {
        guard let o = orders[id] else { counters.localRejects += 1; return .unknownOrder }
        if o.pending != .none { counters.localRejects += 1; return .requestInFlight }
        if o.status.isFinal { counters.localRejects += 1; return .unknownOrder }
        orders.update(id) { $0.pending = .cancel; $0.requestTime = time }
        orderRecords[Int(o.record)].cancelRequested = true
        var m = OrderMessage(kind: .cancel, request: o.request, time: time)
        m.leaves = o.leaves
        outbox.append(m)
        counters.cancels += 1
        return nil
    }

    /// Asks to change order `id` to `price` (absolute ticks) and a total `quantity` (lots).
    /// Returns nil when sent, or why not. The local order keeps its old price and quantity
    /// until the exchange answers.
    @discardableResult
    public mutating func modify(_ id: OrderID, price: Ticks, quantity: Lots, stopPrice: Ticks? = nil) -> RejectReason? {
        guard let o = orders[id] else { counters.localRejects += 1; return .unknownOrder }
        if o.pending != .none { counters.localRejects += 1; return .requestInFlight }
        if o.status.isFinal { counters.localRejects += 1; return .unknownOrder }
        if quantity <= o.executed { counters.localRejects += 1; return .invalidQuantity }
        if risk != nil, riskRefuses(id, o.side, quantity - o.executed, added: max(0, quantity - o.executed - o.leaves),
                                    price: o.type == .limit || o.type == .stopLimit ? price : 0, isModify: true)
        {
            counters.localRejects += 1
            return .riskLimit
        }
        orders.update(id) { $0.pending = .modify; $0.requestTime = time }
        orderRecords[Int(o.record)].modifies += 1
        var r = o.request
        r.price = price
        r.quantity = quantity
        if let sp = stopPrice { r.stopPrice = sp }
        outbox.append(OrderMessage(kind: .modify, request: r, time: time))
        counters.modifies += 1
        return nil
    }

    // MARK: - Risk and funding

    /// Open (unfilled, live) lots of the strategy's buy and sell orders.
    public var openQuantities: (buys: Lots, sells: Lots) {
        var b: Lots = 0, s: Lots = 0
        for o in orders where !o.status.isFinal {
            if o.side == .buy { b += o.leaves } else { s += o.leaves }
        }
        return (b, s)
    }

    private mutating func riskRefuses(_ id: OrderID, _ side: Side, _ quantity: Lots, added: Lots, price: Ticks,
                                      isModify: Bool) -> Bool
    {
        let open = openQuantities
        return risk!.check(id: id, side: side, quantity: quantity, added: added, price: price, isModify: isModify,
                           time: time, position: ledger.position, openBuys: open.buys, openSells: open.sells,
                           midHalfTicks: midHalfTicks) != nil
    }

    /// Turns risk limits on (or off with nil) for the rest of the run.
    public mutating func setRiskLimits(_ limits: RiskLimits?) {
        risk = limits.flatMap { $0.isEmpty ? nil : RiskGuard(limits: $0, valuation: ledger.valuation) }
    }

    /// Sets the funding schedule of a perpetual.
    public mutating func setFunding(_ schedule: FundingSchedule?) {
        funding = schedule
        nextFunding = Nanos.min
    }

    /// Called by the driver at each decision before the strategy decides: settles funding due
    /// and runs the drawdown kill switch and the VaR monitor (cancelling orders when it fires).
    mutating func beforeDecision() {
        if let f = funding { settleFunding(f) }
        if risk != nil {
            let mid = midHalfTicks
            let equity = mid.map { ledger.equity(markHalfTicks: $0) }
            if let mode = risk!.decide(time: time, equity: equity, position: ledger.position, midHalfTicks: mid) {
                let position = ledger.position
                var doomed: [OrderID] = []
                for o in orders where o.isCancellable {
                    let adds = o.side == .buy ? position >= 0 : position <= 0
                    if mode == .halted || adds { doomed.append(o.id) }
                }
                for id in doomed { cancel(id) }
            }
            if risk!.capitalMoney != nil, risk!.marginCall(time: time, equity: equity, position: ledger.position, midHalfTicks: mid) {
                liquidate()
            }
        }
    }

    /// Margin call: cancels every order and sends a reduce-only market order (IOC) for the
    /// whole position, past the pre-trade checks (ids from 2⁵⁹). Not while one is still live.
    private mutating func liquidate() {
        if let o = orders[liquidationID], !o.status.isFinal { return }
        for o in orders where o.isCancellable { cancel(o.id) }
        let p = ledger.position
        guard p != 0 else { return }
        liquidationID += 1
        let g = risk
        risk = nil
        submit(.market(id: liquidationID, side: p > 0 ? .sell : .buy, quantity: abs(p)))
        risk = g
    }

    private mutating func settleFunding(_ f: FundingSchedule) {
        if nextFunding == Nanos.min {
            // Not started by the driver: from the first event seen.
            nextFunding = f.next(after: lastEventTime > 0 ? lastEventTime - 1 : time - 1)?.time ?? Nanos.max
        }
        while nextFunding <= time {
            guard let e = f.next(after: nextFunding - 1) else { nextFunding = Nanos.max; break }
            let mark = e.markHalfTicks != 0 ? e.markHalfTicks : (midHalfTicks ?? 0)
            if mark > 0 && ledger.position != 0 {
                ledger.applyFunding(FundingSchedule.payment(position: ledger.position, markHalfTicks: mark, rate: e.rate,
                                                            valuation: ledger.valuation))
            }
            nextFunding = f.next(after: e.time)?.time ?? Nanos.max
        }
    }

    /// Forgets orders that ended (filled, cancelled, expired, rejected), as hftbacktest's
    /// `clear_inactive_orders`. Their records stay in `orderRecords`.
    public mutating func clearInactiveOrders() { orders.removeFinished() }

    // MARK: - Driver

    /// Applies a market event at its local time.
    @inline(__always)
    mutating func apply(_ event: Event) {
        if l3Book != nil { l3Book!.apply(event, base: base) } else { l2Book.apply(event, base: base) }
        lastEventTime = event.localTime
        lastFeedLatency = event.localTime &- event.exchTime
    }

    /// Records the last market event the strategy has seen without applying it (the driver's
    /// shared-book mode keeps the book elsewhere).
    @inline(__always)
    mutating func saw(_ event: Event) {
        lastEventTime = event.localTime
        lastFeedLatency = event.localTime &- event.exchTime
    }

    /// Exchanges the trader's book with `other` (O(1): the storage moves, nothing is copied).
    mutating func swapBook(_ other: inout L2Book) { swap(&l2Book, &other) }

    /// Exchanges the book views (L2 and L3) of two traders, O(1): a live venue lends the bot's
    /// view to its manual account while an execution algorithm decides on it.
    mutating func exchangeBooks(with other: inout Trader) {
        swap(&l2Book, &other.l2Book)
        swap(&l3Book, &other.l3Book)
    }

    /// Takes the requests made since the last call.
    mutating func takeOutbox(into sink: (OrderMessage) -> Void) {
        for m in outbox { sink(m) }
        outbox.removeAll(keepingCapacity: true)
    }

    /// Handles a response arriving at local time `t`. Returns the fill it carries, if any.
    mutating func receive(_ m: OrderMessage, at t: Nanos) -> Fill? {
        var fill: Fill? = nil
        if m.kind == .fill {
            ledger.apply(side: m.side, price: m.fillPrice, quantity: m.fillQuantity, value: m.value, fee: m.fee)
            let f = Fill(orderID: m.id, side: m.side, isMaker: m.isMaker, price: m.fillPrice, quantity: m.fillQuantity,
                         leaves: m.leaves, exchangeTime: m.exchangeTime, localTime: t, markHalfTicks: m.markHalfTicks,
                         value: m.value, fee: m.fee, positionAfter: ledger.position)
            fills.append(f)
            fill = f
        }
        guard let o = orders[m.id] else { return fill }
        let rec = Int(o.record)
        if m.kind == .reject {
            // A rejection answers one request; it changes nothing else.
            if m.answers == .new && o.status == .pendingNew && o.requestTime == m.requestTime {
                orders.update(m.id) { $0.status = .rejected; $0.pending = .none }
                orderRecords[rec].status = .rejected
                orderRecords[rec].reason = m.reason
            } else if m.answers.matches(o.pending) && o.requestTime == m.requestTime {
                orders.update(m.id) { $0.pending = .none }
                if orderRecords[rec].reason == .none { orderRecords[rec].reason = m.reason }
            }
            orderRecords[rec].lastUpdateTime = t
            counters.exchangeRejects += 1
            return fill
        }
        orders.update(m.id) { lo in
            lo.status = m.status
            lo.leaves = m.leaves
            lo.executed = m.executed
            lo.price = m.price
            lo.quantity = m.quantity
            lo.stopPrice = m.stopPrice
            lo.type = m.type
            if m.status.isFinal || m.answers.matches(lo.pending) {
                lo.pending = .none
            }
        }
        orderRecords[rec].status = m.status
        orderRecords[rec].executed = m.executed
        orderRecords[rec].lastUpdateTime = t
        orderRecords[rec].price = m.price
        orderRecords[rec].quantity = m.quantity
        if m.reason != .none { orderRecords[rec].reason = m.reason }
        if orderRecords[rec].acceptTime == 0 && (m.status == .new || m.status == .partiallyFilled || m.kind == .fill) {
            orderRecords[rec].acceptTime = m.exchangeTime
        }
        if m.kind == .fill {
            orderRecords[rec].fills += 1
            orderRecords[rec].executedTickLots += m.fillPrice * m.fillQuantity
        }
        return fill
    }
}

/// Numbers of requests the strategy sent and of refusals.
public struct RequestCounters: Sendable, Equatable {
    public var submitted = 0
    public var cancels = 0
    public var modifies = 0
    /// Requests refused before leaving the strategy (bad id, request in flight...).
    public var localRejects = 0
    /// Requests the exchange (or the venue, via latency) refused.
    public var exchangeRejects = 0
    public init() {}
    /// Order messages sent: submissions + cancels + modifies.
    public var messages: Int { submitted + cancels + modifies }
}

/// Which request of the strategy's is waiting for an answer.
public enum PendingRequest: UInt8, Sendable, BitwiseCopyable {
    case none = 0
    case new = 1
    case cancel = 2
    case modify = 3
}

extension MessageKind {
    /// True when this is the request kind `pending` waits for.
    func matches(_ pending: PendingRequest) -> Bool {
        switch (self, pending) {
        case (.new, .new), (.cancel, .cancel), (.modify, .modify): return true
        default: return false
        }
    }
}

/// One of the strategy's orders as it knows it.
public struct LocalOrder: Sendable, BitwiseCopyable, Equatable {
    public var id: OrderID
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    public var price: Ticks
    public var stopPrice: Ticks
    public var quantity: Lots
    public var leaves: Lots
    public var executed: Lots
    public var status: OrderStatus
    /// A request for this order waiting for the exchange's answer.
    public var pending: PendingRequest
    /// Local time of the submission and of the last request.
    public var submitTime: Nanos
    public var requestTime: Nanos
    /// Index of the order's record in `Trader.orderRecords`.
    public var record: Int32

    /// Resting or waiting and no request in flight (hftbacktest's `cancellable`).
    @inlinable public var isCancellable: Bool {
        (status == .new || status == .partiallyFilled) && pending == .none
    }

    var request: OrderRequest {
        OrderRequest(id: id, side: side, type: type, timeInForce: timeInForce, price: price, stopPrice: stopPrice,
                     quantity: quantity)
    }
}

/// The strategy's orders: contiguous slots, an id index, iteration in slot order (deterministic;
/// never over a hash map).
public struct LocalOrders: Sendable, Sequence {
    private var slots: ContiguousArray<LocalOrder> = []
    private var used: ContiguousArray<Bool> = []
    private var free: ContiguousArray<Int32> = []
    private var index = SlotIndex()
    /// Orders with a final status still held (so `removeFinished` can skip its scan).
    private var finished = 0

    public init() {}

    /// Number of orders held.
    public var count: Int { index.count }
    public var isEmpty: Bool { index.count == 0 }

    /// True when an order with this id is held. O(1).
    public func contains(_ id: OrderID) -> Bool { index.find(id) >= 0 }

    public subscript(id: OrderID) -> LocalOrder? {
        let s = index.find(id)
        return s >= 0 ? slots[Int(s)] : nil
    }

    mutating func insert(_ o: LocalOrder) {
        let s: Int32
        if let f = free.popLast() {
            s = f
            slots[Int(s)] = o
            used[Int(s)] = true
        } else {
            s = Int32(slots.count)
            slots.append(o)
            used.append(true)
        }
        index.set(o.id, s)
    }

    @inline(__always)
    mutating func update(_ id: OrderID, _ body: (inout LocalOrder) -> Void) {
        let s = index.find(id)
        if s >= 0 {
            let wasFinal = slots[Int(s)].status.isFinal
            body(&slots[Int(s)])
            if slots[Int(s)].status.isFinal != wasFinal { finished += wasFinal ? -1 : 1 }
        }
    }

    mutating func removeFinished() {
        if finished == 0 { return }
        for i in slots.indices where used[i] && slots[i].status.isFinal {
            index.remove(slots[i].id)
            used[i] = false
            free.append(Int32(i))
        }
        finished = 0
    }

    public struct Iterator: IteratorProtocol {
        let orders: LocalOrders
        var i = 0
        public mutating func next() -> LocalOrder? {
            while i < orders.slots.count {
                defer { i += 1 }
                if orders.used[i] { return orders.slots[i] }
            }
            return nil
        }
    }

    /// Iterates the orders in slot order.
    public func makeIterator() -> Iterator { Iterator(orders: self) }
}
