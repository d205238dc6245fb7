/// The impact engine of simulated live markets: ONE matching engine owning ONE L3 book that
/// holds the crowd's orders (`OrderFlowGenerator`) and ours (the bot's and the manual
/// account's), in exact price-time priority. docs/LIVE.md, *Market impact*.
///
/// - Our order reaching the exchange is matched like any order: a marketable one takes the
///   opposite queue fronts level by level (partial fills across levels, taker fee per level),
///   emitting the `execute`s and `trade` prints the crowd and the feed see; the remainder of a
///   GTC limit rests at the back of its level under its own order handle (an `add` in the
///   feed). GTX (post-only) is expired if it would cross; IOC expires its remainder; FOK
///   expires unless the quantity at prices up to its limit covers it (then it takes it all);
///   market orders take without a limit and expire their remainder. Stop types are refused
///   (`invalidOrder`; the venue holds stops itself). Cancels remove the order (`cancel` in the
///   feed); a modify that keeps the price and does not grow keeps its queue position (`modify`),
///   any other leaves the book (`cancel`) and arrives again under a new handle, matching if it
///   now crosses.
/// - A crowd market order executes the front of the queue, which may be our order: we get a
///   maker fill for what it took, at that time.
/// - Crowd limit prices are drawn off the best quotes of the whole book (ours included); crowd
///   cancels pick only crowd orders; the arrival clock (rates, Hawkes intensities, δ·N over the
///   crowd's orders) does not depend on our orders.
/// - Arrivals are generated one at a time (`arrive`), at `nextArrival`; the driver interleaves
///   them with our order messages in exchange-time order (at equal times the crowd arrival
///   first: exchange data before order messages, as in `Backtest`).
///
/// No self-trade prevention: an aggressive order of ours may execute a resting order of ours
/// (the bot's or the manual account's); both sides get their fills.
///
/// Storage: our working orders in one contiguous array (swap-removed), an id → index hash and
/// a handle → index table; no allocation per event once the arrays have grown.
///
/// Invariants (`checkInvariants`): the book never crosses; each of our resting orders is in
/// the book under its handle with its leaves; executed + leaves = quantity.
public struct ImpactExchange<Fees: FeeModel>: ExchangeModel {
    /// The crowd and the book.
    public private(set) var flow: OrderFlowGenerator
    public var outbox: ContiguousArray<OrderMessage> = []
    /// Public feed events produced since the driver last emptied it, in exchange-time order.
    public var published: ContiguousArray<Event> = []
    public private(set) var totals = ExchangeTotals()
    public private(set) var fees: Fees
    public let valuation: Valuation
    public private(set) var now: Nanos
    /// Exchange time of the opening book.
    public let openTime: Nanos

    struct Order: Sendable {
        var id: OrderID
        var side: Side
        var type: OrderType
        var timeInForce: TimeInForce
        var price: Ticks
        var quantity: Lots
        var leaves: Lots
        var executed: Lots
        var requestTime: Nanos
        var handle: UInt32
    }

    private var orders: ContiguousArray<Order> = []     // our resting orders
    private var byID = SlotIndex()                       // id -> index in `orders`
    private var byHandle: ContiguousArray<Int32> = []     // book handle -> index in `orders`, -1

    /// Opens the crowd's book (its events are the first of `published`).
    public init(flow: OrderFlowGenerator, fees: Fees, valuation: Valuation) {
        self.flow = flow
        var f = fees
        f.bind(to: valuation)
        self.fees = f
        self.valuation = valuation
        now = flow.nextTime
        openTime = flow.nextTime
        var opening = ContiguousArray<Event>()
        self.flow.open { opening.append($0) }
        published = opening
    }

    public static var supportsSharedBook: Bool { false }
    public static var generatesMarket: Bool { true }
    public var book: L2Book { flow.book.l2 }
    public var l3: L3Book { flow.book }
    public var base: Ticks { flow.base }
    public var restingCount: Int { orders.count }
    public var nextArrival: Nanos { flow.nextTime }
    public var generatedCounts: FlowCounts? { flow.counts }

    public mutating func withBook<R>(_ body: (inout L2Book) -> R) -> R {
        preconditionFailure("ImpactExchange does not lend its book")
    }

    /// The impact engine makes its own market: it is never fed events.
    public mutating func process(_ event: Event) -> Bool {
        preconditionFailure("ImpactExchange generates its market; drive it with arrive()")
    }

    // MARK: Crowd arrivals

    /// Produces the crowd arrival at `nextArrival` (its events appended to `published`) and the
    /// maker fills it gives our resting orders (to `outbox`).
    public mutating func arrive() {
        now = flow.nextTime
        let from = published.count
        flow.step(into: &published)
        if !orders.isEmpty { makerFills(from) }
    }

    /// Maker fills for executions of our orders among `published[from...]`.
    private mutating func makerFills(_ from: Int) {
        var i = from
        while i < published.count {
            let e = published[i]
            i += 1
            guard e.kind == .execute, Int(e.orderID) < byHandle.count else { continue }
            let k = Int(byHandle[Int(e.orderID)])
            if k < 0 { continue }
            fill(k, quantity: Lots(e.quantity), price: flow.base &+ Ticks(e.price), isMaker: true, answers: .fill)
            if orders[k].leaves == 0 { remove(k) }
        }
    }

