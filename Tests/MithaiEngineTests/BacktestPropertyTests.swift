import MithaiEngine
import Testing

// MARK: - Random market

/// A random but plausible L2 feed: a book around a drifting mid, level updates near the touch,
/// improvements inside the spread, trades at the touch followed by the depth update they cause,
/// occasional sweeps, crossing updates and clears. Exchange and local times both increase.
struct MarketGenerator {
    var rng: SplitMix64
    var bids: [Ticks: Lots] = [:]
    var asks: [Ticks: Lots] = [:]
    var t: Nanos = 1_000_000
    var latency: Nanos = 1_000
    var lastLocal: Nanos = 0

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
        for i in 0..<10 {
            bids[1_000 - Ticks(i) * 2] = Lots(1 + rng.next() % 30)
            asks[1_002 + Ticks(i) * 2] = Lots(1 + rng.next() % 30)
        }
    }

    mutating func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    var bestBid: Ticks? { bids.keys.max() }
    var bestAsk: Ticks? { asks.keys.min() }

    mutating func event(_ kind: EventKind, _ side: Side, _ p: Ticks, _ q: Lots, flags: EventFlags = []) -> Event {
        let lo = max(lastLocal, t + latency)
        lastLocal = lo
        return Event(kind: kind, side: side, price: Int32(p), quantity: Int32(q), exchTime: t, localTime: lo, flags: flags)
    }

    mutating func set(_ side: Side, _ p: Ticks, _ q: Lots) -> Event {
        if side == .buy {
            if q > 0 { bids[p] = q; for a in asks.keys where a <= p { asks[a] = nil } } else { bids[p] = nil }
        } else {
            if q > 0 { asks[p] = q; for b in bids.keys where b >= p { bids[b] = nil } } else { asks[p] = nil }
        }
        return event(.depth, side, p, q)
    }

    /// The initial book as depth events.
    mutating func snapshot() -> [Event] {
        var out: [Event] = []
        for (p, q) in bids.sorted(by: { $0.key > $1.key }) { out.append(event(.depth, .buy, p, q)) }
        for (p, q) in asks.sorted(by: { $0.key < $1.key }) { out.append(event(.depth, .sell, p, q)) }
        return out
    }

    /// The next message (one or more events at one exchange time).
    mutating func next() -> [Event] {
        t += Nanos(1 + r(3_000))
        latency = max(200, min(5_000, latency + Nanos(r(401)) - 200))
        let bb = bestBid ?? 990, ba = bestAsk ?? 1_010
        let side: Side = r(2) == 0 ? .buy : .sell
        switch r(100) {
        case 0..<40:   // change a level near the touch
            let p = side == .buy ? bb - Ticks(r(6)) : ba + Ticks(r(6))
            let q = r(5) == 0 ? 0 : Lots(1 + r(40))
            return [set(side, p, q)]
        case 40..<55:  // improve inside the spread
            if ba - bb > 1 {
                let p = side == .buy ? bb + 1 + Ticks(r(Int(ba - bb - 1))) : ba - 1 - Ticks(r(Int(ba - bb - 1)))
                return [set(side, p, Lots(1 + r(20)))]
            }
            return [set(side, side == .buy ? bb : ba, Lots(1 + r(20)))]
        case 55..<80:  // a trade at the touch and the update it causes
            let aggressor = side
            let p = aggressor == .buy ? ba : bb
            let level = (aggressor == .buy ? asks[p] : bids[p]) ?? 0
            let q = Lots(1 + r(max(1, Int(level) + 5)))
            var out = [event(.trade, aggressor, p, q)]
            if level > 0 { out.append(set(aggressor.opposite, p, max(0, level - q))) }
            return out
        case 80..<88:  // a sweep through several levels
            let aggressor = side
            var out: [Event] = []
            let levels = 1 + r(3)
            for _ in 0..<levels {
                guard let p = aggressor == .buy ? bestAsk : bestBid else { break }
                let level = (aggressor == .buy ? asks[p] : bids[p]) ?? 0
                out.append(event(.trade, aggressor, p, level))
                out.append(set(aggressor.opposite, p, 0))
            }
            return out.isEmpty ? [set(side, side == .buy ? 995 : 1_005, 5)] : out
        case 88..<93:  // a crossing update (the other side's touch is removed)
            let p = side == .buy ? ba + Ticks(r(2)) : bb - Ticks(r(2))
            return [set(side, p, Lots(1 + r(10)))]
        case 93..<95:  // a print with unknown side or an execute event
            let p = r(2) == 0 ? bb : ba
            return [event(.execute, p == bb ? .buy : .sell, p, Lots(1 + r(5)))]
        case 95..<97:  // clear part of a side, then refill
            if side == .buy {
                let from = bb - Ticks(r(4))
                for b in bids.keys where b >= from { bids[b] = nil }
                return [event(.clear, .buy, from, 0), set(.buy, from - 1, Lots(1 + r(20)))]
            } else {
                let from = ba + Ticks(r(4))
                for a in asks.keys where a <= from { asks[a] = nil }
                return [event(.clear, .sell, from, 0), set(.sell, from + 1, Lots(1 + r(20)))]
            }
        default:       // deep levels
            let p = side == .buy ? bb - 6 - Ticks(r(20)) : ba + 6 + Ticks(r(20))
            return [set(side, p, Lots(r(50)))]
        }
    }

    mutating func stream(messages: Int) -> [Event] {
        var out = snapshot()
        for _ in 0..<messages { out += next() }
        return out
    }
}

