import Foundation
import MithaiLanguage
import MithaiWorkbench
import Testing

/// `unwind=twap` on a market-making strategy through the command language.
@Suite(.serialized) struct UnwindCommandTests {
    static let load = "load Datasets/binance/binance-usdm-btcusdt_20240808.gz as btc tick=0.1 lot=0.001 cache=off"

    func stat(_ s: Session, _ table: String, _ name: String, _ run: String) throws -> String {
        guard case .table(let t) = try #require(s.workspace[table]) else { return "" }
        let k = try #require(t.column(named: "stat")), v = try #require(t.column(named: run))
        return (0..<t.rowCount).first { k.value(at: $0).display == name }.map { v.value(at: $0).display } ?? ""
    }

    @Test func inventoryCrossingTheThresholdIsWorkedBackByATwap() throws {
        let sink = CapturingSink()
        let s = Session(options: SessionOptions(mode: .script, home: FileManager.default.temporaryDirectory.path), output: sink)
        let script = """
        \(Self.load)
        strategy mm = grid half_spread=20 step=10 levels=20 qty=0.1 max_position=5
        strategy mu = grid half_spread=20 step=10 levels=20 qty=0.1 max_position=5 unwind=twap unwind_at=1 unwind_over=2m unwind_slices=4
        backtest mm on btc bin=1m
        backtest mu on btc bin=1m
        backtest mu on btc bin=1m
        x = stats r1, r2, r3
        kids = orders(r2) | where order_id >= 1152921504606846976
        """
        let r = s.run(Source(script))
        #expect(r.failure == nil, "\(sink.text)")
        #expect(Int(try stat(s, "x", "unwinds", "r2"))! > 0)
        #expect(try stat(s, "x", "unwinds", "r1") == "")
        // The parent's children are in the run's orders table.
        guard case .table(let kids) = try #require(s.workspace["kids"]) else { return }
        // (at least those of the ended unwinds: one may still be working when the data ends)
        let ended = Int(try stat(s, "x", "unwind_child_orders", "r2"))!
        #expect(ended > 0 && kids.rowCount >= ended)
        // Inventory is held lower: the unwinds bring the position back.
        let plain = Double(try stat(s, "x", "inventory_mean_abs", "r1"))!, unwound = Double(try stat(s, "x", "inventory_mean_abs", "r2"))!
        #expect(unwound < plain / 2, "mean |inventory| \(unwound) vs \(plain)")
        let peak = Double(try stat(s, "x", "inventory_max_abs", "r2"))!
        #expect(peak < 5)
        // Deterministic.
        for row in ["pnl_net", "fills", "unwinds", "unwind_filled", "unwind_slippage_arrival_bps"] {
            #expect(try stat(s, "x", row, "r2") == (try stat(s, "x", row, "r3")))
        }
    }

    @Test func badUnwindParametersAreRefused() throws {
        let sink = CapturingSink()
        let s = Session(options: SessionOptions(mode: .script, home: FileManager.default.temporaryDirectory.path), output: sink)
        let r = s.run(Source("\(Self.load)\nstrategy mu = grid qty=0.1 unwind=twap unwind_at=0\nbacktest mu on btc"))
        #expect(r.failure != nil)
        #expect(sink.text.contains("unwind_at must be positive"))
    }
}
