import MithaiEngine
import Testing

/// A hand-built exchange scene: tick 1, lot 1 (money unit 1/10 of a tick-lot), fees 0 / 10 bp.
/// Book: bids 100×10, 99×5; asks 102×8, 103×4.
struct Scene<B: FillBehaviour> {
    static var valuation: Valuation {
        Valuation(contract: .linear, tickSize: .one, lotSize: .one, digits: Valuation.requiredDigits(
            contract: .linear, tickSize: .one, lotSize: .one, multiplier: .one, rateScale: fees.rateScale, fixedFees: []))
    }
    static var fees: TradingValueFees { TradingValueFees(makerBps: .zero, takerBps: ExactDecimal(10)) }

    var x: L2Exchange<B, RiskAverseQueue, TradingValueFees>
    var t: Nanos = 1_000

    init() {
        x = L2Exchange(base: 0, queue: RiskAverseQueue(), fees: Self.fees, valuation: Self.valuation)
        for (side, p, q) in [(Side.buy, 100, 10), (.buy, 99, 5), (.sell, 102, 8), (.sell, 103, 4)] {
            depth(side, Int32(p), Int32(q))
        }
        _ = drain()
    }

    mutating func depth(_ side: Side, _ p: Int32, _ q: Int32) {
        t += 1
        x.process(Event(kind: .depth, side: side, price: p, quantity: q, exchTime: t, localTime: t))
        x.checkInvariants()
    }

    mutating func trade(_ aggressor: Side, _ p: Int32, _ q: Int32) {
        t += 1
        x.process(Event(kind: .trade, side: aggressor, price: p, quantity: q, exchTime: t, localTime: t))
        x.checkInvariants()
    }

    mutating func send(_ kind: MessageKind, _ r: OrderRequest) {
        t += 1
        var m = OrderMessage.request(kind, r, time: t - 1)
        m.requestTime = t - 1
        x.receive(m, at: t)
        x.checkInvariants()
    }

    mutating func drain() -> [OrderMessage] {
        let out = Array(x.outbox)
        x.outbox.removeAll()
        return out
    }

    func ahead(_ id: OrderID) -> Double? { x.restingOrders().first { $0.id == id }?.ahead }
}

/// (kind, status, fill price, fill qty, maker, reason) of messages, for compact expectations.
func summary(_ ms: [OrderMessage]) -> [String] {
    ms.map { m in
        switch m.kind {
        case .fill: return "fill \(m.id) \(m.fillQuantity)@\(m.fillPrice) \(m.isMaker ? "maker" : "taker") \(m.status)"
        case .reject: return "reject \(m.id) \(m.reason)"
        default: return "\(m.status) \(m.id)" + (m.reason == .none ? "" : " \(m.reason)")
        }
    }
}

@Suite("Exchange behaviours and order types")
struct BacktestExchangeTests {
    @Test func postOnlyRejectedWhenCrossingAcceptedOtherwise() {
        var s = Scene<NoPartialFills>()
        s.send(.new, .limit(id: 1, side: .buy, price: 102, quantity: 1, timeInForce: .gtx))
        s.send(.new, .limit(id: 2, side: .sell, price: 100, quantity: 1, timeInForce: .gtx))
        s.send(.new, .limit(id: 3, side: .buy, price: 101, quantity: 1, timeInForce: .gtx))
        #expect(summary(s.drain()) == ["expired 1 post-only order would cross", "expired 2 post-only order would cross", "new 3"])
        #expect(s.x.restingCount == 1)
    }

    @Test func restingOrderJoinsBehindTheLevelAndAdvancesOnPrints() {
        var s = Scene<NoPartialFills>()
        s.send(.new, .limit(id: 1, side: .buy, price: 100, quantity: 3))
        #expect(s.ahead(1) == 10)
        s.trade(.sell, 100, 4)           // ahead 6
        #expect(s.ahead(1) == 6)
        s.depth(.buy, 100, 12)           // level grew: ahead unchanged
        #expect(s.ahead(1) == 6)
        s.depth(.buy, 100, 2)            // level shrank below us: ahead = 2
        #expect(s.ahead(1) == 2)
        s.trade(.buy, 100, 50)           // a buyer's print does not touch bids
        #expect(s.ahead(1) == 2)
        s.trade(.sell, 100, 2)           // reaches us exactly: not filled yet
        #expect(s.ahead(1) == 0)
        _ = s.drain()
        s.trade(.sell, 100, 1)           // one lot past us: filled entirely (no partial fills)
        #expect(summary(s.drain()) == ["fill 1 3@100 maker filled"])
        #expect(s.x.restingCount == 0)
    }

