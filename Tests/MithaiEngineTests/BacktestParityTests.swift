import Foundation
import MithaiEngine
import Testing

/// The reference's output for one data file (Fixtures/reference/*.json, written by
/// `Fixtures/reference/grid_fills.py DATA.npz` on hftbacktest 2.4.4).
struct ReferenceRun: Decodable {
    /// [exch_ts, side (1/-1), price_tick, lots, maker (1/0), order_id, seen_at]
    typealias ReferenceFill = [Int64]
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
    let theirs = ref.fills.map { key($0[0], Int($0[1]), $0[2], $0[3], Int($0[4])) }.sorted()
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

    /// The 5,000,000-event synthetic file (shared/bench/hftbacktest/setup.sh). README targets:
    /// 6,597 fills, final position -4.5, P&L gross +830.975, fees -1,982.003, net +2,812.978.
    @Test(.enabled(if: BenchData.exists(BenchData.dataDirectory + "/btcusdt_synth.npz"),
                   "needs /tmp/mithai-bench/data/btcusdt_synth.npz (run shared/bench/hftbacktest/setup.sh)"))
    func synthetic5M() throws {
        let feed = try BenchData.loadNPZ(BenchData.dataDirectory + "/btcusdt_synth.npz")
        #expect(feed.exchange.count == 5_000_000)
        #expect(feed.local == nil)
        let ref = try ReferenceRun.load("synth_grid.json")
        let o = BenchGrid.run(feed)
        expectParity(o, ref)
        #expect(o.result.fills.count == 6_597)
        #expect(o.result.position == -4_500)
        #expect(six(o.result.grossPnL) == "830.975000")
        #expect(six(o.result.fees) == "-1982.002845")
        #expect(six(o.result.netPnL) == "2812.977845")
    }

    /// The real Binance USD-M BTCUSDT capture converted by hftbacktest (exchange-only and
    /// local-only rows where its converter reordered them). README targets: 1,055 fills,
    /// final position -1.3, P&L gross -925.275, fees -325.463, net -599.812.
    @Test(.enabled(if: BenchData.exists(BenchData.dataDirectory + "/usdm_btcusdt_20240808.npz"),
                   "needs /tmp/mithai-bench/data/usdm_btcusdt_20240808.npz (run shared/bench/hftbacktest/setup.sh)"))
    func realBinanceCapture() throws {
        let feed = try BenchData.loadNPZ(BenchData.dataDirectory + "/usdm_btcusdt_20240808.npz")
        #expect(feed.exchange.count == 466_836)
        #expect(feed.local?.count == 466_836)
        let ref = try ReferenceRun.load("real_grid.json")
        let o = BenchGrid.run(feed)
        expectParity(o, ref)
        #expect(o.result.fills.count == 1_055)
        #expect(o.result.position == -1_300)
        #expect(six(o.result.grossPnL) == "-925.275000")
        #expect(six(o.result.fees) == "-325.462580")
        #expect(six(o.result.netPnL) == "-599.812420")

        // The dataset as the MarketData reader keeps it (each event once, in receive order):
        // the runner's stable sort by exchange time rebuilds hftbacktest's exchange-only order.
        let local = feed.local!
        let sorted = local.withUnsafeBufferPointer { buf in BacktestRunner.withExchangeFeed(buf) { Array($0) } }
        #expect(sorted == feed.exchange)
        let single = local.withUnsafeBufferPointer {
            BacktestRunner.runGrid(.benchGrid, grid: .benchReference, base: feed.base, events: $0)
        }
        #expect(single.result.fills == o.result.fills)
        #expect(single.submittedBuys == ref.submitted_buy && single.cancels == ref.cancels)
    }
}