// MARK: - Naive reference exchange

/// The exchange rules of docs/BACKTEST.md, written the obvious way: dictionaries for the book,
/// one array of orders, linear scans, sorting on every use. Risk-averse queue.
struct NaiveExchange {
    struct Order {
        var id: OrderID, side: Side, type: OrderType, tif: TimeInForce
        var price: Ticks, stop: Ticks, quantity: Lots, leaves: Lots, executed: Lots
        var ahead: Lots, seq: Int, waiting: Bool, requestTime: Nanos
    }
    let partial: Bool
    var bids: [Ticks: Lots] = [:]
    var asks: [Ticks: Lots] = [:]
    var orders: [Order] = []      // live orders (resting and waiting stops)
    var seq = 0
    var lastTrade: Ticks? = nil
    var out: [String] = []

    init(partial: Bool) { self.partial = partial }

    var bestBid: Ticks { bids.keys.max() ?? Ticks.min }
    var bestAsk: Ticks { asks.keys.min() ?? Ticks.max }

    func line(_ o: Order, _ what: String) -> String {
        "\(what) id=\(o.id) leaves=\(o.leaves) exec=\(o.executed) px=\(o.price)"
    }

    mutating func emit(_ o: Order, status: OrderStatus, reason: RejectReason = .none) {
        out.append(line(o, "update \(status) \(reason)"))
    }

    mutating func fill(_ i: Int, qty: Lots, price: Ticks, maker: Bool) {
        orders[i].leaves -= qty
        orders[i].executed += qty
        let st: OrderStatus = orders[i].leaves == 0 ? .filled : .partiallyFilled
        out.append(line(orders[i], "fill \(st) \(qty)@\(price) maker=\(maker)"))
    }

    mutating func removeDone() { orders.removeAll { $0.leaves == 0 } }

    func resting(_ side: Side) -> [Int] {
        orders.indices.filter { !orders[$0].waiting && orders[$0].side == side }
            .sorted { a, b in
                let x = orders[a], y = orders[b]
                if x.price != y.price { return side == .buy ? x.price > y.price : x.price < y.price }
                return x.seq < y.seq
            }
    }

