/// An exchange simulator over L2 data (market by price): the historical book is replayed as is,
/// and our orders are matched against it with a queue model. Our orders never change the
/// historical book (see docs/BACKTEST.md, *No market impact*).
///
/// Matching rules (hftbacktest's, for both behaviours), for a resting buy at `p`
/// (sells mirror them):
/// - the best ask falls to `p` or below (a depth update lowers it): filled entirely, as maker, at `p`;
/// - a print by a seller at a price below `p`: filled entirely at `p`;
/// - a print by a seller at exactly `p`: the queue model advances the order; once the print
///   reaches past its position, `NoPartialFills` fills the whole order, `PartialFills` the
///   lots that reached past it;
/// - a depth update of the level `p` on our side informs the queue model.
///
/// Arrival of a limit order: if it crosses the book (buy `p >= best ask`), GTX expires
/// (post-only), GTC/IOC/FOK execute as taker (`NoPartialFills`: everything at the best price;
/// `PartialFills`: level by level up to `p`, FOK only if the visible quantity covers it, GTC
/// rests the remainder at the front of the queue at `p`, IOC expires it); otherwise GTC/GTX
/// rest with the queue model's position behind the level's quantity, IOC/FOK expire.
/// Market orders execute like an IOC limit without a price limit. Stop and stop-limit orders
/// wait on the exchange until a print reaches their stop price (buy: `print >= stop`, sell:
/// `print <= stop`), then arrive as market or limit orders.
///
/// Modify: a new price, or a larger quantity, loses priority (the order re-arrives and may
/// execute or expire like a new one); a smaller quantity at the same price keeps it. The new
/// quantity is the order's total; it must exceed what already executed.
///
/// Performance: per market event, O(1) unless the event touches one of our orders: a range
/// check per side, then one open-addressing lookup of the level's chain of our orders. Fills
/// and prints through our prices scan our orders of one side (a handful). No allocation per
/// event once the order storage is warm.
public struct L2Exchange<Behaviour: FillBehaviour, Queue: QueueModel, Fees: FeeModel>: ExchangeModel {
    public private(set) var book: L2Book
    public var outbox: ContiguousArray<OrderMessage> = [] { didSet { emitted = outbox.count } }
    /// Messages appended to `outbox` so far (kept next to the hot fields: reading the array's
    /// count on every event costs a dependent load).
    var emitted = 0
    /// Resting orders per side (mirrors `buys.count`/`sells.count` for the same reason).
    var buyCount = 0, sellCount = 0
    public private(set) var totals = ExchangeTotals()
    /// The dataset's base tick: absolute price = base + event.price.
    public let base: Ticks
    public let queueModel: Queue
    public private(set) var fees: Fees
    public let valuation: Valuation
    /// Exchange clock: time of the last event or request processed.
    public private(set) var now: Nanos = 0
    /// Price of the last print (absolute ticks), or nil before the first.
    public private(set) var lastTradePrice: Ticks? = nil

    @usableFromInline var slots: ContiguousArray<Slot> = []
    var freeSlots: ContiguousArray<Int32> = []
    var byID = SlotIndex()
    var bidChains = SlotIndex()
    var askChains = SlotIndex()
    var buys: ContiguousArray<Int32> = []
    var sells: ContiguousArray<Int32> = []
    var stops: ContiguousArray<Int32> = []
    // Price bounds of our resting orders per side (valid when the side is not empty).
    var buyLow: Ticks = .max, buyHigh: Ticks = .min
    var sellLow: Ticks = .max, sellHigh: Ticks = .min
    // Trigger bounds of waiting stops: lowest buy stop, highest sell stop.
    var buyStopLow: Ticks = .max, sellStopHigh: Ticks = .min
    /// Waiting trailing stops (their triggers move with every print).
    var trailingStops = 0
    var sequence: UInt64 = 0
    var scratch: ContiguousArray<Int32> = []
    var levelScratch: ContiguousArray<BookLevel> = []

    enum SlotState: UInt8 { case free, resting, stop }

