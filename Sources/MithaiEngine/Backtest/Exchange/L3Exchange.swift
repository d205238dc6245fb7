/// An exchange simulator over L3 data (market by order) with exact FIFO queue positions
/// (hftbacktest's `L3FIFOQueueModel` with `L3NoPartialFillExchange`).
///
/// The historical orders live in an `L3Book` in FIFO order per level. Each market order gets an
/// arrival rank when it is added (and again when a modify costs it its priority: a new price
/// or a larger quantity); level quantity the book cannot attribute to an order (anonymous) is
/// older than everything. Our order joins the back of its level: it gets the next rank, so
/// everything resting there is ahead of it.
///
/// Fills (entire order, as maker at its price; no partial fills):
/// - an execution of a market order ranked *after* ours at our price: the FIFO matched through
///   us first;
/// - an execution at a price worse than ours (a buy of ours above an executed bid): the
///   aggressor went through our level;
/// - the opposite best reaching our price (an add or level update crossing it).
/// Executions of orders ahead of us just shrink the queue ahead (the book does that). Prints
/// without an order (`trade`, `executeHidden`) do not move our queue position (they set the
/// last price). Marketable orders execute entirely at the opposite best as taker. Order types:
/// limit (GTC, GTX, IOC, FOK) and market; stop orders are rejected (`invalidOrder`) by this
/// exchange. Modify and cancel as in `L2Exchange`.
///
/// Our orders never change the historical book. Invariants: `checkInvariants`.
public struct L3Exchange<Fees: FeeModel>: ExchangeModel {
    public private(set) var l3 = L3Book()
    public var outbox: ContiguousArray<OrderMessage> = []
    public private(set) var totals = ExchangeTotals()
    public let base: Ticks
    public private(set) var fees: Fees
    public let valuation: Valuation
    public private(set) var now: Nanos = 0
    public private(set) var lastTradePrice: Ticks? = nil

    /// Arrival rank of each market order by handle (0 = unknown: anonymous, ahead of all).
    private var arrival: ContiguousArray<UInt64> = []
    private var rank: UInt64 = 0
    private var orders: ContiguousArray<Order> = []     // our live orders, arrival order
    private var byID = SlotIndex()                       // id -> index in `orders` (rebuilt on removal)

    struct Order: Sendable {
        var id: OrderID
        var side: Side
        var type: OrderType
        var timeInForce: TimeInForce
        var price: Ticks
        var quantity: Lots
        var leaves: Lots
        var executed: Lots
        var rank: UInt64
        var requestTime: Nanos
    }

    public init(base: Ticks, fees: Fees, valuation: Valuation) {
        self.base = base
        var f = fees
        f.bind(to: valuation)
        self.fees = f
        self.valuation = valuation
    }

    public static var supportsSharedBook: Bool { false }
    public var book: L2Book { l3.l2 }
    public var restingCount: Int { orders.count }

    public mutating func withBook<R>(_ body: (inout L2Book) -> R) -> R {
        preconditionFailure("L3Exchange does not lend its book (shared-book mode is for L2 exchanges)")
    }

    // MARK: Market events

    @discardableResult
    public mutating func process(_ event: Event) -> Bool {
        now = event.exchTime
        let before = outbox.count
        let bestBid = l3.bestBid, bestAsk = l3.bestAsk
        let id = event.orderID
        switch event.kind {
        case .add:
            let fresh = l3.order(id) == nil
            l3.apply(event, base: base)
            if fresh && l3.order(id) != nil { setArrival(id) }
        case .modify:
            let old = l3.order(id)
            l3.apply(event, base: base)
            if let new = l3.order(id), old == nil || old!.price != new.price || new.quantity > old!.quantity {
                setArrival(id)
            }
        case .execute:
            let p = base &+ Ticks(event.price)
            let executedRank = Int(id) < arrival.count && l3.order(id) != nil ? arrival[Int(id)] : 0
            lastTradePrice = p
            fillAgainstExecution(side: event.side, price: p, executedRank: executedRank)
            l3.apply(event, base: base)
        case .trade, .executeHidden:
            lastTradePrice = base &+ Ticks(event.price)
        default:
            l3.apply(event, base: base)
        }
        // The opposite best reaching our prices.
        let bid = l3.bestBid, ask = l3.bestAsk
        if bid > bestBid { fill(side: .sell) { $0.price <= bid } }
        if ask < bestAsk { fill(side: .buy) { $0.price >= ask } }
        return outbox.count != before
    }