    mutating func apply(_ e: Event) {
        let p = Ticks(e.price), q = Lots(e.quantity)
        switch e.kind {
        case .depth, .snapshot:
            if e.side == .buy {
                let prev = bestBid
                if q > 0 { bids[p] = q; for a in asks.keys where a <= p { asks[a] = nil } } else { bids[p] = nil }
                for i in orders.indices where !orders[i].waiting && orders[i].side == .buy && orders[i].price == p {
                    orders[i].ahead = min(orders[i].ahead, q)
                }
                if bestBid > prev {
                    for i in resting(.sell) where orders[i].price <= bestBid {
                        fill(i, qty: orders[i].leaves, price: orders[i].price, maker: true)
                    }
                }
            } else {
                let prev = bestAsk
                if q > 0 { asks[p] = q; for b in bids.keys where b >= p { bids[b] = nil } } else { asks[p] = nil }
                for i in orders.indices where !orders[i].waiting && orders[i].side == .sell && orders[i].price == p {
                    orders[i].ahead = min(orders[i].ahead, q)
                }
                if bestAsk < prev {
                    for i in resting(.buy) where orders[i].price >= bestAsk {
                        fill(i, qty: orders[i].leaves, price: orders[i].price, maker: true)
                    }
                }
            }
            removeDone()
        case .clear:
            if e.side == .buy { for b in bids.keys where b >= p { bids[b] = nil } }
            else if e.side == .sell { for a in asks.keys where a <= p { asks[a] = nil } }
            else { bids = [:]; asks = [:] }
        case .trade, .execute, .executeHidden:
            let aggressor = e.kind == .trade ? e.side : e.side.opposite
            lastTrade = p
            let hit = aggressor.opposite
            if aggressor != .none {
                for i in resting(hit) where hit == .sell ? orders[i].price <= p : orders[i].price >= p {
                    if orders[i].price != p {
                        fill(i, qty: orders[i].leaves, price: orders[i].price, maker: true)
                    } else {
                        orders[i].ahead -= q
                        if orders[i].ahead < 0 {
                            let reached = -orders[i].ahead
                            orders[i].ahead = 0
                            fill(i, qty: partial ? min(reached, orders[i].leaves) : orders[i].leaves, price: p, maker: true)
                        }
                    }
                }
                removeDone()
            }
            let triggered = orders.indices.filter { i in
                orders[i].waiting && (orders[i].side == .buy ? p >= orders[i].stop : p <= orders[i].stop)
            }.sorted { orders[$0].seq < orders[$1].seq }.map { orders[$0].id }
            for id in triggered {
                let i = orders.firstIndex { $0.id == id }!
                orders[i].waiting = false
                orders[i].type = orders[i].type == .stop ? .market : .limit
                arrive(id)
            }
        default:
            break
        }
    }

    /// An order already in `orders` (not resting yet) arrives at the matching engine.
    mutating func arrive(_ id: OrderID) {
        let i = orders.firstIndex { $0.id == id }!
        let o = orders[i]
        if o.type == .market { return take(id, limit: nil) }
        let crosses = o.side == .buy ? o.price >= bestAsk : o.price <= bestBid
        if crosses {
            if o.tif == .gtx { emit(o, status: .expired, reason: .postOnlyWouldCross); orders.remove(at: i); return }
            return take(id, limit: o.price)
        }
        switch o.tif {
        case .gtc, .gtx:
            orders[i].ahead = (o.side == .buy ? bids[o.price] : asks[o.price]) ?? 0
            emit(orders[i], status: o.executed > 0 ? .partiallyFilled : .new)
        case .ioc:
            emit(o, status: .expired, reason: .noLiquidity); orders.remove(at: i)
        case .fok:
            emit(o, status: .expired, reason: .fillOrKillUnfillable); orders.remove(at: i)
        }
    }

    mutating func take(_ id: OrderID, limit: Ticks?) {
        var i = orders.firstIndex { $0.id == id }!
        let o = orders[i]
        let book = o.side == .buy ? asks : bids
        let levels = book.keys.sorted { o.side == .buy ? $0 < $1 : $0 > $1 }
        guard let best = levels.first else {
            emit(o, status: .expired, reason: .noLiquidity); orders.remove(at: i); return
        }
        if !partial {
            fill(i, qty: o.leaves, price: best, maker: false)
            orders.remove(at: i)
            return
        }
        let usable = levels.filter { p in limit.map { o.side == .buy ? p <= $0 : p >= $0 } ?? true }
        let available = usable.reduce(0) { $0 + book[$1]! }
        if o.tif == .fok && o.type == .limit && available < o.leaves {
            emit(o, status: .expired, reason: .fillOrKillUnfillable); orders.remove(at: i); return
        }
        for p in usable where orders[i].leaves > 0 {
            fill(i, qty: min(book[p]!, orders[i].leaves), price: p, maker: false)
        }
        if orders[i].leaves == 0 { orders.remove(at: i); return }
        i = orders.firstIndex { $0.id == id }!
        if orders[i].type == .limit && orders[i].tif == .gtc {
            orders[i].ahead = 0
            emit(orders[i], status: .partiallyFilled)
        } else {
            emit(orders[i], status: .expired, reason: .noLiquidity)
            orders.remove(at: i)
        }
    }

