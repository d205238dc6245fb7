import Foundation
import MithaiLanguage
import MithaiWorkbench
import Testing

@Suite struct CompleterTests {
    func session(_ setup: String = "") -> Session {
        let s = Session(options: SessionOptions(mode: .script, home: FileManager.default.temporaryDirectory.path), output: CapturingSink())
        if !setup.isEmpty { s.run(Source(setup)) }
        return s
    }

    func complete(_ line: String, _ s: Session) -> [String] {
        Completer.complete(line: line, cursor: line.utf8.count, session: s).candidates
    }

    @Test func verbsFirstThenDotCommands() {
        let s = session()
        #expect(complete("se", s) == ["select", "sell", "serve", "set"])
        #expect(complete("he", s) == ["head", "help"])
        #expect(complete(".sa", s) == [".save"])
        #expect(complete(".", s).contains(".quit"))
    }

    @Test func optionsOfTheCommandAtHand() {
        let s = session()
        #expect(complete("set ro", s) == ["rows="])
        #expect(complete("set format=m", s) == ["markdown"])
        #expect(complete("set format=markdown ti", s) == ["timer="])
        #expect(complete("plot x as ca", s) == ["candles"])
        #expect(complete(".mode j", s) == ["json", "jsonl"])
        #expect(complete(".timer ", s) == ["off", "on"])
    }

    @Test func namesOfWorkspaceObjectsAndStrategyParameters() {
        let s = session("strategy mm = grid levels=5\nmy_table = set")
        #expect(complete("my", s) == ["my_table"])
        #expect(complete("strategy tight = g", s) == ["glft", "grid"])
        #expect(complete("strategy tight = s", s) == ["spread"])
        #expect(complete("strategy tight = grid lev", s) == ["levels="])
        #expect(complete("strategy tight = grid levels=3 ", s).contains("half_spread="))
        #expect(!complete("strategy tight = grid levels=3 ", s).contains("levels="))
        #expect(complete("help gr", s) == ["grid"])
        #expect(complete("help gl", s) == ["glft"])
    }

    @Test func filePathsAfterLoadReadAndTo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-complete-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data().write(to: dir.appendingPathComponent("ticks.csv"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = session()
        #expect(complete("load \(dir.path)/ti", s) == ["\(dir.path)/ticks.csv"])
        #expect(complete("load \(dir.path)/s", s) == ["\(dir.path)/sub/"])
        #expect(complete(".read \(dir.path)/t", s) == ["\(dir.path)/ticks.csv"])
        #expect(complete("plot t to \(dir.path)/s", s) == ["\(dir.path)/sub/"])
    }

    @Test func columnsOfTheTableAfterFrom() {
        let s = session("t = set")
        let line = "select set"
        let c = Completer.complete(line: line + " from t", cursor: line.utf8.count, session: s)
        #expect(c.candidates == ["setting"])
        #expect(complete("select value from ", s) == ["t"])
    }
}
