import Foundation
import Testing
import MithaiStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `mithai` executable built beside the test bundle (same build folder), or the path in
/// MITHAI_EXECUTABLE; nil when neither exists.
enum MithaiExecutable {
    static let url: URL? = {
        let fm = FileManager.default
        var candidates: [URL] = []
        if let explicit = ProcessInfo.processInfo.environment["MITHAI_EXECUTABLE"] {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        // Linux: CommandLine.arguments[0] is .build/<triple>/debug/<package>PackageTests.xctest.
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("mithai"))
        // macOS: the .xctest bundle sits in the build folder.
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("mithai"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("mithai"))
        return candidates.first { fm.isExecutableFile(atPath: $0.path) && !$0.hasDirectoryPath }
    }()
}

@Suite("Crash consistency", .serialized)
struct CrashConsistencyTests {

    /// Statement `n` of the writer's script; the journal must hold exactly these texts, in order.
    static func statement(_ n: Int) -> String { "v\(n) = \(n) + 1" }

    /// Rows observed before a kill, per session: committed, so they must survive it.
    struct Observation { var session: Int64; var rows: Int64 }

    @Test("a journal writer killed with SIGKILL mid-stream leaves a consistent database",
          .enabled(if: MithaiExecutable.url != nil,
                   "the built `mithai` executable was not found next to the test bundle; build it with `swift build --build-tests` or set MITHAI_EXECUTABLE"),
          .timeLimit(.minutes(3)))
    func killedWriter() throws {
        let executable = try #require(MithaiExecutable.url)
        let folder = try TemporaryFolder("mithai-crash")
        defer { folder.remove() }
        let dbPath = folder.path("Sessions/journal.sqlite")

        // A long piped script: far more statements than get run before the kill.
        let scriptURL = folder.url.appendingPathComponent("writer.mithai")
        let script = (1...60_000).map { Self.statement($0) + "\n" }.joined()
        try Data(script.utf8).write(to: scriptURL)

        // Three writers in turn on the same file, each killed after a different amount of work;
        // the later ones start from a database that an earlier kill left behind.
        var observations: [Observation] = []
        for (round, growth) in [300, 750, 120].enumerated() {
            let observed = try runAndKill(executable: executable, script: scriptURL, dbPath: dbPath,
                                          folder: folder, growth: Int64(growth))
            guard let observed else { return }
            #expect(observed.session == Int64(round + 1))
            observations.append(observed)
            try checkConsistency(dbPath: dbPath, observations: observations)
        }

        // The file is still a healthy journal: a new session opens and records.
        let journal = try Journal(path: dbPath, mode: "script", source: nil, engineVersion: "test")
        #expect(journal.sessionID == 4)
        let id = try journal.begin(text: "after the crashes")
        try journal.finish(id: id, durationNanos: 1, outcome: .ok, digest: "00")
        #expect(try journal.currentSession().map(\.outcome) == ["ok"])
        #expect(try journal.database.integrityCheck() == "ok")
    }

    /// Starts `mithai --db dbPath < script`, waits until the journal has `growth` more command
    /// rows than before, kills the process with SIGKILL and returns what was seen just before.
    private func runAndKill(executable: URL, script: URL, dbPath: String, folder: TemporaryFolder,
                            growth: Int64) throws -> Observation? {
        let before = try FileManager.default.fileExists(atPath: dbPath) ? count(dbPath) : 0

        let process = Process()
        process.executableURL = executable
        process.arguments = ["--db", dbPath]
        process.currentDirectoryURL = folder.url
        var environment = ProcessInfo.processInfo.environment
        environment["MITHAI_HOME"] = folder.url.path
        environment["HOME"] = folder.url.path
        environment["NO_COLOR"] = "1"
        process.environment = environment
        process.standardInput = try FileHandle(forReadingFrom: script)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier

        // Poll through a separate connection; rows it sees are committed.
        var reader: Database?
        var seen: Observation?
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(90)
        while process.isRunning && clock.now < deadline {
            if reader == nil && FileManager.default.fileExists(atPath: dbPath) {
                reader = try? Database(path: dbPath)
            }
            if let reader, let total = try? reader.scalar("SELECT count(*) FROM commands"),
               case .integer(let n) = total, n - before >= growth,
               case .integer(let session)? = try? reader.scalar("SELECT max(id) FROM sessions"),
               case .integer(let rows)? = try? reader.scalar("SELECT count(*) FROM commands WHERE session_id = ?",
                                                              [.integer(session)]) {
                seen = Observation(session: session, rows: rows)
                break
            }
            usleep(2_000)
        }
        reader = nil

        guard process.isRunning else {
            Issue.record("the writer ended by itself (status \(process.terminationStatus)) before \(growth) rows were written; make the script longer")
            return nil
        }
        kill(pid, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)
        if seen == nil { Issue.record("no rows were seen before the deadline") }
        return seen
    }

    private func count(_ dbPath: String) throws -> Int64 {
        let db = try Database(path: dbPath)
        guard case .integer(let n)? = try db.scalar("SELECT count(*) FROM commands") else { return 0 }
        return n
    }

    /// Invariants of a journal after any number of kills.
    private func checkConsistency(dbPath: String, observations: [Observation]) throws {
        let db = try Database(path: dbPath)
        #expect(try db.integrityCheck() == "ok")
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)

        let sessions = try db.rows("SELECT id, ended_at, mode FROM sessions ORDER BY id")
        #expect(sessions.count == observations.count)
        for session in sessions {
            guard case .integer(let sessionID) = session[0] else { Issue.record("session id \(session[0])"); continue }
            #expect(session[1] == .null, "a killed session has no end time")
            #expect(session[2] == .text("pipe"))

            let rows = try db.rows("""
                SELECT seq, text, outcome, duration_ns, digest, error FROM commands
                WHERE session_id = ? ORDER BY seq
                """, [.integer(sessionID)])
            // Everything committed before the kill is still there.
            if let seen = observations.first(where: { $0.session == sessionID }) {
                #expect(Int64(rows.count) >= seen.rows, "session \(sessionID): \(rows.count) rows, \(seen.rows) seen before the kill")
            }
            var running = 0
            for (index, row) in rows.enumerated() {
                let seq = index + 1
                let context = "session \(sessionID) seq \(seq): \(row)"
                // No gaps, no duplicates, no torn or misattributed text.
                #expect(row[0] == .integer(Int64(seq)), "\(context)")
                #expect(row[1] == .text(Self.statement(seq)), "\(context)")
                switch row[2] {
                case .text("ok"):
                    if case .integer(let d) = row[3] { #expect(d >= 0, "\(context)") } else { Issue.record("ok without duration: \(context)") }
                    if case .text(let digest) = row[4] {
                        #expect(!digest.isEmpty && digest.allSatisfy(\.isHexDigit), "\(context)")
                    } else {
                        Issue.record("ok without digest: \(context)")
                    }
                    #expect(row[5] == .null, "\(context)")
                case .text("running"):
                    running += 1
                    #expect(seq == rows.count, "only the last statement can be left running: \(context)")
                    #expect(row[3] == .null && row[4] == .null, "\(context)")
                default:
                    Issue.record("unexpected outcome: \(context)")
                }
            }
            #expect(running <= 1, "session \(sessionID) has \(running) rows left running")
        }
    }
}