    @usableFromInline
    struct Slot: Sendable {
        var id: OrderID
        var side: Side
        var type: OrderType
        var timeInForce: TimeInForce
        var status: OrderStatus
        var state: SlotState
        var price: Ticks
        var stopPrice: Ticks
        var quantity: Lots
        var leaves: Lots
        var executed: Lots
        /// Local send time of the last request for this order (new, cancel or modify).
        var requestTime: Nanos
        var sequence: UInt64
        var queue: Queue.Position
        var next: Int32
        var prev: Int32
        var listIndex: Int32
    }

    /// - Parameters:
    ///   - base: the dataset's base tick.
    ///   - queue: the queue model.
    ///   - fees: the fee model (bound to `valuation` here).
    ///   - valuation: how fills become money.
    ///   - book: the starting book (empty by default; its crossing policy applies).
    public init(base: Ticks, queue: Queue, fees: Fees, valuation: Valuation, book: L2Book = L2Book()) {
        self.base = base
        self.queueModel = queue
        var f = fees
        f.bind(to: valuation)
        self.fees = f
        self.valuation = valuation
        self.book = book
    }

    public var restingCount: Int { buys.count + sells.count + stops.count }

    public mutating func withBook<R>(_ body: (inout L2Book) -> R) -> R { body(&book) }

    // MARK: - Market events

    @discardableResult
    public mutating func process(_ event: Event) -> Bool {
        now = event.exchTime
        let before = emitted
        let kind = event.kind
        if kind == .depth || kind == .snapshot {
            let p = base &+ Ticks(event.price)
            let q = Lots(event.quantity)
            let orders = Int32(truncatingIfNeeded: event.orderID)
            if event.side == .buy {
                let prevBest = book.bestBid
                if buyCount != 0 && p >= buyLow && p <= buyHigh, case let head = bidChains.find(UInt64(bitPattern: p)), head >= 0 {
                    let previous = book.quantity(.buy, at: p)
                    book.set(.buy, price: p, quantity: q, orders: orders)
                    depthChanged(head: head, previous: previous, current: q)
                } else {
                    book.set(.buy, price: p, quantity: q, orders: orders)
                }
                let best = book.bestBid
                if best > prevBest && sellCount != 0 && sellLow <= best { fillCrossed(.sell, through: best) }
            } else if event.side == .sell {
                let prevBest = book.bestAsk
                if sellCount != 0 && p >= sellLow && p <= sellHigh, case let head = askChains.find(UInt64(bitPattern: p)), head >= 0 {
                    let previous = book.quantity(.sell, at: p)
                    book.set(.sell, price: p, quantity: q, orders: orders)
                    depthChanged(head: head, previous: previous, current: q)
                } else {
                    book.set(.sell, price: p, quantity: q, orders: orders)
                }
                let best = book.bestAsk
                if best < prevBest && buyCount != 0 && buyHigh >= best { fillCrossed(.buy, through: best) }
            }
        } else {
            switch kind {
            case .clear:
                book.apply(event, base: base)
            case .trade, .execute, .executeHidden:
                let p = base &+ Ticks(event.price)
                let aggressor = kind == .trade ? event.side : event.side.opposite
                lastTradePrice = p
                if aggressor == .buy {
                    if sellCount != 0 && sellLow <= p { matchPrint(against: .sell, price: p, quantity: Lots(event.quantity)) }
                } else if aggressor == .sell {
                    if buyCount != 0 && buyHigh >= p { matchPrint(against: .buy, price: p, quantity: Lots(event.quantity)) }
                }
                if trailingStops != 0 { trail(price: p) }
                if !stops.isEmpty && (p >= buyStopLow || p <= sellStopHigh) { triggerStops(price: p) }
            default:
                break
            }
        }
        return emitted != before
    }

    @inline(__always)
    private mutating func depthChanged(head: Int32, previous: Lots, current: Lots) {
        var s = head
        while s >= 0 {
            queueModel.depthChanged(&slots[Int(s)].queue, previous: previous, current: current)
            s = slots[Int(s)].next
        }
    }

    /// Fills, entirely and as maker at their own prices, our orders of `side` that the
    /// opposite best price has reached (`side == .sell`: sells at or below `best`).
    private mutating func fillCrossed(_ side: Side, through best: Ticks) {
        collect(side) { side == .sell ? $0.price <= best : $0.price >= best }
        for k in scratch.indices {
            let s = scratch[k]
            execute(s, quantity: slots[Int(s)].leaves, price: slots[Int(s)].price, isMaker: true, answers: .fill)
        }
    }