    // MARK: Requests

    public mutating func receive(_ r: OrderMessage, at time: Nanos) {
        now = time
        switch r.kind {
        case .new:
            if byID.find(r.id) >= 0 { return reject(r, .duplicateOrderID) }
            if r.quantity <= 0 { return reject(r, .invalidQuantity) }
            if r.side != .buy && r.side != .sell { return reject(r, .invalidOrder) }
            if r.type != .limit && r.type != .market { return reject(r, .invalidOrder) }
            let o = Order(id: r.id, side: r.side, type: r.type, timeInForce: r.timeInForce, price: r.price, quantity: r.quantity,
                          leaves: r.quantity, executed: 0, requestTime: r.requestTime, handle: 0)
            arrive(o, answers: .new)
        case .cancel:
            let k = Int(byID.find(r.id))
            if k < 0 { return reject(r, .unknownOrder) }
            orders[k].requestTime = r.requestTime
            flow.cancelParticipant(orders[k].handle, time: time, into: &published)
            outbox.append(message(orders[k], status: .canceled, answers: .cancel))
            remove(k)
        case .modify:
            let k = Int(byID.find(r.id))
            if k < 0 { return reject(r, .unknownOrder) }
            var o = orders[k]
            if r.quantity <= o.executed { return reject(r, .invalidQuantity) }
            o.requestTime = r.requestTime
            let leaves = r.quantity - o.executed
            if r.price == o.price && leaves <= o.leaves {
                // Keeps its place in the queue.
                if leaves < o.leaves { flow.reduceParticipant(o.handle, to: leaves, time: time, into: &published) }
                o.quantity = r.quantity
                o.leaves = leaves
                orders[k] = o
                outbox.append(message(o, status: o.executed > 0 ? .partiallyFilled : .new, answers: .modify))
            } else {
                // Loses priority: leaves the book and arrives again (it may now cross).
                flow.cancelParticipant(o.handle, time: time, into: &published)
                remove(k)
                o.quantity = r.quantity
                o.leaves = leaves
                o.price = r.price
                arrive(o, answers: .modify)
            }
        default:
            reject(r, .invalidOrder)
        }
    }

    /// Order `o` (new or modified, not in the book) reaches the matching engine.
    private mutating func arrive(_ o: Order, answers: MessageKind) {
        var o = o
        let opposite = o.side == .buy ? flow.book.bestAsk : flow.book.bestBid
        let crosses = o.type == .market || (o.side == .buy ? o.price >= opposite : o.price <= opposite)
        if crosses {
            if o.type == .limit && o.timeInForce == .gtx {
                return outbox.append(expired(o, .postOnlyWouldCross, answers: answers))
            }
            if opposite == Ticks.max || opposite == Ticks.min {
                return outbox.append(expired(o, .noLiquidity, answers: answers))
            }
            let limit = o.type == .market ? (o.side == .buy ? Ticks.max : Ticks.min) : o.price
            if o.type == .limit && o.timeInForce == .fok {
                let available = o.side == .buy ? flow.book.l2.sum(.sell, from: opposite, to: limit).quantity
                                               : flow.book.l2.sum(.buy, from: limit, to: opposite).quantity
                if available < o.leaves { return outbox.append(expired(o, .fillOrKillUnfillable, answers: answers)) }
            }
            o = take(o, limit: limit, answers: answers)
            if o.leaves == 0 { return }
            if o.type == .market || o.timeInForce != .gtc {
                return outbox.append(expired(o, .noLiquidity, answers: answers))
            }
        } else if o.timeInForce == .ioc || o.type == .market {
            return outbox.append(expired(o, .noLiquidity, answers: answers))
        } else if o.timeInForce == .fok {
            return outbox.append(expired(o, .fillOrKillUnfillable, answers: answers))
        }
        // Rests at the back of its level.
        o.handle = flow.newHandle()
        flow.restParticipant(o.handle, side: o.side, price: o.price, quantity: o.leaves, time: now, into: &published)
        orders.append(o)
        let k = orders.count - 1
        byID.set(o.id, Int32(k))
        let h = Int(o.handle)
        if h >= byHandle.count { byHandle.append(contentsOf: repeatElement(-1, count: max(h + 1 - byHandle.count, byHandle.count))) }
        byHandle[h] = Int32(k)
        outbox.append(message(o, status: o.executed > 0 ? .partiallyFilled : .new, answers: answers))
    }

