import Foundation
import MithaiLanguage
import MithaiStore
import MithaiWorkbench
import Testing

/// `risk capital=`: margin enforcement through the command language, on the bundled Binance
/// capture with the binance:BTCUSDT preset's margin rates.
@Suite(.serialized) struct MarginCommandTests {
    @Test func capitalEnforcesTheInitialMarginAndStoresTheBreaches() throws {
        let sink = CapturingSink()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-margin-\(UUID().uuidString)").path
        let s = Session(options: SessionOptions(mode: .script, home: home), output: sink)
        let db = home + "/journal.sqlite"
        s.journal = try Journal(path: db, mode: "script", source: nil, engineVersion: "test")
        let script = """
        load Datasets/binance/binance-usdm-btcusdt_20240808.gz as btc tick=0.1 lot=0.001 cache=off
        instrument btc preset=binance:BTCUSDT
        strategy mm = grid half_spread=5 step=5 levels=5 qty=0.5 max_position=20
        backtest mm on btc bin=1m
        risk capital=1500
        backtest mm on btc bin=1m
        x = stats r1, r2
        """
        let r = s.run(Source(script))
        #expect(r.failure == nil, "\(sink.text)")
        guard case .table(let t) = try #require(s.workspace["x"]) else { return }
        let k = try #require(t.column(named: "stat"))
        func stat(_ name: String, _ run: String) -> String {
            guard let v = t.column(named: run) else { return "" }
            return (0..<t.rowCount).first { k.value(at: $0).display == name }.map { v.value(at: $0).display } ?? ""
        }
        // Without capital the grid runs to 22 BTC; with 1,500 USDT at the preset's 0.8 % initial
        // margin it cannot carry more than 1500 / (0.008 × ~61,000) ≈ 3 BTC.
        #expect(Double(stat("inventory_max_abs", "r1"))! > 10)
        let peak = Double(stat("inventory_max_abs", "r2"))!
        #expect(peak > 0 && peak < 3.1, "peak \(peak)")
        #expect(Int(stat("risk_rejected_initial_margin", "r2"))! > 0)
        #expect(Double(stat("margin_peak", "r2"))! <= 1500)
        #expect(stat("margin_calls", "r2") == "0")
        let database = try Database(path: db)
        let q = try database.prepare("""
            SELECT b.limit_name, b.action FROM breaches b JOIN runs r ON r.id = b.run_id WHERE r.name = 'r2'
            """)
        var rows: [(String, String)] = []
        while try q.step() { rows.append((q.string(0) ?? "", q.string(1) ?? "")) }
        #expect(rows.contains { $0.0 == "initial_margin" && $0.1 == "rejected" }, "\(rows)")
    }
}