    /// A print at `price` for `quantity` by an aggressor hitting our orders of `side`.
    private mutating func matchPrint(against side: Side, price: Ticks, quantity: Lots) {
        collect(side) { side == .sell ? $0.price <= price : $0.price >= price }
        for k in scratch.indices {
            let s = Int(scratch[k])
            if slots[s].price != price {
                execute(Int32(s), quantity: slots[s].leaves, price: slots[s].price, isMaker: true, answers: .fill)
            } else {
                queueModel.trade(&slots[s].queue, quantity: quantity)
                let reached = queueModel.filled(&slots[s].queue)
                if reached > 0 {
                    let q = Behaviour.partialFills ? min(reached, slots[s].leaves) : slots[s].leaves
                    execute(Int32(s), quantity: q, price: slots[s].price, isMaker: true, answers: .fill)
                }
            }
        }
    }

    /// Puts into `scratch` our resting orders of `side` matching `predicate`, in price-time
    /// priority (best price first, then arrival), so fills come out in a deterministic order.
    private mutating func collect(_ side: Side, _ predicate: (Slot) -> Bool) {
        scratch.removeAll(keepingCapacity: true)
        let list = side == .buy ? buys : sells
        for s in list where predicate(slots[Int(s)]) { scratch.append(s) }
        if scratch.count > 1 {
            let sl = slots
            scratch.sort { a, b in
                let x = sl[Int(a)], y = sl[Int(b)]
                if x.price != y.price { return side == .buy ? x.price > y.price : x.price < y.price }
                return x.sequence < y.sequence
            }
        }
    }

    private mutating func triggerStops(price p: Ticks) {
        scratch.removeAll(keepingCapacity: true)
        for s in stops {
            let o = slots[Int(s)]
            if (o.side == .buy && p >= o.stopPrice) || (o.side == .sell && p <= o.stopPrice) { scratch.append(s) }
        }
        if scratch.isEmpty { return }
        let sl = slots
        scratch.sort { sl[Int($0)].sequence < sl[Int($1)].sequence }
        let triggered = scratch
        for s in triggered {
            removeStop(s)
            slots[Int(s)].type = slots[Int(s)].type == .stopLimit ? .limit : .market
            arrive(s, answers: .update)
        }
    }

    /// Moves the triggers of waiting trailing stops after a print at `p`: a sell's stop rises to
    /// `p - distance`, a buy's falls to `p + distance` (never the other way).
    private mutating func trail(price p: Ticks) {
        var moved = false
        for s in stops where slots[Int(s)].type == .trailingStop {
            let o = slots[Int(s)]
            if o.side == .sell {
                if p &- o.price > o.stopPrice { slots[Int(s)].stopPrice = p &- o.price; moved = true }
            } else if p &+ o.price < o.stopPrice {
                slots[Int(s)].stopPrice = p &+ o.price
                moved = true
            }
        }
        if moved { recomputeStopBounds() }
    }

    // MARK: - Requests

    public mutating func receive(_ request: OrderMessage, at time: Nanos) {
        now = time
        switch request.kind {
        case .new: receiveNew(request)
        case .cancel: receiveCancel(request)
        case .modify: receiveModify(request)
        default: reject(request, .invalidOrder)
        }
    }

