import Foundation
import MithaiLanguage
import MithaiWorkbench
import Testing

@Suite struct SweepTests {
    func session() -> (Session, CapturingSink) {
        let sink = CapturingSink()
        return (Session(options: SessionOptions(mode: .script, home: FileManager.default.temporaryDirectory.path), output: sink), sink)
    }

    func canonical(_ s: Session, _ name: String) throws -> String {
        guard case .object(let o) = try #require(s.workspace[name]) else { throw SweepFailure("\(name) is not a run") }
        return o.object.canonical
    }

    struct SweepFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    @Test func aSweepRunEqualsTheSameBacktestAloneBitForBit() throws {
        let (s, sink) = session()
        let script = """
        load Datasets/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip as amzn cache=off
        strategy mm = grid half_spread=5 step=1 levels=3 qty=100 max_position=500
        sweep mm on amzn half_spread=3,5 levels=2..3/2 from=10:00 to=10:30 jobs=2
        strategy one = grid half_spread=5 step=1 levels=3 qty=100 max_position=500
        backtest one on amzn from=10:00 to=10:30
        """
        let result = s.run(Source(script))
        #expect(result.failure == nil, "\(sink.text)")
        // Runs r1...r4 in grid order (half_spread slowest): r4 is half_spread=5, levels=3.
        let swept = try canonical(s, "r4"), alone = try canonical(s, "r5")
        // The strategy's name differs; everything the run did must not.
        #expect(swept.replacingOccurrences(of: "strategy mm", with: "strategy one") == alone)
        #expect(sink.text.contains("r1") && sink.text.contains("r4"))
    }

    @Test func unknownParametersAndEmptyGridsAreErrors() {
        let (s, sink) = session()
        s.run(Source("strategy mm = grid\nsweep mm on nothing levels=1,2"))
        #expect(sink.text.contains("no dataset named 'nothing'"))
        let (s2, sink2) = session()
        let r = s2.run(Source("load Datasets/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip as amzn cache=off\nstrategy mm = grid\nsweep mm on amzn lvls=1,2"))
        #expect(r.failure == .dataError)
        #expect(sink2.text.contains("grid has no parameter 'lvls'; did you mean 'levels'?"))
    }
}
