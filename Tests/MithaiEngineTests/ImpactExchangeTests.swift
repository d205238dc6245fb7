import MithaiEngine
import Testing

/// The impact engine (`ImpactExchange`): one L3 book for the crowd and our orders, checked
/// against a naive reference matcher (an array of orders scanned for the best price, then the
/// oldest) over random interleavings of crowd arrivals and our requests.
@Suite struct ImpactExchangeTests {
    static let start: Nanos = 1_767_584_700 * Time.second
    static let flow = FlowParameters(limitRate: 50, marketRate: 12, cancelRate: 0.2, meanSize: 10, priceRange: 5)
    static let valuation = Valuation(contract: .linear, tickSize: ExactDecimal("0.05")!, lotSize: ExactDecimal("1")!, digits: 6)
    static let fees = TradingValueFees(makerRate: ExactDecimal("-0.0001")!, takerRate: ExactDecimal("0.0003")!)

    static func engine(seed: UInt64, flow: FlowParameters = flow) -> ImpactExchange<TradingValueFees> {
        let g = OrderFlowGenerator(parameters: flow, model: .zeroIntelligence, reference: 30_000, start: start, seed: seed)
        return ImpactExchange(flow: g, fees: fees, valuation: valuation)
    }

    /// The reference: every resting order in one array, matched by scanning it.
    struct Reference {
        struct Order: Equatable {
            var handle: UInt32
            var side: Side
            var price: Ticks
            var quantity: Lots
            var sequence: Int
            var ours: OrderID?
        }
        var orders: [Order] = []
        var sequence = 0

        mutating func add(_ handle: UInt32, _ side: Side, _ price: Ticks, _ quantity: Lots, ours: OrderID?) {
            sequence += 1
            orders.append(Order(handle: handle, side: side, price: price, quantity: quantity, sequence: sequence, ours: ours))
        }
        func best(_ side: Side) -> Ticks? {
            let p = orders.filter { $0.side == side }.map(\.price)
            return side == .buy ? p.max() : p.min()
        }
        func within(_ o: Order, aggressor: Side, limit: Ticks?) -> Bool {
            guard o.side == aggressor.opposite else { return false }
            guard let l = limit else { return true }
            return aggressor == .buy ? o.price <= l : o.price >= l
        }
        func available(_ aggressor: Side, limit: Ticks?) -> Lots {
            orders.filter { within($0, aggressor: aggressor, limit: limit) }.reduce(0) { $0 + $1.quantity }
        }
        /// Executions (handle, price, quantity, ours) of an aggressor, best price then oldest first.
        mutating func take(_ aggressor: Side, _ quantity: Lots, limit: Ticks?) -> [(UInt32, Ticks, Lots, OrderID?)] {
            var left = quantity
            var out: [(UInt32, Ticks, Lots, OrderID?)] = []
            while left > 0 {
                var pick = -1
                for (k, o) in orders.enumerated() where within(o, aggressor: aggressor, limit: limit) {
                    if pick < 0 { pick = k; continue }
                    let p = orders[pick]
                    let better = aggressor == .buy ? o.price < p.price : o.price > p.price
                    if better || (o.price == p.price && o.sequence < p.sequence) { pick = k }
                }
                if pick < 0 { break }
                let q = min(left, orders[pick].quantity)
                out.append((orders[pick].handle, orders[pick].price, q, orders[pick].ours))
                orders[pick].quantity -= q
                left -= q
                if orders[pick].quantity == 0 { orders.remove(at: pick) }
            }
            return out
        }
        mutating func cancel(_ handle: UInt32) -> Order? {
            guard let k = orders.firstIndex(where: { $0.handle == handle }) else { return nil }
            return orders.remove(at: k)
        }
        mutating func reduce(_ handle: UInt32, to quantity: Lots) {
            if let k = orders.firstIndex(where: { $0.handle == handle }) { orders[k].quantity = quantity }
        }
        /// Each level's handles, front first.
        func queue(_ side: Side, _ price: Ticks) -> [UInt32] {
            orders.filter { $0.side == side && $0.price == price }.sorted { $0.sequence < $1.sequence }.map(\.handle)
        }
        var total: Lots { orders.reduce(0) { $0 + $1.quantity } }
    }

    struct Fill: Equatable, CustomStringConvertible {
        var id: OrderID
        var price: Ticks
        var quantity: Lots
        var maker: Bool
        var description: String { "\(id)\(maker ? "m" : "t") \(quantity)@\(price)" }
    }