    private mutating func receiveNew(_ r: OrderMessage) {
        if byID.find(r.id) >= 0 { return reject(r, .duplicateOrderID) }
        if r.quantity <= 0 { return reject(r, .invalidQuantity) }
        if r.side != .buy && r.side != .sell { return reject(r, .invalidOrder) }
        if r.type == .limit || r.type == .stopLimit, r.price <= 0, valuation.contract == .inverse {
            return reject(r, .invalidOrder)
        }
        if r.type == .trailingStop && r.price <= 0 { return reject(r, .invalidOrder) }
        sequence &+= 1
        let slot = Slot(id: r.id, side: r.side, type: r.type, timeInForce: r.timeInForce, status: .new,
                        state: .free, price: r.price, stopPrice: r.stopPrice, quantity: r.quantity,
                        leaves: r.quantity, executed: 0, requestTime: r.requestTime, sequence: sequence,
                        queue: queueModel.join(levelQuantity: 0), next: -1, prev: -1, listIndex: -1)
        let s: Int32
        if let f = freeSlots.popLast() {
            s = f
            slots[Int(s)] = slot
        } else {
            s = Int32(slots.count)
            slots.append(slot)
        }
        byID.set(r.id, s)
        if r.type == .trailingStop && r.stopPrice == 0 {
            // The initial trigger: the distance behind the last print (or the near best price).
            let reference = lastTradePrice ?? (r.side == .sell ? book.bestBid : book.bestAsk)
            if reference == Ticks.min || reference == Ticks.max {
                byID.remove(r.id)
                freeSlots.append(s)
                return reject(r, .noLiquidity)
            }
            slots[Int(s)].stopPrice = r.side == .sell ? reference &- r.price : reference &+ r.price
        }
        if r.type == .stop || r.type == .stopLimit || r.type == .trailingStop {
            let stop = slots[Int(s)].stopPrice
            if let last = lastTradePrice,
               (r.side == .buy && last >= stop) || (r.side == .sell && last <= stop)
            {
                slots[Int(s)].type = r.type == .stopLimit ? .limit : .market
                arrive(s, answers: .new)
            } else {
                addStop(s)
                respond(s, kind: .update, answers: .new)
            }
            return
        }
        arrive(s, answers: .new)
    }

    private mutating func receiveCancel(_ r: OrderMessage) {
        let s = byID.find(r.id)
        if s < 0 { return reject(r, .unknownOrder) }
        slots[Int(s)].requestTime = r.requestTime
        switch slots[Int(s)].state {
        case .resting: unlink(s)
        case .stop: removeStop(s)
        case .free: break
        }
        slots[Int(s)].status = .canceled
        respond(s, kind: .update, answers: .cancel)
        release(s)
    }

    private mutating func receiveModify(_ r: OrderMessage) {
        let s = byID.find(r.id)
        if s < 0 { return reject(r, .unknownOrder) }
        let o = slots[Int(s)]
        if r.quantity <= o.executed { return reject(r, .invalidQuantity) }
        slots[Int(s)].requestTime = r.requestTime
        let newLeaves = r.quantity - o.executed
        if o.state == .stop {
            slots[Int(s)].price = r.price
            if o.type == .trailingStop {
                // The trigger keeps what it trailed to unless the request tightens it.
                if r.stopPrice != 0 {
                    slots[Int(s)].stopPrice = o.side == .sell ? max(o.stopPrice, r.stopPrice) : min(o.stopPrice, r.stopPrice)
                }
            } else {
                slots[Int(s)].stopPrice = r.stopPrice
            }
            slots[Int(s)].quantity = r.quantity
            slots[Int(s)].leaves = newLeaves
            removeStop(s)
            addStop(s)
            respond(s, kind: .update, answers: .modify)
            return
        }
        if o.type != .limit { return reject(r, .notModifiable) }
        if r.price == o.price && newLeaves <= o.leaves {
            slots[Int(s)].quantity = r.quantity
            slots[Int(s)].leaves = newLeaves
            respond(s, kind: .update, answers: .modify)
            return
        }
        // Loses priority: leaves the level and arrives again.
        unlink(s)
        sequence &+= 1
        slots[Int(s)].sequence = sequence
        slots[Int(s)].price = r.price
        slots[Int(s)].quantity = r.quantity
        slots[Int(s)].leaves = newLeaves
        arrive(s, answers: .modify)
    }

    /// An order (new, modified or triggered) arrives at the matching engine.
    private mutating func arrive(_ s: Int32, answers: MessageKind) {
        let o = slots[Int(s)]
        if o.type == .market {
            take(s, limit: nil, answers: answers)
            return
        }
        let crosses = o.side == .buy ? o.price >= book.bestAsk : o.price <= book.bestBid
        if crosses {
            if o.timeInForce == .gtx {
                expire(s, .postOnlyWouldCross, answers: answers)
            } else {
                take(s, limit: o.price, answers: answers)
            }
        } else {
            switch o.timeInForce {
            case .gtc, .gtx:
                rest(s, front: false)
                respond(s, kind: .update, answers: answers)
            case .ioc:
                expire(s, .noLiquidity, answers: answers)
            case .fok:
                expire(s, .fillOrKillUnfillable, answers: answers)
            }
        }
    }