    mutating func request(_ kind: MessageKind, _ r: OrderRequest) {
        switch kind {
        case .new:
            if orders.contains(where: { $0.id == r.id }) { return out.append("reject \(r.id) \(RejectReason.duplicateOrderID)") }
            if r.quantity <= 0 { return out.append("reject \(r.id) \(RejectReason.invalidQuantity)") }
            seq += 1
            var o = Order(id: r.id, side: r.side, type: r.type, tif: r.timeInForce, price: r.price, stop: r.stopPrice,
                          quantity: r.quantity, leaves: r.quantity, executed: 0, ahead: 0, seq: seq, waiting: false,
                          requestTime: 0)
            if r.type == .stop || r.type == .stopLimit {
                if let l = lastTrade, r.side == .buy ? l >= r.stopPrice : l <= r.stopPrice {
                    o.type = r.type == .stop ? .market : .limit
                    orders.append(o)
                    arrive(r.id)
                } else {
                    o.waiting = true
                    orders.append(o)
                    emit(o, status: .new)
                }
                return
            }
            orders.append(o)
            arrive(r.id)
        case .cancel:
            guard let i = orders.firstIndex(where: { $0.id == r.id }) else {
                return out.append("reject \(r.id) \(RejectReason.unknownOrder)")
            }
            emit(orders[i], status: .canceled)
            orders.remove(at: i)
        case .modify:
            guard let i = orders.firstIndex(where: { $0.id == r.id }) else {
                return out.append("reject \(r.id) \(RejectReason.unknownOrder)")
            }
            let o = orders[i]
            if r.quantity <= o.executed { return out.append("reject \(r.id) \(RejectReason.invalidQuantity)") }
            let newLeaves = r.quantity - o.executed
            if o.waiting {
                orders[i].price = r.price; orders[i].stop = r.stopPrice
                orders[i].quantity = r.quantity; orders[i].leaves = newLeaves
                return emit(orders[i], status: o.executed > 0 ? .partiallyFilled : .new)
            }
            if o.type != .limit { return out.append("reject \(r.id) \(RejectReason.notModifiable)") }
            orders[i].quantity = r.quantity
            orders[i].leaves = newLeaves
            if r.price == o.price && newLeaves <= o.leaves {
                return emit(orders[i], status: o.executed > 0 ? .partiallyFilled : .new)
            }
            seq += 1
            orders[i].seq = seq
            orders[i].price = r.price
            arrive(r.id)
        default:
            break
        }
    }
}

/// The real exchange's messages in the naive exchange's format.
func describe(_ ms: ContiguousArray<OrderMessage>) -> [String] {
    ms.map { m in
        switch m.kind {
        case .reject: return "reject \(m.id) \(m.reason)"
        case .fill:
            return "fill \(m.status) \(m.fillQuantity)@\(m.fillPrice) maker=\(m.isMaker) id=\(m.id) leaves=\(m.leaves) exec=\(m.executed) px=\(m.price)"
        default:
            return "update \(m.status) \(m.reason) id=\(m.id) leaves=\(m.leaves) exec=\(m.executed) px=\(m.price)"
        }
    }
}

// MARK: - Random strategy

/// Sends random orders, cancels and modifies from a seeded generator (ids increase, so each
/// id names one order).
struct RandomStrategy: Strategy {
    var rng: SplitMix64
    var nextID: OrderID = 1
    var fillsSeen = 0

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    mutating func decide(_ t: inout Trader) {
        if r(4) == 0 { t.clearInactiveOrders() }
        let mid = (t.midHalfTicks ?? 2_002) / 2
        for _ in 0..<r(4) {
            let side: Side = r(2) == 0 ? .buy : .sell
            let off = Ticks(r(12)) - 4
            let price = side == .buy ? mid - off : mid + off
            let q = Lots(1 + r(15))
            let req: OrderRequest
            switch r(10) {
            case 0: req = .market(id: nextID, side: side, quantity: q)
            case 1: req = OrderRequest(id: nextID, side: side, type: .stop, stopPrice: side == .buy ? mid + 3 : mid - 3, quantity: q)
            case 2: req = OrderRequest(id: nextID, side: side, type: .stopLimit, timeInForce: .gtc, price: price,
                                       stopPrice: side == .buy ? mid + 2 : mid - 2, quantity: q)
            default: req = .limit(id: nextID, side: side, price: price, quantity: q,
                                  timeInForce: [TimeInForce.gtc, .gtc, .gtx, .ioc, .fok][r(5)])
            }
            t.submit(req)
            nextID += 1
        }
        let live = Array(t.orders)
        if !live.isEmpty {
            for _ in 0..<r(3) {
                let o = live[r(live.count)]
                if r(2) == 0 {
                    t.cancel(o.id)
                } else {
                    t.modify(o.id, price: o.price + Ticks(r(5)) - 2, quantity: max(1, o.quantity + Lots(r(7)) - 3))
                }
            }
        }
    }