    private mutating func setArrival(_ id: UInt32) {
        let i = Int(id)
        if i >= arrival.count { arrival.append(contentsOf: repeatElement(0, count: max(i + 1 - arrival.count, arrival.count))) }
        rank &+= 1
        arrival[i] = rank
    }

    /// An execution of a market order of rank `executedRank` resting on `side` at `price`.
    private mutating func fillAgainstExecution(side: Side, price p: Ticks, executedRank: UInt64) {
        fill(side: side) { o in
            if o.price == p { return executedRank > o.rank }
            return side == .buy ? o.price > p : o.price < p
        }
    }

    /// Fills entirely (maker, own price) our orders of `side` matching `predicate`, in
    /// price-time priority.
    private mutating func fill(side: Side, _ predicate: (Order) -> Bool) {
        var hit: [Int] = []
        for (k, o) in orders.enumerated() where o.side == side && predicate(o) { hit.append(k) }
        if hit.isEmpty { return }
        hit.sort { a, b in
            let x = orders[a], y = orders[b]
            if x.price != y.price { return side == .buy ? x.price > y.price : x.price < y.price }
            return x.rank < y.rank
        }
        for k in hit { execute(k, quantity: orders[k].leaves, price: orders[k].price, isMaker: true, answers: .fill) }
        removeFinished()
    }

    // MARK: Requests

    public mutating func receive(_ r: OrderMessage, at time: Nanos) {
        now = time
        switch r.kind {
        case .new:
            if byID.find(r.id) >= 0 { return reject(r, .duplicateOrderID) }
            if r.quantity <= 0 { return reject(r, .invalidQuantity) }
            if r.side != .buy && r.side != .sell { return reject(r, .invalidOrder) }
            if r.type == .stop || r.type == .stopLimit || r.type == .trailingStop { return reject(r, .invalidOrder) }
            orders.append(Order(id: r.id, side: r.side, type: r.type, timeInForce: r.timeInForce, price: r.price,
                                quantity: r.quantity, leaves: r.quantity, executed: 0, rank: 0, requestTime: r.requestTime))
            byID.set(r.id, Int32(orders.count - 1))
            arrive(orders.count - 1, answers: .new)
        case .cancel:
            let k = byID.find(r.id)
            if k < 0 { return reject(r, .unknownOrder) }
            orders[Int(k)].requestTime = r.requestTime
            respond(Int(k), status: .canceled, reason: .none, answers: .cancel)
            remove(Int(k))
        case .modify:
            let k = Int(byID.find(r.id))
            if k < 0 { return reject(r, .unknownOrder) }
            let o = orders[k]
            if r.quantity <= o.executed { return reject(r, .invalidQuantity) }
            orders[k].requestTime = r.requestTime
            let leaves = r.quantity - o.executed
            orders[k].quantity = r.quantity
            orders[k].leaves = leaves
            if r.price == o.price && leaves <= o.leaves {
                respond(k, status: o.executed > 0 ? .partiallyFilled : .new, reason: .none, answers: .modify)
            } else {
                orders[k].price = r.price
                arrive(k, answers: .modify)
            }
        default:
            reject(r, .invalidOrder)
        }
    }

    private mutating func arrive(_ k: Int, answers: MessageKind) {
        let o = orders[k]
        let crosses = o.type == .market || (o.side == .buy ? o.price >= l3.bestAsk : o.price <= l3.bestBid)
        if crosses {
            if o.type == .limit && o.timeInForce == .gtx {
                respond(k, status: .expired, reason: .postOnlyWouldCross, answers: answers)
                return remove(k)
            }
            let best = o.side == .buy ? l3.bestAsk : l3.bestBid
            if best == Ticks.max || best == Ticks.min {
                respond(k, status: .expired, reason: .noLiquidity, answers: answers)
                return remove(k)
            }
            execute(k, quantity: o.leaves, price: best, isMaker: false, answers: answers)
            removeFinished()
            return
        }
        switch o.timeInForce {
        case .gtc, .gtx:
            rank &+= 1
            orders[k].rank = rank          // the back of the queue: behind everything resting
            respond(k, status: o.executed > 0 ? .partiallyFilled : .new, reason: .none, answers: answers)
        case .ioc:
            respond(k, status: .expired, reason: .noLiquidity, answers: answers)
            remove(k)
        case .fok:
            respond(k, status: .expired, reason: .fillOrKillUnfillable, answers: answers)
            remove(k)
        }
    }