    /// Executes order `s` against the opposite side of the book as taker, up to `limit`.
    private mutating func take(_ s: Int32, limit: Ticks?, answers: MessageKind) {
        let side = slots[Int(s)].side
        let opposite = side.opposite
        let best = side == .buy ? book.bestAsk : book.bestBid
        if best == Ticks.max || best == Ticks.min {
            return expire(s, .noLiquidity, answers: answers)
        }
        if !Behaviour.partialFills {
            execute(s, quantity: slots[Int(s)].leaves, price: best, isMaker: false, answers: answers)
            return
        }
        // Visible levels from the best up to the limit, best first.
        levelScratch.removeAll(keepingCapacity: true)
        var available: Lots = 0
        let want = slots[Int(s)].leaves
        var levels = levelScratch
        book.forEachLevel(opposite) { level in
            if let l = limit, side == .buy ? level.price > l : level.price < l { return false }
            levels.append(level)
            available += level.quantity
            return available < want
        }
        levelScratch = levels
        if slots[Int(s)].timeInForce == .fok && slots[Int(s)].type == .limit && available < want {
            return expire(s, .fillOrKillUnfillable, answers: answers)
        }
        for level in levelScratch {
            let q = min(level.quantity, slots[Int(s)].leaves)
            let last = q == slots[Int(s)].leaves
            execute(s, quantity: q, price: level.price, isMaker: false, answers: answers)
            if last { return }
        }
        // Something remains.
        if slots[Int(s)].type == .limit && slots[Int(s)].timeInForce == .gtc {
            rest(s, front: true)
            respond(s, kind: .update, answers: answers)
        } else {
            expire(s, .noLiquidity, answers: answers)
        }
    }

    /// Executes `quantity` of order `s` at `price`; releases the order when nothing remains.
    private mutating func execute(_ s: Int32, quantity: Lots, price: Ticks, isMaker: Bool, answers: MessageKind) {
        let i = Int(s)
        slots[i].leaves -= quantity
        slots[i].executed += quantity
        slots[i].status = slots[i].leaves == 0 ? .filled : .partiallyFilled
        let side = slots[i].side
        let value = valuation.value(price: price, quantity: quantity)
        let fee = fees.fee(value: value, quantity: quantity, isMaker: isMaker, side: side)
        var m = message(s, kind: .fill, answers: answers)
        m.fillPrice = price
        m.fillQuantity = quantity
        m.isMaker = isMaker
        m.value = value
        m.fee = fee
        let bb = book.bestBid, ba = book.bestAsk
        m.markHalfTicks = bb != Ticks.min && ba != Ticks.max ? bb &+ ba : 0
        emit(m)
        totals.fills += 1
        totals.position += side == .buy ? quantity : -quantity
        totals.cash += valuation.cashFlow(side: side, value: value)
        totals.fees += fee
        totals.tradedQuantity += quantity
        totals.tradedValue += value
        if slots[i].leaves == 0 {
            if slots[i].state == .resting { unlink(s) }
            release(s)
        }
    }

    private mutating func expire(_ s: Int32, _ reason: RejectReason, answers: MessageKind) {
        slots[Int(s)].status = .expired
        var m = message(s, kind: .update, answers: answers)
        m.reason = reason
        emit(m)
        if slots[Int(s)].state == .resting { unlink(s) }
        release(s)
    }

    private mutating func reject(_ r: OrderMessage, _ reason: RejectReason) {
        var m = r
        m.kind = .reject
        m.answers = r.kind
        m.reason = reason
        m.exchangeTime = now
        emit(m)
    }

    @inline(__always)
    private func message(_ s: Int32, kind: MessageKind, answers: MessageKind) -> OrderMessage {
        let o = slots[Int(s)]
        var m = OrderMessage(kind: kind, request: OrderRequest(id: o.id, side: o.side, type: o.type,
                                                               timeInForce: o.timeInForce, price: o.price,
                                                               stopPrice: o.stopPrice, quantity: o.quantity),
                             time: o.requestTime)
        m.answers = answers
        m.status = o.status
        m.leaves = o.leaves
        m.executed = o.executed
        m.exchangeTime = now
        return m
    }

    @inline(__always)
    private mutating func respond(_ s: Int32, kind: MessageKind, answers: MessageKind) {
        emit(message(s, kind: kind, answers: answers))
    }

