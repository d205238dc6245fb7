import Foundation
import Testing

/// The built binary, driven as users and scripts drive it: pipes, -c, script files, exit codes.
@Suite(.serialized) struct EndToEndTests {
    @Test func pipedHelpThenBogusFailsWithCaretAndSuggestion() throws {
        let dir = try Paths.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try mithai([], stdin: "help\nsett rows=3\n", in: dir)
        #expect(r.status == 65)
        #expect(r.stdout.contains("commands (help VERB shows parameters and examples)"))
        #expect(r.stderr.contains("<stdin>:2:1: error: unknown command 'sett'; did you mean 'set'"))
        #expect(r.stderr.contains("    sett rows=3\n    ^^^^\n"))
        // Piped output carries no escape bytes.
        #expect(!r.stdout.contains("\u{1B}") && !r.stderr.contains("\u{1B}"))
    }

    @Test func bogusVerbIsAnErrorWithCaret() throws {
        let dir = try Paths.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try mithai([], stdin: "help\nbogus 1\n", in: dir)
        #expect(r.status == 65)
        #expect(r.stderr.contains("<stdin>:2:1: error: unknown command 'bogus'"))
        #expect(r.stderr.contains("^^^^^"))
    }

    @Test func commandLineStatementsAndFormats() throws {
        let dir = try Paths.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try mithai(["-c", "x = 40; x + 2"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout == "42\n")
        let csv = try mithai(["-c", "set | head 2", "--format", "csv"], in: dir)
        #expect(csv.stdout.hasPrefix("setting,value,default,meaning\r\nformat,csv,table,"))
        let json = try mithai(["-c", "select setting from (set) | head 1", "--format", "json"], in: dir)
        #expect(json.stdout == "[{\"setting\":\"format\"}]\n")
        let usage = try mithai(["--format", "xml", "-c", "1"], in: dir)
        #expect(usage.status == 64)
    }

    @Test func firstFailureStopsAScriptUnlessKeepGoing() throws {
        let dir = try Paths.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("s.mithai")
        try "a = 1\na\nnope 3\na + 1\n".write(to: script, atomically: true, encoding: .utf8)
        let stop = try mithai([script.path], in: dir)
        #expect(stop.status == 65)
        #expect(stop.stdout == "1\n")
        #expect(stop.stderr.contains("s.mithai:3:1: error: unknown command 'nope'"))
        let going = try mithai([script.path, "--keep-going"], in: dir)
        #expect(going.status == 65)
        #expect(going.stdout == "1\n2\n")
        let missing = try mithai([dir.appendingPathComponent("none.mithai").path], in: dir)
        #expect(missing.status == 66)
    }

    @Test func parseErrorsRunNothing() throws {
        let dir = try Paths.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("bad.mithai")
        try "x = 1\nx\ny = (2 +\nz = 12:99\n".write(to: script, atomically: true, encoding: .utf8)
        let r = try mithai([script.path], in: dir)
        #expect(r.status == 65)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("bad.mithai:"))
    }

    @Test func saveThenVerifyAndTamperedDigestFails() throws {
        let dir = try Paths.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        // `bogus` fails and is left out of the saved script.
        let kept = try mithai(["--keep-going"], stdin: "x = 6 * 7\ns = set | head 3\nx + 1\nbogus\n.save study\n", in: dir)
        let saved = dir.appendingPathComponent("Sessions/study.mithai")
        let text = try String(contentsOf: saved, encoding: .utf8)
        #expect(kept.stdout.contains("saved 3 statements"))
        #expect(!text.contains("bogus"))
        #expect(text.contains("x = 6 * 7\n#= 42 [sha256:"))
        let verified = try mithai([saved.path, "--verify"], in: dir)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stderr.contains("3 recorded results reproduced"))
        // Change the recorded digest of `x + 1`.
        var lines = text.components(separatedBy: "\n")
        let i = try #require(lines.firstIndex(of: "x + 1"))
        let recorded = lines[i + 1]
        let digest = try #require(recorded.range(of: "[sha256:"))
        let first = recorded[digest.upperBound]
        lines[i + 1] = recorded.replacingCharacters(in: digest.upperBound...digest.upperBound, with: first == "0" ? "1" : "0")
        let tampered = lines.joined(separator: "\n")
        try tampered.write(to: saved, atomically: true, encoding: .utf8)
        let failed = try mithai([saved.path, "--verify"], in: dir)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("verify failed: `x + 1`"))
    }

    @Test func journalRecordsEveryStatementWithOutcome() throws {
        let dir = try Paths.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try mithai(["--keep-going"], stdin: "a = 1\nnope\na\n", in: dir)
        let r = try mithai(["-c", ".history"], in: dir, environment: [:])
        #expect(r.stdout.contains("a = 1"))
        #expect(r.stdout.contains("error"))
        #expect(r.stdout.contains("nope"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("Sessions/journal.sqlite").path))
    }

    @Test func onceWritesTheNextResultToAFile() throws {
        let dir = try Paths.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try mithai(["-c", ".mode csv\n.once out.csv\nset | head 1\nset | head 1"], in: dir)
        #expect(r.status == 0)
        let file = try String(contentsOf: dir.appendingPathComponent("out.csv"), encoding: .utf8)
        #expect(file == "setting,value,default,meaning\r\nformat,csv,table,output format of results (also .mode and --format)\r\n")
        #expect(r.stdout == file)
    }
}