    private mutating func execute(_ k: Int, quantity: Lots, price: Ticks, isMaker: Bool, answers: MessageKind) {
        orders[k].leaves -= quantity
        orders[k].executed += quantity
        let o = orders[k]
        let value = valuation.value(price: price, quantity: quantity)
        let fee = fees.fee(value: value, quantity: quantity, isMaker: isMaker, side: o.side)
        var m = message(k, status: o.leaves == 0 ? .filled : .partiallyFilled, answers: answers)
        m.kind = .fill
        m.fillPrice = price
        m.fillQuantity = quantity
        m.isMaker = isMaker
        m.value = value
        m.fee = fee
        let bb = l3.bestBid, ba = l3.bestAsk
        m.markHalfTicks = bb != Ticks.min && ba != Ticks.max ? bb &+ ba : 0
        outbox.append(m)
        totals.fills += 1
        totals.position += o.side == .buy ? quantity : -quantity
        totals.cash += valuation.cashFlow(side: o.side, value: value)
        totals.fees += fee
        totals.tradedQuantity += quantity
        totals.tradedValue += value
    }

    private func message(_ k: Int, status: OrderStatus, answers: MessageKind) -> OrderMessage {
        let o = orders[k]
        var m = OrderMessage(kind: .update, request: OrderRequest(id: o.id, side: o.side, type: o.type,
                                                                  timeInForce: o.timeInForce, price: o.price,
                                                                  quantity: o.quantity), time: o.requestTime)
        m.answers = answers
        m.status = status
        m.leaves = o.leaves
        m.executed = o.executed
        m.exchangeTime = now
        return m
    }

    private mutating func respond(_ k: Int, status: OrderStatus, reason: RejectReason, answers: MessageKind) {
        var m = message(k, status: status, answers: answers)
        m.reason = reason
        outbox.append(m)
    }

    private mutating func reject(_ r: OrderMessage, _ reason: RejectReason) {
        var m = r
        m.kind = .reject
        m.answers = r.kind
        m.reason = reason
        m.exchangeTime = now
        outbox.append(m)
    }

    private mutating func remove(_ k: Int) {
        orders.remove(at: k)
        reindex()
    }

    private mutating func removeFinished() {
        let n = orders.count
        orders.removeAll { $0.leaves == 0 }
        if orders.count != n { reindex() }
    }

    private mutating func reindex() {
        byID.removeAll()
        for (k, o) in orders.enumerated() { byID.set(o.id, Int32(k)) }
    }

    // MARK: Inspection

    /// Our resting orders with the exact quantity ahead of each in its level's FIFO queue
    /// (anonymous quantity and market orders that arrived before it). O(level size) each.
    public func restingOrders() -> [(id: OrderID, side: Side, price: Ticks, leaves: Lots, ahead: Lots)] {
        orders.map { o in
            var ahead: Lots = 0
            for entry in l3.queue(o.side, at: o.price) {
                let r = entry.orderID == 0 ? 0 : (Int(entry.orderID) < arrival.count ? arrival[Int(entry.orderID)] : 0)
                if r < o.rank { ahead += entry.quantity }
            }
            return (o.id, o.side, o.price, o.leaves, ahead)
        }
    }

    public func checkInvariants() {
        byID.checkInvariants()
        precondition(byID.count == orders.count, "L3Exchange: id index out of date")
        for (k, o) in orders.enumerated() {
            precondition(byID.find(o.id) == Int32(k), "L3Exchange: order \(o.id) not indexed")
            precondition(o.leaves > 0 && o.executed + o.leaves == o.quantity, "L3Exchange: order \(o.id) quantities")
            precondition(o.rank > 0 && o.rank <= rank, "L3Exchange: order \(o.id) has no queue rank")
        }
    }
}