    @inline(__always)
    private mutating func emit(_ m: OrderMessage) {
        outbox.append(m)   // didSet keeps `emitted` current
    }

    // MARK: - Storage

    /// Rests order `s` at its price: behind the level's quantity, or at the front.
    private mutating func rest(_ s: Int32, front: Bool) {
        let i = Int(s)
        let side = slots[i].side
        let p = slots[i].price
        slots[i].queue = queueModel.join(levelQuantity: front ? 0 : book.quantity(side, at: p))
        slots[i].state = .resting
        slots[i].status = slots[i].executed > 0 ? .partiallyFilled : .new
        let key = UInt64(bitPattern: p)
        if side == .buy {
            let head = bidChains.find(key)
            slots[i].next = head
            slots[i].prev = -1
            if head >= 0 { slots[Int(head)].prev = s }
            bidChains.set(key, s)
            slots[i].listIndex = Int32(buys.count)
            buys.append(s)
            buyCount = buys.count
            if p < buyLow { buyLow = p }
            if p > buyHigh { buyHigh = p }
        } else {
            let head = askChains.find(key)
            slots[i].next = head
            slots[i].prev = -1
            if head >= 0 { slots[Int(head)].prev = s }
            askChains.set(key, s)
            slots[i].listIndex = Int32(sells.count)
            sells.append(s)
            sellCount = sells.count
            if p < sellLow { sellLow = p }
            if p > sellHigh { sellHigh = p }
        }
    }

    /// Takes resting order `s` off its level and side list.
    private mutating func unlink(_ s: Int32) {
        let i = Int(s)
        let o = slots[i]
        precondition(o.state == .resting, "unlink of an order that is not resting")
        let key = UInt64(bitPattern: o.price)
        if o.prev >= 0 {
            slots[Int(o.prev)].next = o.next
        } else if o.side == .buy {
            if o.next >= 0 { bidChains.set(key, o.next) } else { bidChains.remove(key) }
        } else {
            if o.next >= 0 { askChains.set(key, o.next) } else { askChains.remove(key) }
        }
        if o.next >= 0 { slots[Int(o.next)].prev = o.prev }
        if o.side == .buy {
            let moved = buys.removeLastSwapping(at: Int(o.listIndex))
            if let m = moved { slots[Int(m)].listIndex = o.listIndex }
            buyCount = buys.count
            if o.price == buyLow || o.price == buyHigh { recomputeBounds(.buy) }
        } else {
            let moved = sells.removeLastSwapping(at: Int(o.listIndex))
            if let m = moved { slots[Int(m)].listIndex = o.listIndex }
            sellCount = sells.count
            if o.price == sellLow || o.price == sellHigh { recomputeBounds(.sell) }
        }
        slots[i].state = .free
        slots[i].next = -1
        slots[i].prev = -1
        slots[i].listIndex = -1
    }

    private mutating func recomputeBounds(_ side: Side) {
        var lo = Ticks.max, hi = Ticks.min
        for s in side == .buy ? buys : sells {
            let p = slots[Int(s)].price
            if p < lo { lo = p }
            if p > hi { hi = p }
        }
        if side == .buy { buyLow = lo; buyHigh = hi } else { sellLow = lo; sellHigh = hi }
    }

    private mutating func addStop(_ s: Int32) {
        slots[Int(s)].state = .stop
        slots[Int(s)].listIndex = Int32(stops.count)
        if slots[Int(s)].type == .trailingStop { trailingStops += 1 }
        stops.append(s)
        recomputeStopBounds()
    }

    private mutating func removeStop(_ s: Int32) {
        let i = Int(s)
        precondition(slots[i].state == .stop, "removeStop of an order that is not a waiting stop")
        if let m = stops.removeLastSwapping(at: Int(slots[i].listIndex)) { slots[Int(m)].listIndex = slots[i].listIndex }
        slots[i].state = .free
        slots[i].listIndex = -1
        if slots[i].type == .trailingStop { trailingStops -= 1 }
        recomputeStopBounds()
    }

    private mutating func recomputeStopBounds() {
        buyStopLow = .max
        sellStopHigh = .min
        for s in stops {
            let o = slots[Int(s)]
            if o.side == .buy { buyStopLow = min(buyStopLow, o.stopPrice) } else { sellStopHigh = max(sellStopHigh, o.stopPrice) }
        }
    }

