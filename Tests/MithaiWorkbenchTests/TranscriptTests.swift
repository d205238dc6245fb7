import Foundation
import MithaiLanguage
import MithaiWorkbench
import Testing

/// Golden transcripts: the shell's specification. Each file in `Transcripts/` holds `> input`
/// lines, each followed by the exact output (stdout and stderr, in order) the session prints.
/// Lines are fed one at a time, as at the prompt, so continuation works as for a user.
/// Re-record on purpose with `MITHAI_RECORD=1 swift test --filter TranscriptTests`.
@Suite struct TranscriptTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".txt") }.sorted()
    }

    @Test("transcript", arguments: files)
    func replay(_ name: String) throws {
        let url = TranscriptTests.folder.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        let (inputs, expected) = Transcript.split(text)
        let actual = try Transcript.run(inputs)
        if ProcessInfo.processInfo.environment["MITHAI_RECORD"] == "1" {
            try Transcript.render(inputs, actual).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(inputs.count == expected.count)
        for (i, input) in inputs.enumerated() where i < expected.count {
            #expect(actual[i] == expected[i], "\(name): output of `\(input)` differs")
        }
    }
}

/// Captures everything a session prints, in order.
final class CapturingSink: OutputSink {
    var text = ""
    func write(_ s: String, to stream: OutputStreamKind) { text += s }
    func take() -> String {
        defer { text = "" }
        return text
    }
}

enum Transcript {
    /// Input lines (without `> `) and the expected output after each.
    static func split(_ text: String) -> ([String], [String]) {
        var inputs: [String] = [], outputs: [String] = []
        var current: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("> ") || line == ">" {
                if !inputs.isEmpty { outputs.append(normalise(current.joined(separator: "\n"))) }
                inputs.append(line == ">" ? "" : String(line.dropFirst(2)))
                current = []
            } else if !inputs.isEmpty {
                current.append(line)
            }
        }
        if !inputs.isEmpty { outputs.append(normalise(current.joined(separator: "\n"))) }
        return (inputs, outputs)
    }

    static func normalise(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line -> String in
                var l = String(line)
                while l.hasSuffix(" ") { l.removeLast() }
                return l
            }
            .joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    /// Runs the inputs in a fresh interactive-style session (fixed width, no colour, no
    /// journal, a temporary home) and returns each input's output.
    static func run(_ inputs: [String]) throws -> [String] {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-transcript-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let sink = CapturingSink()
        let options = SessionOptions(mode: .interactive, style: RenderStyle(width: 100, maxRows: 20, color: false), home: home.path)
        let session = Session(options: options, output: sink)
        var outputs: [String] = []
        var pending: [String] = []
        for input in inputs {
            pending.append(input)
            let result = session.run(Source(pending.joined(separator: "\n"), name: "<stdin>"), allowIncomplete: true)
            if !result.incomplete { pending = [] }
            outputs.append(normalise(sink.take().replacingOccurrences(of: home.path, with: "$HOME")))
        }
        return outputs
    }

    static func render(_ inputs: [String], _ outputs: [String]) -> String {
        var out = ""
        for (i, o) in zip(inputs, outputs) {
            out += "> " + i + "\n"
            if !o.isEmpty { out += o + "\n" }
        }
        return out
    }
}
