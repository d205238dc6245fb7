import Foundation
import MithaiLanguage
import MithaiStore
import MithaiWorkbench
import Testing

/// Risk limits, execution algorithms, fee tables and funding through the command language, on
/// the bundled Binance capture, with a session database.
@Suite(.serialized) struct RiskExecutionTests {
    static let load = "load Datasets/binance/binance-usdm-btcusdt_20240808.gz as btc tick=0.1 lot=0.001 cache=off"

    func session(journal: Bool = false) throws -> (Session, CapturingSink, String) {
        let sink = CapturingSink()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-risk-\(UUID().uuidString)").path
        let s = Session(options: SessionOptions(mode: .script, home: home), output: sink)
        let db = home + "/journal.sqlite"
        if journal { s.journal = try Journal(path: db, mode: "script", source: nil, engineVersion: "test") }
        return (s, sink, db)
    }

    func table(_ s: Session, _ name: String = "_") throws -> [String: String] {
        guard case .table(let t) = try #require(s.workspace[name]) else { Issue.record("\(name) is not a table"); return [:] }
        let k = try #require(t.column(named: t.columnNames[0])), v = try #require(t.column(named: t.columnNames[1]))
        var out: [String: String] = [:]
        for i in 0..<t.rowCount { out[k.value(at: i).display] = v.value(at: i).display }
        return out
    }

    @Test func drawdownLimitHaltsALosingStrategyWithTheBreachInTheJournal() throws {
        let (s, sink, db) = try session(journal: true)
        let script = """
        \(Self.load)
        strategy mm = grid half_spread=5 step=5 levels=3 qty=0.01 max_position=1
        risk max_drawdown=5 on_drawdown=halt
        backtest mm on btc bin=1m
        x = stats r1
        """
        let r = s.run(Source(script))
        #expect(r.failure == nil, "\(sink.text)")
        let stats = try table(s, "x")
        #expect(stats["risk_mode"] == "halted")
        #expect(Int(stats["risk_rejected_halted"] ?? "0")! > 0)
        // The breach log in the session database: the kill switch, then the refusals.
        let database = try Database(path: db)
        let q = try database.prepare("""
            SELECT b.limit_name, b.action, b.value, b.threshold, b.count FROM breaches b JOIN runs r ON r.id = b.run_id
            WHERE r.name = 'r1' ORDER BY b.seq
            """)
        var rows: [(String, String, Double, Double, Int64)] = []
        while try q.step() { rows.append((q.string(0) ?? "", q.string(1) ?? "", q.double(2), q.double(3), q.int(4))) }
        let kill = try #require(rows.first { $0.0 == "max_drawdown" })
        #expect(kill.1 == "halted" && kill.2 > 5 && kill.3 == 5)
        #expect(rows.contains { $0.0 == "halted" && $0.1 == "rejected" && $0.4 > 0 })
        // The run's parameters record the limits.
        let p = try database.prepare("SELECT parameters FROM runs WHERE name = 'r1'")
        #expect(try p.step() && (p.string(0) ?? "").contains("risk=max_drawdown=5 on_drawdown=halt"))
        // No fill reaches the strategy more than a round trip after the kill.
        guard case .object(let o) = try #require(s.workspace["r1"]) else { return }
        #expect(o.object.summary.contains("r1"))
    }

    @Test func riskRejectionsAreErrorsFreeAndLimitsClear() throws {
        let (s, sink, _) = try session()
        let r = s.run(Source("""
            risk max_position=0.5 max_order_rate=10 rate_window=500ms
            a = risk
            risk clear=on
            b = risk
            """))
        #expect(r.failure == nil, "\(sink.text)")
        let a = try table(s, "a"), b = try table(s, "b")
        #expect(a["max_position"] == "0.5" && a["max_order_rate"] == "10" && a["rate_window"] == "500ms")
        #expect(b["max_position"] == "")
        let bad = s.run(Source("risk var_confidence=1.5"))
        #expect(bad.failure != nil && sink.text.contains("var_confidence is between 0.5 and 1"))
    }

    @Test func twapReportsSlippageAgainstIntervalVWAPOnBinanceData() throws {
        let (s, sink, _) = try session()
        let r = s.run(Source("""
            \(Self.load)
            instrument btc preset=binance:BTCUSDT
            t = twap 2 over 4m on btc slices=8
            """))
        #expect(r.failure == nil, "\(sink.text)")
        let t = try table(s, "t")
        #expect(t["algorithm"] == "twap" && t["completion_pct"] == "100" && t["filled"] == "2.000")
        let vwap = try #require(Double(t["interval_vwap"] ?? "")), avg = try #require(Double(t["avg_price"] ?? ""))
        let bps = try #require(Double(t["slippage_vs_vwap_bps"] ?? ""))
        #expect(abs(bps - (avg - vwap) / vwap * 10_000) < 0.01)
        #expect(Int(t["child_orders"]!)! >= 8)
        // Cancelled early: completion below 100%, status cancelled.
        let c = s.run(Source("u = twap 2 over 4m on btc slices=8 cancel_at=23:55:00"))
        #expect(c.failure == nil, "\(sink.text)")
        let u = try table(s, "u")
        #expect(u["status"] == "cancelled" && Double(u["completion_pct"]!)! < 100)
    }