    /// Frees the slot of a finished order.
    private mutating func release(_ s: Int32) {
        precondition(slots[Int(s)].state == .free, "release of a linked order")
        byID.remove(slots[Int(s)].id)
        freeSlots.append(s)
    }

    // MARK: - Inspection

    /// One of our orders on the exchange.
    public struct RestingOrderInfo: Sendable, Equatable {
        public var id: OrderID
        public var side: Side
        public var type: OrderType
        public var price: Ticks
        public var stopPrice: Ticks
        public var leaves: Lots
        public var executed: Lots
        /// Estimated lots ahead in the queue (0 for waiting stops).
        public var ahead: Double
        public var isWaitingStop: Bool
    }

    /// Our orders on the exchange, buys then sells then stops, each in price-time priority.
    public func restingOrders() -> [RestingOrderInfo] {
        func info(_ s: Int32) -> RestingOrderInfo {
            let o = slots[Int(s)]
            return RestingOrderInfo(id: o.id, side: o.side, type: o.type, price: o.price, stopPrice: o.stopPrice,
                                    leaves: o.leaves, executed: o.executed,
                                    ahead: o.state == .stop ? 0 : queueModel.ahead(o.queue), isWaitingStop: o.state == .stop)
        }
        let b = buys.sorted { slots[Int($0)].price != slots[Int($1)].price ? slots[Int($0)].price > slots[Int($1)].price : slots[Int($0)].sequence < slots[Int($1)].sequence }
        let a = sells.sorted { slots[Int($0)].price != slots[Int($1)].price ? slots[Int($0)].price < slots[Int($1)].price : slots[Int($0)].sequence < slots[Int($1)].sequence }
        let st = stops.sorted { slots[Int($0)].sequence < slots[Int($1)].sequence }
        return (b + a + st).map(info)
    }

    public func checkInvariants() {
        byID.checkInvariants()
        bidChains.checkInvariants()
        askChains.checkInvariants()
        var live = 0
        for (k, s) in buys.enumerated() {
            let o = slots[Int(s)]
            precondition(o.state == .resting && o.side == .buy && o.listIndex == Int32(k), "buy list corrupt")
        }
        for (k, s) in sells.enumerated() {
            let o = slots[Int(s)]
            precondition(o.state == .resting && o.side == .sell && o.listIndex == Int32(k), "sell list corrupt")
        }
        for (k, s) in stops.enumerated() {
            let o = slots[Int(s)]
            precondition(o.state == .stop && o.listIndex == Int32(k), "stop list corrupt")
        }
        for (i, o) in slots.enumerated() where o.state != .free {
            live += 1
            precondition(o.leaves > 0, "live order \(o.id) with no quantity left")
            precondition(o.executed + o.leaves == o.quantity, "order \(o.id): executed + leaves != quantity")
            precondition(byID.find(o.id) == Int32(i), "order \(o.id) not indexed by id")
            if o.state == .resting {
                // reachable from its chain head
                let chains = o.side == .buy ? bidChains : askChains
                var c = chains.find(UInt64(bitPattern: o.price))
                var found = false
                while c >= 0 { if c == Int32(i) { found = true }; precondition(slots[Int(c)].price == o.price, "chain mixes prices"); c = slots[Int(c)].next }
                precondition(found, "order \(o.id) not in its level chain")
                if o.side == .buy { precondition(o.price >= buyLow && o.price <= buyHigh, "buy bounds stale") }
                else { precondition(o.price >= sellLow && o.price <= sellHigh, "sell bounds stale") }
            }
        }
        precondition(live == byID.count, "\(live) live orders but \(byID.count) ids indexed")
        precondition(live == buys.count + sells.count + stops.count, "live orders not all listed")
        precondition(buyCount == buys.count && sellCount == sells.count, "side counts stale")
        precondition(emitted == outbox.count, "emitted count stale")
    }
}

extension ContiguousArray {
    /// Removes the element at `i` by moving the last element into its place; returns the moved
    /// element (nil if `i` was the last index). O(1).
    @inline(__always)
    mutating func removeLastSwapping(at i: Int) -> Element? {
        let last = count - 1
        if i == last {
            removeLast()
            return nil
        }
        let moved = self[last]
        self[i] = moved
        removeLast()
        return moved
    }
}
