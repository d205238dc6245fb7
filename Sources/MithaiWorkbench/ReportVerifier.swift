import Foundation
import MithaiLanguage
import MithaiMarketData

/// `mithai verify REPORT`: checks that a report's data files are the ones it was made from,
/// re-runs the session script embedded in it (checking every recorded digest), then
/// recomputes the report's statistics and the data behind each figure and compares them
/// with what the report states. Figures are compared by the digest of their plotted data,
/// never by image bytes (fonts and gnuplot versions change pixels, not results).
public enum ReportVerifier {
    /// Verifies `path` in `session` (a fresh session: the script starts from nothing).
    /// Notebooks and scripts without a report record are replayed as `--verify` would.
    public static func verify(path: String, session: Session) -> ExitCode {
        let expanded = (path as NSString).expandingTildeInPath
        guard let text = try? String(contentsOfFile: expanded, encoding: .utf8) else {
            session.print("mithai: cannot read \(path)\n", to: .err)
            return .noInput
        }
        guard let manifest = ReportManifest.extract(from: text) else {
            let script = Notebook.isMarkdown(path) ? Notebook.scriptSource(fromMarkdown: text) : text
            if !Notebook.isMarkdown(path) && (path as NSString).pathExtension != "mithai" {
                session.print("mithai verify: \(path) holds no report record (make reports with: report RUN to FILE.md|.html|.tex)\n", to: .err)
                return .dataError
            }
            return replay(script, name: path, session: session, what: path).code
        }
        // 1. Data provenance: the files must hash as they did.
        for d in manifest.data {
            for file in d.files where !FileManager.default.fileExists(atPath: file) {
                session.print("verify failed: \(path): the data file \(file) (dataset \(d.name)) is missing; run mithai verify from the folder the report was made in\n", to: .err)
                return .verifyFailed
            }
            let now: String
            do { now = try DatasetLoader.contentHash(ofFiles: d.files) } catch {
                session.print("verify failed: \(path): cannot read the data file \(d.files.joined(separator: " + ")): \(error)\n", to: .err)
                return .verifyFailed
            }
            if now != d.sha256 {
                session.print("""
                verify failed: \(path): the data file \(d.files.joined(separator: " + ")) (dataset \(d.name)) has changed since the report was made
                  recorded: sha256:\(d.sha256)
                  now:      sha256:\(now)

                """, to: .err)
                return .verifyFailed
            }
        }
        if manifest.engine != Session.engineVersion {
            session.print("note: the report was made by Mithai \(manifest.engine); this is \(Session.engineVersion)\n", to: .err)
        }
        // 2. The script, with its digests.
        let (code, executed, recorded) = replay(manifest.script, name: "\(path) (embedded script)", session: session, what: nil)
        if code != .ok { return code }
        // 3. The report's own numbers and figures.
        let ws = session.workspace
        var runs: [RunObject] = []
        for name in manifest.runs {
            guard case .object(let o) = ws[name], let r = o.as(RunObject.self) else {
                session.print("verify failed: \(path): the script did not make run \(name)\n", to: .err)
                return .verifyFailed
            }
            runs.append(r)
        }
        guard !runs.isEmpty else {
            session.print("verify failed: \(path): the report names no runs\n", to: .err)
            return .verifyFailed
        }
        let range = SourceRange(0, 0)
        var ctx = CommandContext(spec: ReportCommand.spec, arguments: BoundArguments(commandRange: range), input: nil, workspace: ws,
                                 session: session, verbRange: range, words: [])
        let now: ReportManifest
        do {
            now = try ReportCommand.build(runs: runs, path: manifest.path,
                                          theme: manifest.theme, figureFormat: manifest.figureFormat, script: manifest.script,
                                          drawImages: false, ctx: &ctx)
        } catch {
            session.print("verify failed: \(path): cannot recompute the report: \(error)\n", to: .err)
            if case .cancelled = error { return .interrupted }
            return .verifyFailed
        }
        var problems: [String] = []
        if now.stats.map(\.stat) != manifest.stats.map(\.stat) {
            problems.append("the statistics listed differ: the report has \(manifest.stats.count), now \(now.stats.count)")
        } else {
            for (a, b) in zip(manifest.stats, now.stats) {
                for (i, run) in manifest.runs.enumerated() where a.values[i] != b.values[i] || a.exact[i] != b.exact[i] {
                    problems.append("\(a.stat) of \(run): report \(a.exact[i].isEmpty ? "(none)" : a.exact[i]), now \(b.exact[i].isEmpty ? "(none)" : b.exact[i])")
                }
            }
        }
        for (a, b) in zip(manifest.figures, now.figures) where a.name != b.name || a.fingerprint != b.fingerprint {
            problems.append("figure '\(a.title)': report data sha256:\(a.fingerprint.isEmpty ? "(none)" : a.fingerprint), now sha256:\(b.fingerprint.isEmpty ? "(none)" : b.fingerprint)")
        }
        if manifest.figures.count != now.figures.count { problems.append("the report has \(manifest.figures.count) figures, now \(now.figures.count)") }
        for (a, b) in zip(manifest.data, now.data) where a != b {
            problems.append("dataset \(a.name): report \(a.events) events \(a.span), now \(b.events) events \(b.span)")
        }
        if problems.isEmpty {
            // Every number in the text: the report re-rendered from the recomputed record must
            // read the same (embedded images aside).
            var shown = now
            for i in shown.figures.indices where i < manifest.figures.count { shown.figures[i].file = manifest.figures[i].file }
            let expected = ReportCommand.comparable(ReportCommand.render(shown, runs: runs)), actual = ReportCommand.comparable(text)
            if expected != actual {
                let i = (0..<min(expected.count, actual.count)).first { expected[$0] != actual[$0] } ?? min(expected.count, actual.count)
                problems.append("the report's text differs from its record at line \(i + 1) (edited by hand?)\n    report: \(i < actual.count ? String(actual[i]) : "(end)")\n    now:    \(i < expected.count ? String(expected[i]) : "(end)")")
            }
        }
        if !problems.isEmpty {
            session.print("verify failed: \(path): \(problems.count) difference\(problems.count == 1 ? "" : "s")\n" + problems.map { "  " + $0 + "\n" }.joined(), to: .err)
            return .verifyFailed
        }
        let numbers = manifest.stats.count * manifest.runs.count
        let figures = manifest.figures.filter { !$0.fingerprint.isEmpty }.count
        session.print("verified \(path): data files unchanged (\(manifest.data.map { String($0.sha256.prefix(12)) }.joined(separator: ", "))); \(executed) statement\(executed == 1 ? "" : "s") re-run, \(recorded) recorded result\(recorded == 1 ? "" : "s") reproduced; \(numbers) numbers and \(figures) figures reproduced\n", to: .err)
        return .ok
    }

    /// Runs `script` with its `#=` expectations; prints the `verified` line when `what` is given.
    static func replay(_ script: String, name: String, session: Session, what: String?) -> (code: ExitCode, executed: Int, recorded: Int) {
        let source = Source(script, name: name)
        let parsed = Parser.parse(source)
        let expectations = ScriptFile.expectations(in: source, statements: parsed.statements)
        let result = session.run(source, bail: true, expectations: expectations)
        if let failure = result.failure {
            session.print("verify failed: \(name): the script did not reproduce (see above)\n", to: .err)
            return (failure, result.executed, expectations.count)
        }
        if let what {
            session.print("verified \(what): \(expectations.count) recorded result\(expectations.count == 1 ? "" : "s") reproduced, \(result.executed) statement\(result.executed == 1 ? "" : "s") run\n", to: .err)
        }
        return (.ok, result.executed, expectations.count)
    }
}