    mutating func didFill(_ fill: Fill) { fillsSeen += 1 }
}

// MARK: - Properties

@Suite("Backtest properties")
struct BacktestPropertyTests {
    /// The exchange and the naive reference, fed the same random events and requests, produce
    /// the same messages, and the exchange's invariants and queue positions hold after every step.
    @Test(arguments: [false, true])
    func exchangeAgreesWithTheNaiveReference(partial: Bool) {
        for seed in propertySeeds {
            var gen = MarketGenerator(seed: seed)
            var rng = SplitMix64(seed: seed ^ 0xABCD)
            let v = Valuation(contract: .linear, tickSize: .one, lotSize: .one, digits: 1)
            var naive = NaiveExchange(partial: partial)
            var fast: (any ExchangeModel) = partial
                ? PartialFillExchange(base: 0, queue: RiskAverseQueue(), fees: TradingValueFees.zero, valuation: v) as any ExchangeModel
                : NoPartialFillExchange(base: 0, queue: RiskAverseQueue(), fees: TradingValueFees.zero, valuation: v)
            var ids: [OrderID] = []
            var nextID: OrderID = 1
            var failed = false
            func compare(_ what: String) {
                let a = describe(fast.outbox)
                fast.outbox.removeAll()
                let b = naive.out
                naive.out.removeAll()
                if a != b && !failed {
                    failed = true
                    Issue.record("seed \(seed) partial \(partial) after \(what):\n ours  \(a)\n naive \(b)")
                }
            }
            for e in gen.snapshot() { fast.process(e); naive.apply(e) }
            compare("snapshot")
            for step in 0..<400 where !failed {
                for e in gen.next() {
                    fast.process(e)
                    naive.apply(e)
                    compare("event \(e) at step \(step)")
                }
                for _ in 0..<Int(rng.next() % 3) {
                    let kind: MessageKind = [.new, .new, .new, .cancel, .modify][Int(rng.next() % 5)]
                    let side: Side = rng.next() % 2 == 0 ? .buy : .sell
                    let mid = (naive.bestBid == Ticks.min || naive.bestAsk == Ticks.max) ? 1_001 : (naive.bestBid + naive.bestAsk) / 2
                    let price = mid + Ticks(rng.next() % 13) - 6
                    var r: OrderRequest
                    if kind == .new {
                        let q = Lots(rng.next() % 12)    // 0 sometimes: invalid
                        switch rng.next() % 8 {
                        case 0: r = .market(id: nextID, side: side, quantity: q)
                        case 1: r = OrderRequest(id: nextID, side: side, type: .stop, stopPrice: price, quantity: q)
                        case 2: r = OrderRequest(id: nextID, side: side, type: .stopLimit, timeInForce: .gtc, price: price,
                                                 stopPrice: price + (side == .buy ? -1 : 1), quantity: q)
                        default: r = .limit(id: nextID, side: side, price: price, quantity: q,
                                            timeInForce: TimeInForce(rawValue: UInt8(rng.next() % 4))!)
                        }
                        ids.append(nextID)
                        if rng.next() % 10 != 0 { nextID += 1 }   // sometimes reuse an id: duplicate
                    } else {
                        let id = ids.isEmpty ? 999 : ids[Int(rng.next() % UInt64(ids.count))]
                        r = .limit(id: id, side: side, price: price, quantity: Lots(rng.next() % 12))
                    }
                    let m = OrderMessage(kind: kind, request: r, time: gen.t)
                    fast.receive(m, at: gen.t)
                    naive.request(kind, r)
                    compare("\(kind) \(r) at step \(step)")
                }
                fast.checkInvariants()
                if let x = fast as? PartialFillExchange<RiskAverseQueue, TradingValueFees> {
                    for o in x.restingOrders() { #expect(o.ahead >= 0, "seed \(seed): negative queue ahead") }
                } else if let x = fast as? NoPartialFillExchange<RiskAverseQueue, TradingValueFees> {
                    for o in x.restingOrders() { #expect(o.ahead >= 0, "seed \(seed): negative queue ahead") }
                }
            }
        }
    }

    /// Whole runs with a random strategy: causality, no overfill, position and cash
    /// conservation, and identical results for identical seeds.
    @Test(arguments: [ExchangeBehaviour.noPartialFill, .partialFill])
    func runsRespectLatencyConservationAndDeterminism(behaviour: ExchangeBehaviour) {
        let entry: Nanos = 7_000, response: Nanos = 3_000
        for seed in propertySeeds.prefix(20) {
            var gen = MarketGenerator(seed: seed)
            let events = gen.stream(messages: 3_000)
            func run(_ s: UInt64, latency: AnyLatency) -> (BacktestResult, RandomStrategy) {
                var strategy = RandomStrategy(seed: s)
                var c = BacktestConfiguration(tickSize: .one, lotSize: .one, exchange: behaviour, latency: latency,
                                              fees: TradingValueFees(makerBps: ExactDecimal(-1), takerBps: ExactDecimal(5)),
                                              settings: BacktestSettings(decisionInterval: 50_000, checkInvariants: true))
                c.queue = .riskAverse
                let r = events.withUnsafeBufferPointer {
                    BacktestRunner.run(c, strategy: &strategy, base: 0, exchangeFeed: $0, localFeed: $0)
                }
                return (r, strategy)
            }
            let (r, strategy) = run(seed, latency: .constant(ConstantLatency(entry: entry, response: response)))
            let v = r.valuation
            #expect(r.fills.count > 0, "seed \(seed): no fills at all")
            #expect(strategy.fillsSeen == r.fills.count)
            // Causality: every fill happens after its order reached the exchange, and reaches the
            // strategy exactly one response latency later.
            var submitted: [OrderID: OrderRecord] = [:]
            for o in r.orders { submitted[o.id] = o }
            for f in r.fills {
                let o = submitted[f.orderID]!
                #expect(f.exchangeTime >= o.submitTime + entry, "seed \(seed): fill before arrival")
                #expect(f.localTime == f.exchangeTime + response)
            }
            // No overfill; records agree with the fills.
            var executed: [OrderID: Lots] = [:]
            for f in r.fills { executed[f.orderID, default: 0] += f.quantity }
            for o in r.orders {
                #expect((executed[o.id] ?? 0) <= o.quantity, "seed \(seed): order \(o.id) overfilled")
                #expect((executed[o.id] ?? 0) == o.executed)
            }
            // Position = signed sum of fills; cash and fees are conserved between the exchange and
            // the strategy; the ledger matches a recomputation from the fills.
            var position: Lots = 0
            var cash = Money.zero, fees = Money.zero
            for f in r.fills {
                position += f.signedQuantity
                cash += v.cashFlow(side: f.side, value: f.value)
                fees += f.fee
                #expect(f.positionAfter == position)
                #expect(f.value == v.value(price: f.price, quantity: f.quantity))
            }
            #expect(r.position == position && r.exchangeTotals.position == position)
            #expect(r.cash == cash && r.exchangeTotals.cash == cash)
            #expect(r.fees == fees && r.exchangeTotals.fees == fees)
            #expect(r.exchangeTotals.fills == r.fills.count)
            let last = r.equity.last!
            #expect(last.equity == last.cash + v.mark(position: last.position, halfTicks: last.markHalfTicks) - last.fees
                    || last.markHalfTicks == 0)
            // Same seed, same fills; a different strategy seed trades differently.
            let (again, _) = run(seed, latency: .constant(ConstantLatency(entry: entry, response: response)))
            #expect(again.fills == r.fills)
            #expect(again.orders == r.orders)
            let (other, _) = run(seed &+ 1_000, latency: .constant(ConstantLatency(entry: entry, response: response)))
            #expect(other.fills != r.fills)
            // Jittered latency: same seed, same run.
            let j = AnyLatency.jittered(JitteredLatency(base: ConstantLatency(entry: entry, response: response),
                                                        entryJitter: 5_000, responseJitter: 2_000, seed: seed))
            let (j1, _) = run(seed, latency: j)
            let (j2, _) = run(seed, latency: j)
            #expect(j1.fills == j2.fills)
            for f in j1.fills { #expect(f.localTime >= f.exchangeTime + response && f.localTime <= f.exchangeTime + response + 2_000) }
        }
    }

    /// One book rewound for the strategy (shared-book mode) and two replicas give the strategy
    /// the same book at every decision and the same run, on feeds with crossing updates and
    /// clears, with several latencies and decision intervals.
    @Test func sharedBookShowsTheStrategyWhatASecondReplicaWould() {
        struct Watcher: Strategy {
            var inner: RandomStrategy
            var views: [[BookLevel]] = []
            mutating func decide(_ t: inout Trader) {
                views.append(t.book.levels(.buy, maxLevels: 6) + t.book.levels(.sell, maxLevels: 6))
                inner.decide(&t)
            }
            mutating func didFill(_ fill: Fill) { inner.didFill(fill) }
        }
        for seed in propertySeeds.prefix(12) {
            var gen = MarketGenerator(seed: seed)
            let events = gen.stream(messages: 2_000)
            for interval in [Nanos(3_000), 50_000] {
                var results: [(BacktestResult, [[BookLevel]])] = []
                for share in [true, false] {
                    var w = Watcher(inner: RandomStrategy(seed: seed))
                    let c = BacktestConfiguration(tickSize: .one, lotSize: .one, exchange: .partialFill,
                                                  latency: .constant(ConstantLatency(entry: 2_000, response: 1_000)),
                                                  settings: BacktestSettings(decisionInterval: interval, shareBook: share))
                    let r = events.withUnsafeBufferPointer {
                        BacktestRunner.run(c, strategy: &w, base: 0, exchangeFeed: $0, localFeed: $0)
                    }
                    #expect(r.sharedBook == share)
                    results.append((r, w.views))
                }
                let (a, va) = results[0], (b, vb) = results[1]
                if let k = zip(va, vb).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                    Issue.record("seed \(seed) interval \(interval): decision \(k) saw \(va[k]) vs \(vb[k]) with two books")
                }
                #expect(va.count == vb.count)
                #expect(a.fills == b.fills, "seed \(seed): fills differ")
                #expect(a.orders == b.orders, "seed \(seed): orders differ")
                #expect(a.equity == b.equity, "seed \(seed): equity differs")
                #expect(a.finalMarkHalfTicks == b.finalMarkHalfTicks)
                #expect(a.localEvents == b.localEvents && a.exchangeEvents == b.exchangeEvents)
                #expect(a.tickToOrder == b.tickToOrder)
            }
        }
    }

    /// Every queue model and both behaviours run the grid on the tiny fixture with all
    /// invariants checked after every step.
    @Test(arguments: [QueueModelKind.riskAverse, .power(2), .power2(3), .power3(3), .log, .log2])
    func queueModelsRunWithInvariants(queue: QueueModelKind) throws {
        let feed = try BenchData.loadCSV(BenchData.fixtures.appendingPathComponent("tiny.csv").path)
        for behaviour in [ExchangeBehaviour.noPartialFill, .partialFill] {
            var c = BacktestConfiguration.benchGrid
            c.queue = queue
            c.exchange = behaviour
            c.settings.checkInvariants = true
            let run = feed.withFeeds { ex, lo in
                BacktestRunner.runGrid(c, grid: .benchReference, base: feed.base, exchangeFeed: ex, localFeed: lo)
            }
            let r = run.result
            #expect(r.position == r.fills.reduce(0) { $0 + $1.signedQuantity })
            #expect(r.exchangeTotals.fills == r.fills.count)
            // Less conservative models fill at least as often as the risk-averse one here.
            if queue != .riskAverse { #expect(r.fills.count >= 20, "\(queue) \(behaviour)") }
        }
    }
}
