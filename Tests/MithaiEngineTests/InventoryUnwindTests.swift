import MithaiEngine
import Testing

/// Inventory unwinding: a quoter wrapped with a TWAP parent started at a position threshold.
@Suite struct InventoryUnwindTests {
    static let events = LiveVenueTests.generate(.zeroIntelligence, seconds: 600, seed: 21).events
    static let unwind = UnwindParameters(threshold: 60, target: 0, over: 20 * Time.second, slices: 4)

    static func grid(_ u: UnwindParameters?) -> BacktestResult {
        events.withUnsafeBufferPointer { b in
            BacktestRunner.runGrid(LiveVenueTests.configuration(), grid: LiveVenueTests.grid, base: 30_000, events: b, unwind: u).result
        }
    }

    @Test func gridUnwindsInventoryAtTheThresholdThenResumes() throws {
        let r = Self.grid(Self.unwind)
        let base = InventoryUnwind<GridMarketMaker>.childBase
        #expect(r.unwinds.count >= 2, "inventory crosses 60 lots several times in 10 minutes (\(r.unwinds.count))")
        let children = r.orders.filter { $0.id >= base }
        // (The last unwind may still be working when the data ends: no report yet.)
        #expect(children.count >= r.unwinds.reduce(0) { $0 + $1.childOrders })
        let first = try #require(r.unwinds.first)
        #expect(first.algorithm == "twap" && first.filled > 0)
        let blocked: Side = first.side.opposite
        // While the parent works, the quoter sends nothing on the side that adds inventory.
        #expect(!r.orders.contains { $0.id < base && $0.side == blocked && $0.submitTime > first.start && $0.submitTime < first.end })
        // The position comes back under the threshold by the parent's end.
        let fillsBeforeEnd = r.fills.filter { $0.localTime <= first.end }
        let after = try #require(fillsBeforeEnd.last).positionAfter
        #expect(abs(after) < Self.unwind.threshold, "position after the unwind \(after)")
        // The children's fills are in the run beside the quoter's.
        #expect(r.fills.contains { $0.orderID >= base })
        // Every unwind: side against the position it started from, ends complete or at its window.
        for u in r.unwinds { #expect(u.end - u.start <= Self.unwind.over) }
    }

    @Test func unwindIsDeterministicAndChangesTheRun() {
        let a = Self.grid(Self.unwind), b = Self.grid(Self.unwind)
        #expect(a.fills == b.fills && a.orders == b.orders && a.unwinds == b.unwinds)
        let plain = Self.grid(nil)
        #expect(plain.unwinds.isEmpty && !plain.orders.contains { $0.id >= InventoryUnwind<GridMarketMaker>.childBase })
        #expect(plain.fills != a.fills)
        // Peak inventory is lower with the unwind.
        let peak = { (r: BacktestResult) in r.fills.map { abs($0.positionAfter) }.max() ?? 0 }
        #expect(peak(a) <= peak(plain))
    }

    @Test func liveVenueRunsTheWrappedQuoter() {
        let g = OrderFlowGenerator(parameters: LiveVenueTests.flow, model: .zeroIntelligence, reference: 30_000,
                                   start: LiveVenueTests.start, seed: 21)
        let v = LiveRunner.make(LiveVenueTests.configuration(), strategy: .grid(LiveVenueTests.grid), base: 30_000, feed: .flow(g),
                                unwind: Self.unwind)
        v.run(to: LiveVenueTests.start + 600 * Time.second)
        let r = v.result(stoppedEarly: true)
        #expect(!r.unwinds.isEmpty)
        #expect(r.orders.contains { $0.id >= InventoryUnwind<GridMarketMaker>.childBase })
    }

    @Test func parametersAreChecked() {
        #expect(UnwindParameters(threshold: 0, over: Time.second).problem != nil)
        #expect(UnwindParameters(threshold: 10, target: 10, over: Time.second).problem != nil)
        #expect(UnwindParameters(threshold: 10, target: 5, over: Time.second).problem == nil)
    }
}
