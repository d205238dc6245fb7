import Foundation
import MithaiEngine
import Testing

/// The reference's output for one data file (Fixtures/reference/*.json, written by
/// `Fixtures/reference/grid_fills.py DATA.npz` on hftbacktest 2.4.4).
struct ReferenceRun: Decodable {
    struct ReferenceFill: Decodable, Hashable {
        var exch_ts: Int64
        var side: Int
        var price_tick: Int64
        var lots: Int64
        var maker: Int
        var order_id: UInt64
        var seen_at: Int64
    }
    var steps: Int
    var submitted_buy: Int
    var submitted_sell: Int
    var cancels: Int
    var final_position: Double
    var num_fills: Int
    var balance: Double
    var fee: Double
    var trading_value: Double
    var final_ts: Int64
    var pnl_gross_marked_to_mid: Double
    var pnl_net_of_fees: Double
    var fills: [ReferenceFill]

    static func load(_ name: String) throws -> ReferenceRun {
        let url = BenchData.fixtures.appendingPathComponent("reference").appendingPathComponent(name)
        return try JSONDecoder().decode(ReferenceRun.self, from: Data(contentsOf: url))
    }
}

/// Checks our grid run against the reference: every summary number, and the fills the
/// strategy saw (as a multiset: the reference emits fills of one event in hash-map order).
func expectParity(_ o: BenchGrid.Outcome, _ ref: ReferenceRun, absoluteTicks base: Ticks = 0) {
    let r = o.result
    let v = r.valuation
    #expect(r.steps == ref.steps)
    #expect(r.endTime == ref.final_ts)
    #expect(r.fills.count == ref.num_fills)
    #expect(o.grid.submittedBuys == ref.submitted_buy)
    #expect(o.grid.submittedSells == ref.submitted_sell)
    #expect(o.grid.cancels == ref.cancels)
    #expect(Double(r.position) * 0.001 == ref.final_position || abs(Double(r.position) * 0.001 - ref.final_position) < 1e-9)
    #expect(six(r.cash, v) == String(format: "%.6f", ref.balance))
    #expect(six(r.fees, v) == String(format: "%.6f", ref.fee))
    #expect(six(r.tradedValue, v) == String(format: "%.6f", ref.trading_value))
    #expect(six(r.grossPnL, v) == String(format: "%.6f", ref.pnl_gross_marked_to_mid))
    #expect(six(r.netPnL, v) == String(format: "%.6f", ref.pnl_net_of_fees))
    // Fills the strategy saw by the last step: same multiset of (exchange time, side, price, lots, maker).
    let seen = r.fills.filter { $0.localTime <= r.endTime }
    func key(_ t: Int64, _ s: Int, _ p: Int64, _ q: Int64, _ m: Int) -> String { "\(t) \(s) \(p) \(q) \(m)" }
    let ours = seen.map { key($0.exchangeTime, $0.side == .buy ? 1 : -1, $0.price, $0.quantity, $0.isMaker ? 1 : 0) }.sorted()
    let theirs = ref.fills.map { key($0.exch_ts, $0.side, $0.price_tick, $0.lots, $0.maker) }.sorted()
    #expect(ours.count == theirs.count)
    if ours != theirs {
        let a = Set(ours), b = Set(theirs)
        Issue.record("fills differ: only ours \(a.subtracting(b).sorted().prefix(10)); only reference \(b.subtracting(a).sorted().prefix(10))")
    }
}

@Suite("Backtest parity with hftbacktest 2.4.4 (grid, bench_grid.py configuration)")
struct BacktestParityTests {
    /// The 20,000-event synthetic file, committed as a fixture: runs everywhere.
    @Test func tinyFixture() throws {
        let feed = try BenchData.loadCSV(BenchData.fixtures.appendingPathComponent("tiny.csv").path)
        #expect(feed.exchange.count == 20_000)
        let ref = try ReferenceRun.load("tiny_grid.json")
        let o = BenchGrid.run(feed, checkInvariants: true)
        expectParity(o, ref)
        // README / bench_grid.py summary for tiny.npz
        #expect(o.result.fills.count == 20)
        #expect(o.result.position == 800)
        #expect(six(o.result.grossPnL) == "-2.420000")
        #expect(six(o.result.fees) == "-5.999325")
        #expect(six(o.result.netPnL) == "3.579325")
    }
}
