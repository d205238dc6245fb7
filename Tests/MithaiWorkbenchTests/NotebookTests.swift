import Foundation
import MithaiLanguage
import MithaiWorkbench
import Testing

@Suite struct NotebookTests {
    @Test func onlyMithaiBlocksRunAndLineNumbersStayTheNotebooks() {
        let md = """
        # Study

        Some prose with `inline` code.

        ```mithai
        x = 2
        #= 2 [sha256:0123456789abcdef]
        ```

        ```text
        y = 3
        ```

        ````mithai
        z = x * 10
        ````

        ```python
        print("not run")
        ```
        """
        let script = Notebook.scriptSource(fromMarkdown: md)
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == md.split(separator: "\n", omittingEmptySubsequences: false).count)
        #expect(lines[5] == "x = 2" && lines[6] == "#= 2 [sha256:0123456789abcdef]")
        #expect(lines[14] == "z = x * 10")
        #expect(!script.contains("y = 3") && !script.contains("print") && !script.contains("Study"))
    }

    @Test func aSavedNotebookReplaysWithItsDigestsAndCatchesAChangedResult() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-nb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sink = CapturingSink()
        let s = Session(options: SessionOptions(mode: .script, home: folder.path), output: sink)
        #expect(s.run(Source("x = 6 * 7\nx + 1\nset | head 2\n.save nb notebook")).failure == nil, "\(sink.text)")
        let path = folder.appendingPathComponent("Sessions/nb.md").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("```mithai\nx + 1\n#= 43 [sha256:"))
        #expect(text.contains("```text\n43\n```"))
        #expect(text.contains("```text\nsetting"))
        // Replayed as a script: every digest is checked.
        let replay = Session(options: SessionOptions(mode: .script, home: folder.path), output: sink)
        let source = Source(Notebook.scriptSource(fromMarkdown: text), name: path)
        let expectations = ScriptFile.expectations(in: source, statements: Parser.parse(source).statements)
        #expect(expectations.count == 3)
        #expect(replay.run(source, expectations: expectations).failure == nil)
        // A changed statement no longer reproduces its recorded result.
        let changed = Source(Notebook.scriptSource(fromMarkdown: text.replacingOccurrences(of: "x = 6 * 7", with: "x = 6 * 8")), name: path)
        let again = Session(options: SessionOptions(mode: .script, home: folder.path), output: sink)
        #expect(again.run(changed, expectations: ScriptFile.expectations(in: changed, statements: Parser.parse(changed).statements)).failure == .verifyFailed)
        #expect(sink.text.contains("nb.md:"))
    }
}