    /// Our order as the test keeps it.
    struct Ours {
        var id: OrderID
        var side: Side
        var price: Ticks
        var quantity: Lots
        var executed: Lots
        var handle: UInt32
        var tif: TimeInForce = .gtc
    }

    /// Reference outcome of our order arriving; updates `reference` and returns the fills and
    /// whether it rests (with what leaves), or the expiry reason.
    static func expect(_ ref: inout Reference, id: OrderID, side: Side, type: OrderType, tif: TimeInForce, price: Ticks,
                       leaves: Lots) -> (fills: [Fill], rests: Lots, expiry: RejectReason?)
    {
        let opposite = ref.best(side.opposite)
        let crosses = type == .market || (opposite.map { side == .buy ? price >= $0 : price <= $0 } ?? false)
        var fills: [Fill] = []
        var left = leaves
        if crosses {
            if type == .limit && tif == .gtx { return ([], 0, .postOnlyWouldCross) }
            if opposite == nil { return ([], 0, .noLiquidity) }
            let limit: Ticks? = type == .market ? nil : price
            if type == .limit && tif == .fok && ref.available(side, limit: limit) < leaves { return ([], 0, .fillOrKillUnfillable) }
            let execs = ref.take(side, leaves, limit: limit)
            var k = 0
            while k < execs.count {
                let p = execs[k].1
                var level: Lots = 0
                while k < execs.count && execs[k].1 == p {
                    if let o = execs[k].3 { fills.append(Fill(id: o, price: p, quantity: execs[k].2, maker: true)) }
                    level += execs[k].2
                    k += 1
                }
                fills.append(Fill(id: id, price: p, quantity: level, maker: false))
                left -= level
            }
            if left == 0 { return (fills, 0, nil) }
            if type == .market || tif != .gtc { return (fills, 0, .noLiquidity) }
        } else if type == .market || tif == .ioc {
            return ([], 0, .noLiquidity)
        } else if tif == .fok {
            return ([], 0, .fillOrKillUnfillable)
        }
        return (fills, left, nil)
    }

    static func fills(_ outbox: ContiguousArray<OrderMessage>) -> [Fill] {
        outbox.filter { $0.kind == .fill }.map { Fill(id: $0.id, price: $0.fillPrice, quantity: $0.fillQuantity, maker: $0.isMaker) }
    }