    @Test func partialFillsTakeOnlyWhatReachedPastTheQueue() {
        var s = Scene<PartialFills>()
        s.send(.new, .limit(id: 1, side: .buy, price: 100, quantity: 5))
        _ = s.drain()
        s.trade(.sell, 100, 12)          // 2 lots past the 10 ahead
        #expect(summary(s.drain()) == ["fill 1 2@100 maker partially_filled"])
        #expect(s.ahead(1) == 0)
        s.trade(.sell, 100, 1)
        #expect(summary(s.drain()) == ["fill 1 1@100 maker partially_filled"])
        s.trade(.sell, 100, 7)           // more than what is left
        #expect(summary(s.drain()) == ["fill 1 2@100 maker filled"])
    }

    @Test func printsThroughOurPriceAndCrossingBestsFillEntirely() {
        for partial in [false, true] {
            func run<B: FillBehaviour>(_ s: inout Scene<B>) {
                s.send(.new, .limit(id: 1, side: .buy, price: 100, quantity: 5))
                s.send(.new, .limit(id: 2, side: .sell, price: 102, quantity: 5))
                s.send(.new, .limit(id: 3, side: .buy, price: 99, quantity: 5))
                _ = s.drain()
                s.trade(.sell, 99, 1)            // below our 100: order 1 filled at 100; 99 advances
                #expect(summary(s.drain()) == ["fill 1 5@100 maker filled"])
                #expect(s.ahead(3) == 4)
                s.depth(.buy, 101, 3)            // bid improves to 101: no effect on asks at 102
                #expect(s.drain().isEmpty)
                s.depth(.buy, 102, 1)            // best bid reaches our ask at 102: filled at 102
                #expect(summary(s.drain()) == ["fill 2 5@102 maker filled"])
                s.depth(.sell, 98, 1)            // best ask through our bid at 99 (crossed bids removed)
                #expect(summary(s.drain()) == ["fill 3 5@99 maker filled"])
            }
            if partial { var s = Scene<PartialFills>(); run(&s) } else { var s = Scene<NoPartialFills>(); run(&s) }
        }
    }