    @Test func perpetualRunShowsFundingPaidAndReceived() throws {
        let (s, sink, _) = try session()
        // A funding file: alternating signs every minute across the capture.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("funding-\(UUID().uuidString).csv").path
        try """
        time,rate,mark
        2024-08-08T23:55:00Z,0.0002,
        2024-08-08T23:56:00Z,-0.0003,
        2024-08-08T23:57:00Z,0.0002,61700.0
        2024-08-08T23:58:00Z,-0.0001,
        2024-08-08T23:59:00Z,0.0004,
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = s.run(Source("""
            \(Self.load)
            instrument btc preset=binance:BTCUSDT funding="\(file)"
            strategy mm = grid half_spread=5 step=5 levels=3 qty=0.01 max_position=1
            backtest mm on btc bin=1m
            x = stats r1
            """))
        #expect(r.failure == nil, "\(sink.text)")
        let x = try table(s, "x")
        let paid = try #require(Double(x["funding_paid"] ?? "")), received = try #require(Double(x["funding_received"] ?? ""))
        #expect(paid > 0 && received > 0)
        #expect(x["funding_events"] == "5")
        // net = gross - fees + funding
        let net = Double(x["pnl_net"]!)!, gross = Double(x["pnl_gross"]!)!, fees = Double(x["fees"]!)!
        #expect(abs(net - (gross - fees + received - paid)) < 1e-6)
        #expect(x["fee_maker"] != nil && x["fee_taker"] != nil)
    }

    @Test func feeTablesFromFilesPresetsAndErrors() throws {
        let (s, sink, _) = try session()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fees-\(UUID().uuidString).fees").path
        try "name = test\nsource = hand\nas_of = 2026-01-01\ncharge exchange basis=value rate=0.0001\ncharge gst basis=tax rate=0.18 on=exchange\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = s.run(Source("""
            \(Self.load)
            instrument btc fees="\(file)"
            strategy mm = grid half_spread=5 step=5 levels=3 qty=0.01 max_position=1
            backtest mm on btc to=23:56
            x = stats r1
            p = instrument nse:RELIANCE
            """))
        #expect(r.failure == nil, "\(sink.text)")
        let x = try table(s, "x")
        let ex = try #require(Double(x["fee_exchange"] ?? "")), gst = try #require(Double(x["fee_gst"] ?? ""))
        #expect(abs(gst - 0.18 * ex) < 1e-6 && abs(Double(x["fees"]!)! - ex - gst) < 1e-6)
        let p = try table(s, "p")
        #expect(p["fee.stt"] == "0.00025 of value, sell only" && p["fees_as_of"] == "2024-10-01")
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).fees").path
        try "name = x\ncharge a basis=nope rate=1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let e = s.run(Source("instrument btc fees=\"\(bad)\""))
        #expect(e.failure != nil && sink.text.contains(":2: basis is one of value, unit, fill, tax"))
        let unknown = s.run(Source("instrument nse:RELIANC"))
        #expect(unknown.failure != nil && sink.text.contains("did you mean 'nse:RELIANCE'"))
    }

    @Test func optionFunctionsInExpressions() throws {
        let (s, sink, _) = try session()
        let r = s.run(Source("""
            c = bs_price("call", 42, 40, 0.5, 0.1, 0.2)
            v = implied_vol("call", c, 42, 40, 0.5, 0.1)
            d = bs_delta("put", 49, 50, 0.3846, 0.05, 0.2)
            """))
        #expect(r.failure == nil, "\(sink.text)")
        guard case .number(let c) = try #require(s.workspace["c"]), case .number(let v) = try #require(s.workspace["v"]),
              case .number(let d) = try #require(s.workspace["d"]) else { Issue.record("not numbers"); return }
        #expect(abs(c.double - 4.7594) < 1e-4 && abs(v.double - 0.2) < 1e-9 && abs(d.double - (0.522 - 1)) < 1e-3)
        let e = s.run(Source("implied_vol(\"call\", 0.5, 42, 40, 0.5, 0.1)"))
        #expect(e.failure != nil && sink.text.contains("below the intrinsic value"))
    }
}