    static func request(_ kind: MessageKind, id: OrderID, side: Side, type: OrderType = .limit, tif: TimeInForce = .gtc,
                        price: Ticks, quantity: Lots) -> OrderMessage
    {
        OrderMessage(kind: kind, request: OrderRequest(id: id, side: side, type: type, timeInForce: tif, price: price, quantity: quantity),
                     time: 1)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func matchesTheReferenceOverRandomInterleavings(seed: UInt64) {
        var ex = Self.engine(seed: seed)
        var ref = Reference()
        var rng = SplitMix64(seed: seed &* 7919)
        var ours: [OrderID: Ours] = [:]
        var nextID: OrderID = 100
        var feed = ContiguousArray<Event>()
        var added: Lots = 0, executed: Lots = 0, cancelled: Lots = 0
        var ourFills: [Fill] = [], refFills: [Fill] = []
        var crowdReactions = 0
        func account(_ events: ArraySlice<Event>) {
            for e in events {
                switch e.kind {
                case .add: added += Lots(e.quantity)
                case .execute: executed += Lots(e.quantity)
                case .cancel: cancelled += Lots(e.quantity)
                default: break
                }
            }
        }
        // The opening book.
        for e in ex.published where e.kind == .add { ref.add(e.orderID, e.side, 30_000 + Ticks(e.price), Lots(e.quantity), ours: nil) }
        account(ex.published[...])
        feed.append(contentsOf: ex.published)
        ex.published.removeAll()
        var lastModify: [OrderID: Lots] = [:]

        for step in 0..<4_000 {
            let r = rng.next() % 100
            let before = ref
            if r < 55 {
                // A crowd arrival.
                let bidBefore = ref.best(.buy), askBefore = ref.best(.sell)
                ex.arrive()
                let events = ex.published
                let execs = events.filter { $0.kind == .execute }
                if let first = execs.first {
                    let total = execs.reduce(0) { $0 + Lots($1.quantity) }
                    let got = ref.take(first.side.opposite, total, limit: nil)
                    #expect(got.map { $0.0 } == execs.map(\.orderID), "price-time priority: the crowd's market order took other orders")
                    #expect(got.map { $0.2 } == execs.map { Lots($0.quantity) })
                    for g in got { if let o = g.3 { refFills.append(Fill(id: o, price: g.1, quantity: g.2, maker: true)) } }
                    for g in got { if let o = g.3 { ours[o]!.executed += g.2; if ours[o]!.executed == ours[o]!.quantity { ours[o] = nil } } }
                } else if let a = events.first(where: { $0.kind == .add }) {
                    let p = 30_000 + Ticks(a.price)
                    // Priced off the whole book (ours included), never crossing.
                    if a.side == .buy, let ask = askBefore {
                        #expect(p < ask && p >= ask - Ticks(Self.flow.priceRange))
                        if before.orders.contains(where: { $0.ours != nil && $0.side == .sell && $0.price == ask }) { crowdReactions += 1 }
                    }
                    if a.side == .sell, let bid = bidBefore {
                        #expect(p > bid && p <= bid + Ticks(Self.flow.priceRange))
                        if before.orders.contains(where: { $0.ours != nil && $0.side == .buy && $0.price == bid }) { crowdReactions += 1 }
                    }
                    ref.add(a.orderID, a.side, p, Lots(a.quantity), ours: nil)
                } else if let c = events.first(where: { $0.kind == .cancel }) {
                    let gone = ref.cancel(c.orderID)
                    #expect(gone != nil && gone!.ours == nil, "crowd cancels pick only crowd orders")
                }
            } else {
                let mid = ((ref.best(.buy) ?? 29_990) + (ref.best(.sell) ?? 30_010)) / 2
                let time = ex.now
                let live = ours.keys.sorted()
                let what = rng.next() % 100
                if what < 55 || live.isEmpty {
                    nextID += 1
                    let side: Side = rng.next() % 2 == 0 ? .buy : .sell
                    let type: OrderType = rng.next() % 10 == 0 ? .market : .limit
                    let tifs: [TimeInForce] = [.gtc, .gtc, .gtc, .ioc, .fok, .gtx]
                    let tif = type == .market ? .ioc : tifs[Int(rng.next() % 6)]
                    let price = mid + Ticks(rng.next() % 9) - 4
                    let quantity = Lots(1 + rng.next() % 40)
                    let e = Self.expect(&ref, id: nextID, side: side, type: type, tif: tif, price: price, leaves: quantity)
                    ex.receive(Self.request(.new, id: nextID, side: side, type: type, tif: tif, price: price, quantity: quantity), at: time)
                    refFills += e.fills
                    for f in e.fills where f.maker {
                        ours[f.id]!.executed += f.quantity
                        if ours[f.id]!.executed == ours[f.id]!.quantity { ours[f.id] = nil }
                    }
                    let last = ex.outbox.last!
                    if e.rests > 0 {
                        let add = ex.published.last!
                        #expect(add.kind == .add && Lots(add.quantity) == e.rests && 30_000 + Ticks(add.price) == price)
                        ref.add(add.orderID, side, price, e.rests, ours: nextID)
                        ours[nextID] = Ours(id: nextID, side: side, price: price, quantity: quantity, executed: quantity - e.rests,
                                            handle: add.orderID, tif: tif)
                        #expect(last.kind == .update && last.leaves == e.rests)
                    } else if let reason = e.expiry {
                        #expect(last.status == .expired && last.reason == reason, "\(type) \(tif): \(last.status) \(last.reason) vs \(reason)")
                    } else {
                        #expect(last.kind == .fill && last.status == .filled)
                    }
                } else if what < 75 {
                    let id = live[Int(rng.next() % UInt64(live.count))]
                    let o = ours[id]!
                    ex.receive(Self.request(.cancel, id: id, side: o.side, price: o.price, quantity: o.quantity), at: time)
                    #expect(ref.cancel(o.handle) != nil)
                    #expect(ex.outbox.last!.status == .canceled)
                    ours[id] = nil
                    // Cancelling again: unknown.
                    ex.receive(Self.request(.cancel, id: id, side: o.side, price: o.price, quantity: o.quantity), at: time)
                    #expect(ex.outbox.last!.kind == .reject && ex.outbox.last!.reason == .unknownOrder)
                } else {
                    let id = live[Int(rng.next() % UInt64(live.count))]
                    let o = ours[id]!
                    let leaves = o.quantity - o.executed
                    let newPrice = rng.next() % 2 == 0 ? o.price : o.price + (o.side == .buy ? 1 : -1) * Ticks(rng.next() % 4)
                    let newQuantity = o.executed + max(1, leaves + Lots(rng.next() % 11) - 7)
                    ex.receive(Self.request(.modify, id: id, side: o.side, price: newPrice, quantity: newQuantity), at: time)
                    let newLeaves = newQuantity - o.executed
                    lastModify[id] = newLeaves
                    if newPrice == o.price && newLeaves <= leaves {
                        ref.reduce(o.handle, to: newLeaves)
                        ours[id]!.quantity = newQuantity
                        #expect(ex.outbox.last!.kind == .update && ex.outbox.last!.leaves == newLeaves)
                    } else {
                        _ = ref.cancel(o.handle)
                        ours[id] = nil
                        let e = Self.expect(&ref, id: id, side: o.side, type: .limit, tif: o.tif, price: newPrice, leaves: newLeaves)
                        refFills += e.fills
                        for f in e.fills where f.maker {
                            ours[f.id]!.executed += f.quantity
                            if ours[f.id]!.executed == ours[f.id]!.quantity { ours[f.id] = nil }
                        }
                        if e.rests > 0 {
                            let add = ex.published.last!
                            #expect(add.kind == .add && Lots(add.quantity) == e.rests)
                            ref.add(add.orderID, o.side, newPrice, e.rests, ours: id)
                            ours[id] = Ours(id: id, side: o.side, price: newPrice, quantity: newQuantity,
                                            executed: newQuantity - e.rests, handle: add.orderID, tif: o.tif)
                        }
                    }
                }
            }
            ourFills += Self.fills(ex.outbox)
            ex.outbox.removeAll()
            account(ex.published[...])
            feed.append(contentsOf: ex.published)
            ex.published.removeAll()
            #expect(ourFills == refFills, "step \(step)")
            if ourFills != refFills { return }
            // Never crossed; conservation: every lot added is resting, executed or cancelled.
            if let b = ref.best(.buy), let a = ref.best(.sell) { #expect(b < a) }
            let resting = ref.total
            let modified = feed.filter { $0.kind == .modify }.count
            if modified == 0 { #expect(added == resting + executed + cancelled) }
            if step % 100 == 0 {
                ex.checkInvariants()
                #expect(ex.book.bestBid == (ref.best(.buy) ?? Ticks.min) && ex.book.bestAsk == (ref.best(.sell) ?? Ticks.max))
                for o in ref.orders {
                    #expect(ex.l3.queue(o.side, at: o.price).map(\.orderID) == ref.queue(o.side, o.price))
                }
            }
        }
        ex.checkInvariants()
        #expect(refFills.count > 50, "the walk exercised fills: \(refFills.count)")
        #expect(refFills.contains { $0.maker } && refFills.contains { !$0.maker })
        #expect(crowdReactions > 0, "the crowd priced off our quotes")
        // The feed is a faithful L3 feed: replayed into a fresh book it gives the engine's book.
        var replayed = L3Book()
        for e in feed { replayed.apply(e, base: 30_000) }
        #expect(replayed.l2.digest() == ex.book.digest())
        #expect(replayed.discrepancies == 0 && replayed.unknownOrderEvents == 0)
        // Conservation with modifies: lots removed by in-place reductions count as cancelled.
        var reduced: Lots = 0
        var size: [UInt32: Lots] = [:]
        for e in feed {
            switch e.kind {
            case .add: size[e.orderID] = Lots(e.quantity)
            case .execute: size[e.orderID]! -= Lots(e.quantity)
            case .modify: reduced += size[e.orderID]! - Lots(e.quantity); size[e.orderID] = Lots(e.quantity)
            case .cancel: size[e.orderID] = 0
            default: break
            }
        }
        #expect(added == ref.total + executed + cancelled + reduced)
    }
}

extension ImpactExchangeTests {
    @Test func aRestingOrderIsFilledWhenTheCrowdReachesItInTheQueue() {
        var ex = Self.engine(seed: 21)
        ex.published.removeAll()
        let bid = ex.book.bestBid
        ex.receive(Self.request(.new, id: 7, side: .buy, price: bid, quantity: 15), at: ex.now)
        let handle = ex.published.last!.orderID
        ex.published.removeAll()
        ex.outbox.removeAll()
        var filled: Lots = 0
        var checked = 0
        for _ in 0..<20_000 where filled < 15 {
            let ahead = ex.l3.queuePosition(of: handle)?.quantityAhead ?? 0
            let t = ex.nextArrival
            ex.arrive()
            let execs = ex.published.filter { $0.kind == .execute }
            if let k = execs.firstIndex(where: { $0.orderID == handle }) {
                // Exact FIFO: everything ahead of us at our price went first.
                let before = execs[..<k].filter { 30_000 + Ticks($0.price) == bid }.reduce(0) { $0 + Lots($1.quantity) }
                #expect(before == ahead)
                let f = ex.outbox.filter { $0.kind == .fill }
                #expect(f.count == 1 && f[0].isMaker && f[0].id == 7 && f[0].fillPrice == bid && f[0].exchangeTime == t)
                #expect(f[0].fillQuantity == Lots(execs[k].quantity))
                filled += f.reduce(0) { $0 + $1.fillQuantity }
                checked += 1
            } else {
                #expect(!ex.outbox.contains { $0.kind == .fill })
            }
            ex.published.removeAll()
            ex.outbox.removeAll()
        }
        #expect(checked > 0 && filled == 15, "the crowd's market sells reach our bid")
        #expect(ex.restingCount == 0)
        ex.checkInvariants()
    }

    @Test func anAggressiveOrderWalksTheBookLevelByLevel() {
        var ex = Self.engine(seed: 5)
        ex.published.removeAll()
        let ask = ex.book.bestAsk
        let atBest = ex.book.bestAskQuantity
        let want = atBest + 30
        ex.receive(Self.request(.new, id: 9, side: .buy, type: .market, tif: .ioc, price: 0, quantity: want), at: ex.now)
        let f = Self.fills(ex.outbox)
        #expect(f.count >= 2 && f.allSatisfy { !$0.maker })
        #expect(f[0].price == ask && f[0].quantity == atBest)
        #expect(zip(f, f.dropFirst()).allSatisfy { $0.price < $1.price })
        #expect(f.reduce(0) { $0 + $1.quantity } == want)
        #expect(ex.book.bestAsk > ask, "the crowd's best ask moved up")
        // The feed shows the executions and one print per level.
        #expect(ex.published.filter { $0.kind == .trade }.count == f.count)
        // The crowd's next buy limit orders are priced off the new ask.
        let newAsk = ex.book.bestAsk
        ex.published.removeAll()
        var seen = 0
        while seen < 5 {
            let a = ex.book.bestAsk
            ex.arrive()
            for e in ex.published where e.kind == .add && e.side == .buy {
                #expect(30_000 + Ticks(e.price) >= a - Ticks(Self.flow.priceRange))
                seen += 1
            }
            ex.published.removeAll()
        }
        #expect(newAsk > ask)
        ex.checkInvariants()
    }
}

/// The impact engine in a live venue: determinism under slicing, real impact (compared with
/// the exogenous mode), manual and bot orders in one book.
@Suite struct LiveImpactTests {
    static func venue(seed: UInt64, impact: Bool) -> any LiveVenueHandle {
        let g = OrderFlowGenerator(parameters: LiveVenueTests.flow, model: .zeroIntelligence, reference: 30_000,
                                   start: LiveVenueTests.start, seed: seed)
        return LiveRunner.make(LiveVenueTests.configuration(), strategy: .grid(LiveVenueTests.grid), base: 30_000,
                               feed: impact ? .impact(g) : .flow(g))
    }

    /// Runs in `slices`; at `start + orderAt` (a slice boundary) sends a manual market buy of `size`.
    static func run(seed: UInt64, slices: [Nanos], impact: Bool = true, orderAt: Nanos = 60 * Time.second,
                    size: Lots = 0) -> (BacktestResult, any LiveVenueHandle)
    {
        let v = venue(seed: seed, impact: impact)
        var t = LiveVenueTests.start
        for s in slices {
            t += s
            v.run(to: t)
            if size > 0 && t == LiveVenueTests.start + orderAt {
                _ = v.submitManual(side: .buy, type: .market, timeInForce: .ioc, price: 0, stopPrice: 0, quantity: size)
                _ = v.submitManual(side: .sell, type: .limit, timeInForce: .gtc, price: v.book.bestAsk + 40, stopPrice: 0, quantity: 50)
            }
        }
        return (v.result(stoppedEarly: true), v)
    }

    @Test func sameSeedSameEventsAndFillsWhateverTheSlicing() {
        let minute = 60 * Time.second
        let (a, va) = Self.run(seed: 42, slices: [minute, minute, minute], size: 400)
        let (b, vb) = Self.run(seed: 42, slices: Array(repeating: 3 * Time.second, count: 60), size: 400)
        let (c, vc) = Self.run(seed: 42, slices: Array(repeating: 60 * Time.second / 7, count: 7) + [2 * minute], orderAt: 60 * Time.second / 7 * 7, size: 400)
        #expect(a.fills.count > 10)
        #expect(va.manualFills.count > 0)
        #expect(a.fills == b.fills && a.orders == b.orders && a.netPnL == b.netPnL)
        #expect(va.manualFills == vb.manualFills)
        #expect(va.recorded.elementsEqual(vb.recorded))
        // A manual order at another time gives another history.
        #expect(!va.recorded.elementsEqual(vc.recorded) || a.fills != c.fills)
        let (d, _) = Self.run(seed: 43, slices: [minute, minute, minute], size: 400)
        #expect(d.fills != a.fills)
    }

    @Test func aLargeBuyMovesTheCrowdsBookAndItsLaterFlow() {
        let minute = 60 * Time.second
        let slices = [minute, 10 * Time.millisecond, minute]
        let (_, quiet) = Self.run(seed: 8, slices: slices)
        let (_, big) = Self.run(seed: 8, slices: [minute, 10 * Time.millisecond, minute], size: 1_500)
        let fills = big.manualFills.filter { $0.side == .buy }
        #expect(fills.count >= 2, "the market order walks several levels")
        #expect(fills.reduce(0) { $0 + $1.quantity } == 1_500)
        #expect(zip(fills, fills.dropFirst()).allSatisfy { $0.price < $1.price && !$1.isMaker })
        // Right after it, the crowd's best ask is higher than without it.
        let t = LiveVenueTests.start + minute
        let askAfter = { (v: any LiveVenueHandle) -> Int32 in
            var book = L3Book()
            for e in v.recorded where e.exchTime <= t + 5 * Time.millisecond { book.apply(e, base: 30_000) }
            return Int32(book.bestAsk - 30_000)
        }
        #expect(askAfter(big) > askAfter(quiet))
        // The crowd's later flow differs (its limit prices follow the moved book).
        let later = { (v: any LiveVenueHandle) in v.recorded.filter { $0.kind == .add && $0.exchTime > t + 5 * Time.millisecond }.map(\.price) }
        #expect(later(big) != later(quiet))
        // The exogenous mode (impact=off): the same order leaves the crowd's feed unchanged.
        let (_, exoQuiet) = Self.run(seed: 8, slices: slices, impact: false)
        let (_, exoBig) = Self.run(seed: 8, slices: slices, impact: false, size: 1_500)
        #expect(exoBig.manualFills.count > 0)
        #expect(exoQuiet.recorded.elementsEqual(exoBig.recorded))
    }

    @Test func manualAndBotOrdersShareTheBookAndTheFeed() {
        let minute = 60 * Time.second
        let (r, v) = Self.run(seed: 9, slices: [minute, minute, minute], size: 200)
        #expect(v.manualAccount.position == v.manualFills.reduce(0) { $0 + ($1.side == .buy ? $1.quantity : -$1.quantity) })
        #expect(!r.fills.contains { $0.orderID >= (1 << 62) })
        #expect(r.fills.contains { $0.isMaker }, "crowd market orders fill the bot's quotes")
        // The feed is a consistent L3 feed (our orders are ordinary adds, executes, cancels).
        var book = L3Book()
        for e in v.recorded { book.apply(e, base: 30_000) }
        #expect(book.discrepancies == 0 && book.unknownOrderEvents == 0)
        #expect(book.bestBid < book.bestAsk)
        // Every bot maker fill has a matching execute of one of its resting orders in the feed.
        let executes = v.recorded.filter { $0.kind == .execute }
        for f in r.fills where f.isMaker {
            #expect(executes.contains { $0.exchTime == f.exchangeTime && 30_000 + Ticks($0.price) == f.price && Lots($0.quantity) == f.quantity })
        }
        #expect(v.flowCounts != nil)
    }
}
