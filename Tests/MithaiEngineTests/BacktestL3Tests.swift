import MithaiEngine
import Testing

@Suite("L3 exchange: exact FIFO queue positions")
struct BacktestL3Tests {
    static let v = Valuation(contract: .linear, tickSize: .one, lotSize: .one, digits: 1)

    struct Scene {
        var x = L3Exchange(base: 0, fees: TradingValueFees.zero, valuation: BacktestL3Tests.v)
        var t: Nanos = 0

        mutating func ev(_ kind: EventKind, _ id: UInt32, _ side: Side, _ p: Int32, _ q: Int32, flags: EventFlags = []) {
            t += 1
            x.process(Event(kind: kind, side: side, price: p, quantity: q, orderID: id, exchTime: t, localTime: t, flags: flags))
            x.checkInvariants()
        }

        mutating func send(_ kind: MessageKind, _ r: OrderRequest) {
            t += 1
            x.receive(OrderMessage(kind: kind, request: r, time: t), at: t)
            x.checkInvariants()
        }

        mutating func drain() -> [String] {
            let out = summary(Array(x.outbox))
            x.outbox.removeAll()
            return out
        }

        func ahead(_ id: OrderID) -> Lots? { x.restingOrders().first { $0.id == id }?.ahead }
    }

    /// Bids: #1 5@100, #2 3@100, asks #3 4@102.
    static func scene() -> Scene {
        var s = Scene()
        s.ev(.add, 1, .buy, 100, 5)
        s.ev(.add, 2, .buy, 100, 3)
        s.ev(.add, 3, .sell, 102, 4)
        return s
    }

    @Test func executionsAheadShrinkTheQueueExecutionsBehindFillUs() {
        var s = Self.scene()
        s.send(.new, .limit(id: 10, side: .buy, price: 100, quantity: 2))
        #expect(s.drain() == ["new 10"])
        #expect(s.ahead(10) == 8)
        s.ev(.add, 4, .buy, 100, 6)                 // joins behind us
        #expect(s.ahead(10) == 8)
        s.ev(.execute, 1, .buy, 100, 5)             // ahead: no fill
        #expect(s.drain().isEmpty)
        #expect(s.ahead(10) == 3)
        s.ev(.cancel, 2, .buy, 100, 3, flags: .fullCancel)
        #expect(s.ahead(10) == 0)
        s.ev(.execute, 4, .buy, 100, 1)             // behind us: the FIFO went through us first
        #expect(s.drain() == ["fill 10 2@100 maker filled"])
        #expect(s.x.restingCount == 0)
    }

    @Test func aModifyThatLosesPriorityMovesAMarketOrderBehindUs() {
        var s = Self.scene()
        s.send(.new, .limit(id: 10, side: .buy, price: 100, quantity: 1))
        _ = s.drain()
        s.ev(.modify, 1, .buy, 100, 4)              // smaller: keeps its place ahead of us
        #expect(s.ahead(10) == 7)
        s.ev(.modify, 1, .buy, 100, 9)              // larger: to the back, behind us
        #expect(s.ahead(10) == 3)
        s.ev(.execute, 2, .buy, 100, 3)             // #2 was ahead: no fill
        #expect(s.drain().isEmpty)
        s.ev(.execute, 1, .buy, 100, 1)             // #1 is now behind us
        #expect(s.drain() == ["fill 10 1@100 maker filled"])
    }

    @Test func executionsAtWorsePricesAndCrossingBestsFillUs() {
        var s = Self.scene()
        s.ev(.add, 5, .buy, 99, 10)
        s.send(.new, .limit(id: 10, side: .buy, price: 100, quantity: 1))
        s.send(.new, .limit(id: 11, side: .sell, price: 103, quantity: 1))
        _ = s.drain()
        s.ev(.execute, 5, .buy, 99, 2)              // the aggressor went through 100
        #expect(s.drain() == ["fill 10 1@100 maker filled"])
        s.ev(.add, 6, .buy, 103, 1)                 // a bid at our ask: the best bid crossed it
        #expect(s.drain() == ["fill 11 1@103 maker filled"])
    }

    @Test func takersPostOnlyAndUnsupportedStops() {
        var s = Self.scene()
        s.send(.new, .limit(id: 10, side: .buy, price: 102, quantity: 9, timeInForce: .gtx))
        s.send(.new, .limit(id: 11, side: .buy, price: 102, quantity: 9))
        s.send(.new, .market(id: 12, side: .sell, quantity: 2))
        s.send(.new, .limit(id: 13, side: .sell, price: 101, quantity: 1, timeInForce: .ioc))
        s.send(.new, OrderRequest(id: 14, side: .sell, type: .stop, stopPrice: 90, quantity: 1))
        #expect(s.drain() == ["expired 10 post-only order would cross", "fill 11 9@102 taker filled",
                              "fill 12 2@100 taker filled", "expired 13 no liquidity", "reject 14 invalid order"])
    }

    @Test func anonymousQuantityIsAheadOfEveryone() {
        var s = Scene()
        s.ev(.depth, 0, .buy, 100, 7)               // level total with no known orders
        s.send(.new, .limit(id: 10, side: .buy, price: 100, quantity: 1))
        _ = s.drain()
        #expect(s.ahead(10) == 7)
        s.ev(.execute, 99, .buy, 100, 7)            // an order the book never saw: anonymous
        #expect(s.drain().isEmpty)
        #expect(s.ahead(10) == 0)
    }

    /// The whole pipeline on L3 data: the strategy's L3 book, latency, the FIFO exchange.
    @Test func backtestOverL3Data() {
        let e: [Event] = [
            Event(kind: .add, side: .buy, price: 100, quantity: 5, orderID: 1, exchTime: 0, localTime: 1),
            Event(kind: .add, side: .sell, price: 102, quantity: 5, orderID: 2, exchTime: 0, localTime: 1),
            Event(kind: .add, side: .buy, price: 100, quantity: 4, orderID: 3, exchTime: 150, localTime: 151),  // behind us
            Event(kind: .execute, side: .buy, price: 100, quantity: 5, orderID: 1, exchTime: 200, localTime: 201),
            Event(kind: .execute, side: .buy, price: 100, quantity: 1, orderID: 3, exchTime: 250, localTime: 251),
            Event(kind: .add, side: .buy, price: 90, quantity: 1, orderID: 4, exchTime: 400, localTime: 401),
        ]
        var s = ScriptedStrategy([1: { t in
            #expect(t.bestBid == 100 && t.bestAsk == 102)
            #expect(t.l3Book?.queue(.buy, at: 100).map(\.orderID) == [1])
            t.submit(.limit(id: 7, side: .buy, price: 100, quantity: 2))
        }])
        let c = BacktestConfiguration(tickSize: .one, lotSize: .one, exchange: .l3FIFO,
                                      latency: .constant(ConstantLatency(entry: 10, response: 5)),
                                      settings: BacktestSettings(decisionInterval: 100, checkInvariants: true))
        let r = e.withUnsafeBufferPointer { BacktestRunner.run(c, strategy: &s, base: 0, exchangeFeed: $0, localFeed: $0) }
        #expect(!r.sharedBook)
        #expect(r.fills.count == 1)
        #expect(r.fills.first?.exchangeTime == 250 && r.fills.first?.price == 100)
        #expect(s.seen.last?.bid == 100)
        #expect(r.position == 2)
    }
}