    @Test func marketableLimitsNoPartialFillsTakeEverythingAtTheBest() {
        var s = Scene<NoPartialFills>()
        s.send(.new, .limit(id: 1, side: .buy, price: 103, quantity: 10))            // GTC
        s.send(.new, .limit(id: 2, side: .buy, price: 102, quantity: 50, timeInForce: .ioc))
        s.send(.new, .limit(id: 3, side: .sell, price: 90, quantity: 20, timeInForce: .fok))
        s.send(.new, .market(id: 4, side: .sell, quantity: 7))
        s.send(.new, .limit(id: 5, side: .buy, price: 101, quantity: 1, timeInForce: .ioc))
        s.send(.new, .limit(id: 6, side: .buy, price: 101, quantity: 1, timeInForce: .fok))
        #expect(summary(s.drain()) == ["fill 1 10@102 taker filled", "fill 2 50@102 taker filled",
                                       "fill 3 20@100 taker filled", "fill 4 7@100 taker filled",
                                       "expired 5 no liquidity", "expired 6 fill-or-kill order not fillable"])
        // taker fee 10 bp of 10 × 102 = 1.02 (one money unit = 0.1 × tick-lot... exact)
        #expect(s.x.totals.fills == 4)
        #expect(s.x.totals.position == 10 + 50 - 20 - 7)
    }

    @Test func marketableLimitsPartialFillsWalkTheBook() {
        var s = Scene<PartialFills>()
        s.send(.new, .limit(id: 1, side: .buy, price: 103, quantity: 10))             // 8@102 + 2@103
        #expect(summary(s.drain()) == ["fill 1 8@102 taker partially_filled", "fill 1 2@103 taker filled"])
        s.send(.new, .limit(id: 2, side: .buy, price: 103, quantity: 20, timeInForce: .ioc))
        #expect(summary(s.drain()) == ["fill 2 8@102 taker partially_filled", "fill 2 4@103 taker partially_filled",
                                       "expired 2 no liquidity"])
        s.send(.new, .limit(id: 3, side: .buy, price: 103, quantity: 13, timeInForce: .fok))
        #expect(summary(s.drain()) == ["expired 3 fill-or-kill order not fillable"])
        s.send(.new, .limit(id: 4, side: .buy, price: 103, quantity: 12, timeInForce: .fok))
        #expect(summary(s.drain()) == ["fill 4 8@102 taker partially_filled", "fill 4 4@103 taker filled"])
        s.send(.new, .market(id: 5, side: .sell, quantity: 20))                      // 10@100 + 5@99, rest expires
        #expect(summary(s.drain()) == ["fill 5 10@100 taker partially_filled", "fill 5 5@99 taker partially_filled",
                                       "expired 5 no liquidity"])
        // GTC remainder rests at its limit, at the front of the queue
        s.send(.new, .limit(id: 6, side: .buy, price: 102, quantity: 10))
        #expect(summary(s.drain()) == ["fill 6 8@102 taker partially_filled", "partially_filled 6"])
        #expect(s.ahead(6) == 0)
        s.trade(.sell, 102, 1)
        #expect(summary(s.drain()) == ["fill 6 1@102 maker partially_filled"])
    }

    @Test func marketOrderOnAnEmptySideExpires() {
        var s = Scene<NoPartialFills>()
        s.depth(.sell, 102, 0)
        s.depth(.sell, 103, 0)
        s.send(.new, .market(id: 1, side: .buy, quantity: 1))
        #expect(summary(s.drain()) == ["expired 1 no liquidity"])
    }

    @Test func stopAndStopLimitTriggerOnPrints() {
        var s = Scene<NoPartialFills>()
        s.send(.new, OrderRequest(id: 1, side: .buy, type: .stop, stopPrice: 105, quantity: 2))
        s.send(.new, OrderRequest(id: 2, side: .sell, type: .stopLimit, timeInForce: .gtc, price: 98, stopPrice: 99, quantity: 3))
        s.send(.new, OrderRequest(id: 3, side: .sell, type: .stopLimit, timeInForce: .gtc, price: 101, stopPrice: 99, quantity: 1))
        #expect(summary(s.drain()) == ["new 1", "new 2", "new 3"])
        #expect(s.x.restingOrders().filter(\.isWaitingStop).count == 3)
        s.trade(.buy, 104, 1)
        #expect(s.drain().isEmpty)
        s.trade(.buy, 105, 1)            // buy stop: market buy at the best ask
        #expect(summary(s.drain()) == ["fill 1 2@102 taker filled"])
        s.trade(.sell, 99, 1)            // sell stop-limits: 2 crosses (taker at 100), 3 rests at 101
        #expect(summary(s.drain()) == ["fill 2 3@100 taker filled", "new 3"])
        #expect(s.x.restingOrders().map(\.id) == [3])
        // a stop whose trigger has already been printed triggers on arrival
        s.send(.new, OrderRequest(id: 4, side: .sell, type: .stop, stopPrice: 100, quantity: 1))
        #expect(summary(s.drain()) == ["fill 4 1@100 taker filled"])
    }

    @Test func modifyKeepsPriorityOnlyForASmallerQuantityAtTheSamePrice() {
        var s = Scene<NoPartialFills>()
        s.send(.new, .limit(id: 1, side: .buy, price: 100, quantity: 5))
        s.trade(.sell, 100, 6)           // ahead 4
        _ = s.drain()
        s.send(.modify, .limit(id: 1, side: .buy, price: 100, quantity: 3))
        #expect(summary(s.drain()) == ["new 1"])
        #expect(s.ahead(1) == 4)          // kept
        s.send(.modify, .limit(id: 1, side: .buy, price: 100, quantity: 4))
        #expect(s.ahead(1) == 10)         // larger: back of the queue (level still shows 10)
        s.send(.modify, .limit(id: 1, side: .buy, price: 99, quantity: 4))
        #expect(s.ahead(1) == 5)          // new price: behind the 5 at 99
        s.send(.modify, .limit(id: 1, side: .buy, price: 102, quantity: 4))   // GTC through the ask: takes
        #expect(summary(s.drain()) == ["new 1", "new 1", "fill 1 4@102 taker filled"])
        s.send(.new, .limit(id: 2, side: .buy, price: 100, quantity: 5, timeInForce: .gtx))
        s.send(.modify, .limit(id: 2, side: .buy, price: 102, quantity: 5, timeInForce: .gtx))  // post-only crosses
        #expect(summary(s.drain()) == ["new 2", "expired 2 post-only order would cross"])
    }

    @Test func modifyBelowExecutedQuantityIsRejected() {
        var s = Scene<PartialFills>()
        s.send(.new, .limit(id: 1, side: .buy, price: 100, quantity: 5))
        s.trade(.sell, 100, 13)          // 3 executed
        _ = s.drain()
        s.send(.modify, .limit(id: 1, side: .buy, price: 100, quantity: 3))
        #expect(summary(s.drain()) == ["reject 1 invalid quantity"])
        s.send(.modify, .limit(id: 1, side: .buy, price: 100, quantity: 4))   // 1 left, keeps the front
        #expect(summary(s.drain()) == ["partially_filled 1"])
        #expect(s.ahead(1) == 0)
    }

    @Test func cancelsDuplicatesAndUnknownOrders() {
        var s = Scene<NoPartialFills>()
        s.send(.new, .limit(id: 7, side: .sell, price: 105, quantity: 1))
        s.send(.new, .limit(id: 7, side: .sell, price: 106, quantity: 1))
        s.send(.cancel, .limit(id: 8, side: .sell, price: 105, quantity: 1))
        s.send(.cancel, .limit(id: 7, side: .sell, price: 105, quantity: 1))
        s.send(.cancel, .limit(id: 7, side: .sell, price: 105, quantity: 1))
        s.send(.modify, .limit(id: 7, side: .sell, price: 104, quantity: 1))
        s.send(.new, .limit(id: 9, side: .sell, price: 105, quantity: 0))
        #expect(summary(s.drain()) == ["new 7", "reject 7 duplicate order id", "reject 8 unknown order", "canceled 7",
                                       "reject 7 unknown order", "reject 7 unknown order", "reject 9 invalid quantity"])
        #expect(s.x.restingCount == 0)
    }

    @Test func ourOrdersNeverMoveTheHistoricalBook() {
        var s = Scene<PartialFills>()
        let before = s.x.book.levels(.sell)
        s.send(.new, .limit(id: 1, side: .buy, price: 103, quantity: 10))
        s.send(.new, .limit(id: 2, side: .sell, price: 110, quantity: 10))
        #expect(s.x.book.levels(.sell) == before)
    }

    @Test func feesAreExactMakerRebateTakerFee() {
        // tick 0.1, lot 0.001, maker -0.5 bp, taker 7 bp: a maker fill of 0.1 @ 60000.1 is worth
        // 6000.01 and earns 0.3000005; a taker fill pays 4.200007.
        let fees = TradingValueFees(makerBps: ExactDecimal("-0.5")!, takerBps: ExactDecimal(7))
        let v = Valuation(contract: .linear, tickSize: ExactDecimal("0.1")!, lotSize: ExactDecimal("0.001")!, digits: Valuation.requiredDigits(contract: .linear, tickSize: ExactDecimal("0.1")!, lotSize: ExactDecimal("0.001")!, multiplier: .one, rateScale: fees.rateScale, fixedFees: []))
        var f = fees
        f.bind(to: v)
        let value = v.value(price: 600_001, quantity: 100)
        #expect(v.scale.format(value) == "6000.01")
        #expect(v.scale.format(f.fee(value: value, quantity: 100, isMaker: true, side: .buy)) == "-0.3000005")
        #expect(v.scale.format(f.fee(value: value, quantity: 100, isMaker: false, side: .sell)) == "4.200007")
    }
}

extension OrderMessage {
    /// A request message (test helper).
    static func request(_ kind: MessageKind, _ r: OrderRequest, time: Nanos) -> OrderMessage {
        OrderMessage(kind: kind, request: r, time: time)
    }
}