    /// Takes liquidity for `o` up to `limit`: one taker fill per price level (from the level's
    /// print), maker fills for our orders it executes. Returns `o` with its leaves reduced.
    private mutating func take(_ o: Order, limit: Ticks, answers: MessageKind) -> Order {
        let from = published.count
        _ = flow.take(side: o.side, quantity: o.leaves, limit: limit, time: now, endMessage: true, into: &published)
        var taker = o
        var i = from
        while i < published.count {
            let e = published[i]
            i += 1
            let price = flow.base &+ Ticks(e.price)
            if e.kind == .trade {
                taker = takerFill(taker, quantity: Lots(e.quantity), price: price, answers: answers)
            } else if e.kind == .execute, Int(e.orderID) < byHandle.count {
                let k = Int(byHandle[Int(e.orderID)])
                if k < 0 { continue }
                fill(k, quantity: Lots(e.quantity), price: price, isMaker: true, answers: .fill)
                if orders[k].leaves == 0 { remove(k) }
            }
        }
        return taker
    }

    private mutating func takerFill(_ o: Order, quantity: Lots, price: Ticks, answers: MessageKind) -> Order {
        var o = o
        o.leaves -= quantity
        o.executed += quantity
        outbox.append(fillMessage(o, quantity: quantity, price: price, isMaker: false, answers: answers))
        return o
    }

    private mutating func fill(_ k: Int, quantity: Lots, price: Ticks, isMaker: Bool, answers: MessageKind) {
        orders[k].leaves -= quantity
        orders[k].executed += quantity
        outbox.append(fillMessage(orders[k], quantity: quantity, price: price, isMaker: isMaker, answers: answers))
    }

    private mutating func fillMessage(_ o: Order, quantity: Lots, price: Ticks, isMaker: Bool, answers: MessageKind) -> OrderMessage {
        let value = valuation.value(price: price, quantity: quantity)
        let fee = fees.fee(value: value, quantity: quantity, isMaker: isMaker, side: o.side)
        var m = message(o, status: o.leaves == 0 ? .filled : .partiallyFilled, answers: answers)
        m.kind = .fill
        m.fillPrice = price
        m.fillQuantity = quantity
        m.isMaker = isMaker
        m.value = value
        m.fee = fee
        let bb = flow.book.bestBid, ba = flow.book.bestAsk
        m.markHalfTicks = bb != Ticks.min && ba != Ticks.max ? bb &+ ba : 0
        totals.fills += 1
        totals.position += o.side == .buy ? quantity : -quantity
        totals.cash += valuation.cashFlow(side: o.side, value: value)
        totals.fees += fee
        totals.tradedQuantity += quantity
        totals.tradedValue += value
        return m
    }

    private func message(_ o: Order, status: OrderStatus, answers: MessageKind) -> OrderMessage {
        var m = OrderMessage(kind: .update, request: OrderRequest(id: o.id, side: o.side, type: o.type, timeInForce: o.timeInForce,
                                                                  price: o.price, quantity: o.quantity), time: o.requestTime)
        m.answers = answers
        m.status = status
        m.leaves = o.leaves
        m.executed = o.executed
        m.exchangeTime = now
        return m
    }

    private func expired(_ o: Order, _ reason: RejectReason, answers: MessageKind) -> OrderMessage {
        var m = message(o, status: .expired, answers: answers)
        m.reason = reason
        return m
    }

    private mutating func reject(_ r: OrderMessage, _ reason: RejectReason) {
        var m = r
        m.kind = .reject
        m.answers = r.kind
        m.reason = reason
        m.exchangeTime = now
        outbox.append(m)
    }

    /// Forgets our order at index `k` (already out of the book): swap-remove, O(1).
    private mutating func remove(_ k: Int) {
        let o = orders[k]
        byID.remove(o.id)
        byHandle[Int(o.handle)] = -1
        let last = orders.count - 1
        if k != last {
            let moved = orders[last]
            orders[k] = moved
            byID.set(moved.id, Int32(k))
            byHandle[Int(moved.handle)] = Int32(k)
        }
        orders.removeLast()
    }

    // MARK: Inspection

    /// Our resting orders with their book handle and the quantity ahead of each in its queue.
    public func restingOrders() -> [(id: OrderID, handle: UInt32, side: Side, price: Ticks, leaves: Lots, ahead: Lots)] {
        orders.map { o in (o.id, o.handle, o.side, o.price, o.leaves, flow.book.queuePosition(of: o.handle)?.quantityAhead ?? -1) }
    }

    public func checkInvariants() {
        flow.book.checkInvariants(allowCrossed: false)
        byID.checkInvariants()
        precondition(byID.count == orders.count, "ImpactExchange: id index out of date")
        for (k, o) in orders.enumerated() {
            precondition(byID.find(o.id) == Int32(k), "ImpactExchange: order \(o.id) not indexed")
            precondition(byHandle[Int(o.handle)] == Int32(k), "ImpactExchange: handle \(o.handle) not indexed")
            precondition(o.leaves > 0 && o.executed + o.leaves == o.quantity, "ImpactExchange: order \(o.id) quantities")
            precondition(!flow.isCrowdOrder(o.handle), "ImpactExchange: handle \(o.handle) is also a crowd order")
            guard let b = flow.book.order(o.handle) else { preconditionFailure("ImpactExchange: order \(o.id) not in the book") }
            precondition(b.quantity == o.leaves && b.price == o.price && b.side == o.side, "ImpactExchange: order \(o.id) differs from the book")
        }
    }
}
