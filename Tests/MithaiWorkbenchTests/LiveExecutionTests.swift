import Foundation
import MithaiLanguage
import MithaiStore
import MithaiWorkbench
import Testing

/// Execution algorithms inside a live session through the command language: the rule for
/// `twap` without `on`, progress, cancel, and the parents' runs stored at the stop.
@Suite(.serialized) struct LiveExecutionTests {
    func session() throws -> (Session, CapturingSink, String) {
        let sink = CapturingSink()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-livex-\(UUID().uuidString)").path
        let s = Session(options: SessionOptions(mode: .script, home: home), output: sink)
        let db = home + "/journal.sqlite"
        s.journal = try Journal(path: db, mode: "script", source: nil, engineVersion: "test")
        return (s, sink, db)
    }

    static let setup = """
    market sim = zi preset=nse:RELIANCE seed=7
    strategy mm = grid half_spread=1 step=1 levels=3 qty=10 max_position=200
    """

    @Test func withoutASessionTwapAsksForATarget() throws {
        let (s, sink, _) = try session()
        let r = s.run(Source(Self.setup + "\ntwap 100 over 1m"))
        #expect(r.failure != nil)
        #expect(sink.text.contains("on which dataset or market"))
    }

    @Test func parentsWorkBesideTheBotAndBecomeRunsAtTheStop() throws {
        let (s, sink, db) = try session()
        let script = Self.setup + """

        live mm on sim speed=max for=15m paused=on
        twap 500 over 5m slices=10
        iceberg 400 show=20 @ 1499.50 side=buy over 10m
        step 1m
        a = algos
        cancel A2
        step 6m
        b = algos
        o = orders
        stop
        """
        let r = s.run(Source(script))
        #expect(r.failure == nil, "\(sink.text)")
        guard case .table(let b) = try #require(s.workspace["b"]) else { Issue.record("algos is a table"); return }
        let state = try #require(b.column(named: "state")), filled = try #require(b.column(named: "filled"))
        #expect(state.value(at: 0).display == "complete" && filled.value(at: 0).display == "500")
        #expect(state.value(at: 1).display == "cancelled")
        // The stop stores the bot's run and one run per parent, with the execution report.
        let database = try Database(path: db)
        let q = try database.prepare("SELECT name, strategy FROM runs ORDER BY id")
        var runs: [(String, String)] = []
        while try q.step() { runs.append((q.string(0) ?? "", q.string(1) ?? "")) }
        #expect(runs.map(\.0) == ["r1", "r2", "r3"], "\(runs)")
        #expect(sink.text.contains("A1 (r2):") && sink.text.contains("slippage_vs_vwap_bps"))
        // The parent's run holds only its children's fills.
        let x = s.run(Source("x = stats r2"))
        #expect(x.failure == nil)
        guard case .table(let t) = try #require(s.workspace["x"]) else { return }
        let k = try #require(t.column(named: "stat")), v = try #require(t.column(named: "r2"))
        let row = (0..<t.rowCount).first { k.value(at: $0).display == "final_position" }
        #expect(row.map { v.value(at: $0).display } == "500")
    }

    @Test func datasetOptionsAreRefusedInsideASession() throws {
        let (s, sink, _) = try session()
        let r = s.run(Source(Self.setup + "\nlive mm on sim speed=max for=5m paused=on\ntwap 100 over 1m latency=5ms"))
        #expect(r.failure != nil)
        #expect(sink.text.contains("latency= applies to the dataset form"))
        let c = s.run(Source("cancel A9"))
        #expect(c.failure != nil)
        #expect(sink.text.contains("no execution parent A9"))
        _ = s.run(Source("stop"))
    }
}
