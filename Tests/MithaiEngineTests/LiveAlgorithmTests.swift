import MithaiEngine
import Testing

/// Execution algorithms inside a live venue, on the manual account beside the bot.
@Suite struct LiveAlgorithmTests {
    static let second = Time.second
    static var manualBase: OrderID { 1 << 62 }

    /// A grid bot on zi flow; a parent started at `t0 + startAfter` (and cancelled at
    /// `cancelAfter` when given), the venue run to `t0 + total` in `slices`.
    static func run(seed: UInt64, style: ExecutionStyle, side: Side = .buy, quantity: Lots = 200, over: Nanos = 60 * second,
                    startAfter: Nanos = 30 * second, cancelAfter: Nanos? = nil, total: Nanos = 120 * second, slice: Nanos)
        -> (any LiveVenueHandle, LiveAlgorithmHost)
    {
        let g = OrderFlowGenerator(parameters: LiveVenueTests.flow, model: .zeroIntelligence, reference: 30_000,
                                   start: LiveVenueTests.start, seed: seed)
        let v = LiveRunner.make(LiveVenueTests.configuration(), strategy: .grid(LiveVenueTests.grid), base: 30_000, feed: .flow(g))
        let host = v as! LiveAlgorithmHost
        let t0 = LiveVenueTests.start
        // Command times: exact simulated instants, reached whatever the slicing.
        var commands: [(Nanos, Bool)] = [(t0 + startAfter, true)]
        if let c = cancelAfter { commands.append((t0 + c, false)) }
        var t = t0
        while t < t0 + total {
            let next = min(t + slice, t0 + total)
            if let (at, isStart) = commands.first, at <= next {
                v.run(to: at)
                if isStart {
                    _ = host.startAlgorithm(ParentOrder(side: side, quantity: quantity, duration: over), style: style, every: 0,
                                            catchUp: nil, aggressive: false)
                } else {
                    _ = host.cancelAlgorithm(1)
                }
                commands.removeFirst()
                t = at
                continue
            }
            v.run(to: next)
            t = next
        }
        return (v, host)
    }

    @Test func twapWorksTheParentOnTheManualAccount() throws {
        let (v, host) = Self.run(seed: 5, style: .twap(slices: 6), slice: 10 * Self.second)
        let p = try #require(host.algorithms.parents.first)
        let r = try #require(p.report, "the parent ended within its window")
        #expect(r.filled == 200 && r.completion == 1)
        #expect(r.childOrders >= 6, "at least one child per slice")
        #expect(p.children.allSatisfy { $0 > Self.manualBase }, "children are manual orders")
        // Every manual fill is a child's; the manual position is the parent's.
        #expect(v.manualFills.count == r.fills)
        #expect(v.manualFills.allSatisfy { p.children.contains($0.orderID) })
        #expect(v.manualAccount.position == 200)
        #expect(p.orders.count == r.childOrders)
        // Benchmarks: arrival in the window's price range; prints counted.
        #expect(r.marketVolume > 0 && r.intervalVWAPTicks != nil && r.slippageVsArrivalBps != nil)
        #expect(r.end - r.start == 60 * Self.second || r.end - r.start < 60 * Self.second)
        #expect(r.start >= LiveVenueTests.start + 30 * Self.second)
        // The bot still traded beside it, on its own account.
        #expect(v.bot.fills > 0)
        #expect(v.botFills.allSatisfy { $0.orderID < Self.manualBase })
    }

    @Test func sameChildrenAndFillsWhateverTheSlicing() throws {
        for style in [ExecutionStyle.twap(slices: 6), .participation(rate: 0.05, slices: 10), .vwap(slices: 4)] {
            let (va, ha) = Self.run(seed: 11, style: style, side: .sell, cancelAfter: 75 * Self.second, slice: 60 * Self.second)
            let (vb, hb) = Self.run(seed: 11, style: style, side: .sell, cancelAfter: 75 * Self.second, slice: 137 * Time.millisecond)
            let a = try #require(ha.algorithms.parents.first), b = try #require(hb.algorithms.parents.first)
            #expect(a.fills.count > 0, "\(style)")
            #expect(a.fills == b.fills)
            #expect(a.orders == b.orders)
            #expect(a.children == b.children)
            #expect(a.report == b.report)
            #expect(va.manualFills == vb.manualFills && va.botFills == vb.botFills)
        }
    }

    @Test func cancelEndsTheParentAndItsChildren() throws {
        let (v, host) = Self.run(seed: 3, style: .twap(slices: 4), quantity: 2_000, over: 120 * Self.second,
                                 cancelAfter: 50 * Self.second, total: 90 * Self.second, slice: 5 * Self.second)
        let p = try #require(host.algorithms.parents.first)
        let r = try #require(p.report)
        #expect(r.cancelled && r.filled < 2_000)
        #expect(r.end == LiveVenueTests.start + 50 * Self.second)
        #expect(!v.manualOrders.contains { p.children.contains($0.id) && !$0.status.isFinal })
        #expect(host.algorithms.isIdle)
        #expect(v.manualAccount.position == r.filled)
    }

    @Test func severalParentsAtOnceKeepTheirOwnChildren() throws {
        let g = OrderFlowGenerator(parameters: LiveVenueTests.flow, model: .zeroIntelligence, reference: 30_000,
                                   start: LiveVenueTests.start, seed: 8)
        let v = LiveRunner.make(LiveVenueTests.configuration(), strategy: .grid(LiveVenueTests.grid), base: 30_000, feed: .flow(g))
        let host = v as! LiveAlgorithmHost
        v.run(to: LiveVenueTests.start + 10 * Self.second)
        _ = host.startAlgorithm(ParentOrder(side: .buy, quantity: 100, duration: 30 * Self.second), style: .twap(slices: 3), every: 0,
                                catchUp: nil, aggressive: false)
        _ = host.startAlgorithm(ParentOrder(side: .sell, quantity: 60, duration: 20 * Self.second), style: .twap(slices: 2),
                                every: 500 * Time.millisecond, catchUp: nil, aggressive: true)
        let (id, _) = v.submitManual(side: .buy, type: .limit, timeInForce: .gtc, price: v.book.bestBid - 5, stopPrice: 0, quantity: 1)
        v.run(to: LiveVenueTests.start + 60 * Self.second)
        let ps = host.algorithms.parents
        #expect(ps.count == 2 && ps.allSatisfy(\.isDone))
        #expect(ps[0].children.isDisjoint(with: ps[1].children))
        #expect(!ps[0].children.contains(id) && !ps[1].children.contains(id))
        #expect(ps[0].report?.filled == 100 && ps[1].report?.filled == 60)
        #expect(v.manualAccount.position == 40 + v.manualFills.filter { $0.orderID == id }.reduce(0) { $0 + $1.quantity })
        #expect(v.manualOrders.contains { $0.id == id }, "the hand-typed order is not touched by the algorithms")
    }
}
