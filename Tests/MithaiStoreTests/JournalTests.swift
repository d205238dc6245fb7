import Foundation
import Testing
import MithaiStore

@Suite("Journal")
struct JournalTests {

    private func makeJournal(_ folder: TemporaryFolder, _ name: String = "journal.sqlite",
                             mode: String = "script", source: String? = "study.mithai") throws -> Journal {
        try Journal(path: folder.path(name), mode: mode, source: source, engineVersion: "9.9.9-test")
    }

    // MARK: - Schema

    @Test("opening creates folders, schema, WAL mode and foreign keys")
    func schema() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder, "deep/er/journal.sqlite")
        #expect(FileManager.default.fileExists(atPath: folder.path("deep/er/journal.sqlite")))
        let db = journal.database

        let tables = try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        #expect(tables == [[.text("alerts")], [.text("artifacts")], [.text("commands")], [.text("meta")], [.text("sessions")]])
        #expect(try db.scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'commands_by_session'")
                == .text("commands_by_session"))
        #expect(try db.rows("SELECT key, value FROM meta") == [[.text("schema_version"), .text(String(Journal.schemaVersion))]])
        #expect(Journal.schemaVersion == 1)
        #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
        #expect(try db.scalar("PRAGMA foreign_keys") == .integer(1))
        #expect(try db.scalar("PRAGMA synchronous") == .integer(1)) // NORMAL
        #expect(try db.integrityCheck() == "ok")

        let columns = try db.rows("SELECT name FROM pragma_table_info('commands') ORDER BY cid").map { $0[0] }
        #expect(columns == ["id", "session_id", "seq", "started_at", "duration_ns", "text", "outcome", "error",
                            "summary", "digest"].map { .text($0) })
    }

    @Test("a session row is written on open and closed by endSession")
    func sessionRow() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder, mode: "pipe", source: nil)
        #expect(journal.sessionID == 1)
        let row = try #require(try journal.database.rows(
            "SELECT id, mode, source, cwd, engine_version, ended_at, started_at FROM sessions").first)
        #expect(row[0] == .integer(1))
        #expect(row[1] == .text("pipe"))
        #expect(row[2] == .null)
        #expect(row[3] == .text(FileManager.default.currentDirectoryPath))
        #expect(row[4] == .text("9.9.9-test"))
        #expect(row[5] == .null)
        guard case .text(let started) = row[6] else { Issue.record("started_at: \(row[6])"); return }
        #expect(started.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(started)")

        journal.endSession()
        guard case .text(let ended)? = try journal.database.scalar("SELECT ended_at FROM sessions WHERE id = 1") else {
            Issue.record("ended_at not set"); return
        }
        #expect(ended.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
    }

    // MARK: - Commands

    @Test("begin writes a 'running' row; finish records how it ended")
    func beginAndFinish() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder)

        let a = try journal.begin(text: "load Datasets/x.gz as btc")
        var entries = try journal.currentSession()
        try #require(entries.count == 1)
        #expect(entries[0].id == a)
        #expect(entries[0].sessionID == journal.sessionID)
        #expect(entries[0].seq == 1)
        #expect(entries[0].text == "load Datasets/x.gz as btc")
        #expect(entries[0].outcome == "running")
        #expect(entries[0].durationNanos == nil)
        #expect(entries[0].error == nil && entries[0].summary == nil && entries[0].digest == nil)
        #expect(!entries[0].startedAt.isEmpty)

        try journal.finish(id: a, durationNanos: 80_000_000, outcome: .ok, summary: "dataset btc: 491,973 events",
                           digest: "8c9e49a0683fc7d1")
        let b = try journal.begin(text: "stats r9")
        try journal.finish(id: b, durationNanos: 12, outcome: .error, error: "error: unknown run 'r9'")
        let c = try journal.begin(text: "backtest mm on btc")
        try journal.finish(id: c, durationNanos: 5_000_000_000, outcome: .cancelled)
        let d = try journal.begin(text: "héllo → ✓ 'quoted' \"double\"")

        entries = try journal.currentSession()
        #expect(entries.map(\.seq) == [1, 2, 3, 4])
        #expect(entries.map(\.id) == [a, b, c, d])
        #expect(entries.map(\.outcome) == ["ok", "error", "cancelled", "running"])
        #expect(entries.map(\.durationNanos) == [80_000_000, 12, 5_000_000_000, nil])
        #expect(entries[0].summary == "dataset btc: 491,973 events")
        #expect(entries[0].digest == "8c9e49a0683fc7d1")
        #expect(entries[0].error == nil)
        #expect(entries[1].error == "error: unknown run 'r9'")
        #expect(entries[1].summary == nil && entries[1].digest == nil)
        #expect(entries[2].error == nil && entries[2].summary == nil)
        #expect(entries[3].text == "héllo → ✓ 'quoted' \"double\"")
        #expect(try journal.database.integrityCheck() == "ok")
    }

    @Test("finishing twice keeps the last outcome; finishing an unknown id changes nothing")
    func finishEdgeCases() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder)
        let a = try journal.begin(text: "x = 1")
        try journal.finish(id: a, durationNanos: 1, outcome: .ok, digest: "aa")
        try journal.finish(id: a, durationNanos: 2, outcome: .error, error: "late")
        try journal.finish(id: 9_999, durationNanos: 3, outcome: .ok)
        let entries = try journal.currentSession()
        #expect(entries.count == 1)
        #expect(entries[0].outcome == "error")
        #expect(entries[0].durationNanos == 2)
        #expect(entries[0].digest == nil)
        #expect(entries[0].error == "late")
    }

    @Test("currentSession lists only this session, in seq order")
    func currentSessionIsolation() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // Two sessions on the same file, interleaving their writes.
        let one = try makeJournal(folder)
        let two = try makeJournal(folder)
        #expect(two.sessionID == one.sessionID + 1)
        for i in 1...5 {
            _ = try one.begin(text: "one \(i)")
            _ = try two.begin(text: "two \(i)")
        }
        #expect(try one.currentSession().map(\.text) == (1...5).map { "one \($0)" })
        #expect(try two.currentSession().map(\.text) == (1...5).map { "two \($0)" })
        #expect(try one.currentSession().map(\.seq) == [1, 2, 3, 4, 5])
        #expect(try two.currentSession().allSatisfy { $0.sessionID == two.sessionID })
        // Rows of the two sessions have increasing, interleaved ids.
        let ids = try one.database.rows("SELECT id FROM commands ORDER BY id").map { $0[0] }
        #expect(ids == (1...10).map { .integer(Int64($0)) })
    }

    @Test("seq is unique within a session")
    func uniqueSeq() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder)
        _ = try journal.begin(text: "a")
        #expect(throws: StoreError.self) {
            try journal.database.execute(
                "INSERT INTO commands(session_id, seq, started_at, text, outcome) VALUES(\(journal.sessionID), 1, 'x', 'dup', 'running')")
        }
    }

    // MARK: - History

    private func fill(_ journal: Journal, _ texts: [String]) throws {
        for t in texts {
            let id = try journal.begin(text: t)
            try journal.finish(id: id, durationNanos: 1, outcome: .ok)
        }
    }

    @Test("history: most recent first by limit, returned oldest first, across sessions")
    func historyLimitAndOrder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        do {
            let old = try makeJournal(folder)
            try fill(old, ["load a.csv as a", "stats a"])
            old.endSession()
        }
        let journal = try makeJournal(folder)
        try fill(journal, ["load b.csv as b", "stats b", "plot b"])

        #expect(try journal.history(matching: nil, limit: 100).map(\.text) ==
                ["load a.csv as a", "stats a", "load b.csv as b", "stats b", "plot b"])
        #expect(try journal.history(matching: nil, limit: 2).map(\.text) == ["stats b", "plot b"])
        #expect(try journal.history(matching: nil, limit: 0).isEmpty)
        #expect(try journal.history(matching: "load", limit: 100).map(\.text) == ["load a.csv as a", "load b.csv as b"])
        #expect(try journal.history(matching: "load", limit: 1).map(\.text) == ["load b.csv as b"])
        #expect(try journal.history(matching: "stats", limit: 100).map(\.sessionID) == [journal.sessionID - 1, journal.sessionID])
        #expect(try journal.history(matching: "nothing like this", limit: 100).isEmpty)
        // Substring anywhere in the text; ASCII case is ignored (SQLite LIKE).
        #expect(try journal.history(matching: ".csv as", limit: 100).count == 2)
        #expect(try journal.history(matching: "PLOT", limit: 100).map(\.text) == ["plot b"])
        #expect(try journal.history(matching: "", limit: 100).count == 5)
    }

    @Test("history: '%' in the pattern is a literal percent sign")
    func historyPercent() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder)
        try fill(journal, ["risk max_loss=2%", "risk max_loss=25", "x = 2 % 3", "stop 2%x"])
        #expect(try journal.history(matching: "2%", limit: 100).map(\.text) == ["risk max_loss=2%", "stop 2%x"])
        #expect(try journal.history(matching: "%", limit: 100).map(\.text) == ["risk max_loss=2%", "x = 2 % 3", "stop 2%x"])
        #expect(try journal.history(matching: "2 % 3", limit: 100).map(\.text) == ["x = 2 % 3"])
        #expect(try journal.history(matching: "'; DROP TABLE commands; --", limit: 100).isEmpty)
        #expect(try journal.database.integrityCheck() == "ok")
        #expect(try journal.currentSession().count == 4)
    }

    @Test("history: '_' and '\\' in the pattern are literal too")
    func historyOtherWildcards() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder)
        try fill(journal, ["strategy mm = grid max_position=5", "strategy mm = grid maxXposition=5",
                           #"load C:\data\x.csv"#, "load C:data"])
        // Journal.history(matching:limit:) escapes only '%': '_' stays a one-character wildcard,
        // and a '\' in the pattern (the ESCAPE character) is not escaped, so it swallows the
        // character after it.
        let underscore = try journal.history(matching: "max_position", limit: 100).map(\.text)
        let backslash = try journal.history(matching: #"C:\data"#, limit: 100).map(\.text)
        #expect(underscore == ["strategy mm = grid max_position=5"])
        #expect(backslash == [#"load C:\data\x.csv"#])
    }

    // MARK: - Artifacts

    @Test("artifacts point at their command; unknown commands are refused")
    func artifacts() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder)
        let id = try journal.begin(text: "plot bars as candles to figs/b.png")
        try journal.addArtifact(commandID: id, kind: "chart", path: "figs/b.png")
        try journal.addArtifact(commandID: id, kind: "export", path: "out/b.csv")
        #expect(try journal.database.rows("SELECT command_id, kind, path FROM artifacts ORDER BY id") == [
            [.integer(id), .text("chart"), .text("figs/b.png")],
            [.integer(id), .text("export"), .text("out/b.csv")],
        ])

        // foreign_keys=ON: an artifact of a command that does not exist is a constraint error.
        do {
            try journal.addArtifact(commandID: id + 100, kind: "chart", path: "nowhere.png")
            Issue.record("an artifact of an unknown command was accepted")
        } catch let error as StoreError {
            #expect(error.code == 19) // SQLITE_CONSTRAINT
            #expect(error.message.contains("FOREIGN KEY"))
            #expect(error.sql == "INSERT INTO artifacts(command_id, kind, path) VALUES(?, ?, ?)")
        }
        #expect(try journal.database.scalar("SELECT count(*) FROM artifacts") == .integer(2))
        #expect(try journal.database.integrityCheck() == "ok")
        #expect(try journal.database.rows("PRAGMA foreign_key_check").isEmpty)
    }

    // MARK: - Reopening

    @Test("reopening keeps everything and starts a new session")
    func reopen() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let firstSession: Int64
        do {
            let journal = try makeJournal(folder)
            firstSession = journal.sessionID
            try fill(journal, ["a = 1", "b = 2", "c = 3"])
            _ = try journal.begin(text: "left running")
            journal.endSession()
        }
        let journal = try makeJournal(folder, mode: "interactive", source: nil)
        #expect(journal.sessionID == firstSession + 1)
        #expect(try journal.currentSession().isEmpty)
        let id = try journal.begin(text: "d = 4")
        #expect(try journal.currentSession().map(\.seq) == [1])
        try journal.finish(id: id, durationNanos: 1, outcome: .ok)

        #expect(try journal.history(matching: nil, limit: 10).map(\.text) == ["a = 1", "b = 2", "c = 3", "left running", "d = 4"])
        #expect(try journal.history(matching: nil, limit: 10).map(\.outcome) == ["ok", "ok", "ok", "running", "ok"])
        #expect(try journal.database.scalar("SELECT count(*) FROM meta") == .integer(1))
        #expect(try journal.database.rows("SELECT id, mode FROM sessions ORDER BY id") == [
            [.integer(firstSession), .text("script")], [.integer(firstSession + 1), .text("interactive")],
        ])
        #expect(try journal.database.integrityCheck() == "ok")
    }

    @Test("a committed begin is visible to another connection at once")
    func visibleToOtherConnections() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try makeJournal(folder)
        let reader = try Database(path: folder.path("journal.sqlite"))
        let id = try journal.begin(text: "backtest mm on btc")
        #expect(try reader.rows("SELECT id, outcome FROM commands") == [[.integer(id), .text("running")]])
        try journal.finish(id: id, durationNanos: 5, outcome: .ok, digest: "ab")
        #expect(try reader.rows("SELECT outcome, duration_ns, digest FROM commands") ==
                [[.text("ok"), .integer(5), .text("ab")]])
    }

    // MARK: - Database and StoreError

    @Test("StoreError carries the code, SQLite's message and the SQL")
    func storeErrors() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = try Database(path: folder.path("x.sqlite"))

        do {
            try db.execute("SELEC 1")
            Issue.record("no error")
        } catch {
            #expect(error.code == 1) // SQLITE_ERROR
            #expect(error.message.contains("syntax error"))
            #expect(error.sql == "SELEC 1")
            #expect(error.description == "store error 1: \(error.message) (in: SELEC 1)")
        }

        do {
            _ = try db.prepare("SELECT nope\nFROM sqlite_master")
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("no such column: nope"))
            #expect(error.sql == "SELECT nope\nFROM sqlite_master")
            // One line: the SQL's newlines become spaces.
            #expect(error.description == "store error 1: \(error.message) (in: SELECT nope FROM sqlite_master)")
            #expect(!error.description.contains("\n"))
        }

        let insert = try db.prepare("SELECT ?1 + ?2")
        #expect(throws: StoreError.self) { try insert.bind([.integer(1), .integer(2), .integer(3)]) } // no 3rd parameter
    }

    @Test("opening an impossible path is a StoreError")
    func cannotOpen() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = folder.path("plain.txt")
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: StoreError.self) { _ = try Database(path: file + "/x.sqlite") }
        // A file that is not a database.
        let junk = folder.path("junk.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: junk))
        #expect(throws: StoreError.self) { _ = try Database(path: junk) }
    }

    @Test("transaction commits all or nothing")
    func transaction() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = try Database(path: folder.path("t.sqlite"))
        try db.execute("CREATE TABLE t(v INTEGER NOT NULL)")
        struct Boom: Error {}

        let value = try db.transaction {
            try db.execute("INSERT INTO t VALUES(1)")
            try db.execute("INSERT INTO t VALUES(2)")
            return 42
        }
        #expect(value == 42)
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES(3)")
                throw Boom()
            }
        }
        #expect(throws: StoreError.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES(4)")
                try db.execute("INSERT INTO t VALUES(NULL)")
            }
        }
        #expect(try db.rows("SELECT v FROM t ORDER BY v") == [[.integer(1)], [.integer(2)]])
        // The connection is usable (no transaction left open).
        try db.execute("INSERT INTO t VALUES(5)")
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(3))
    }

    @Test("a statement may outlive the Database it came from")
    func statementOutlivesDatabase() async {
        // A Statement holds its Database strongly, so an error on a statement whose Database
        // the caller has dropped is still a StoreError, not a trap.
        await #expect(processExitsWith: .success) {
            let statement = try! Database(path: ":memory:").prepare("SELECT ?")
            do {
                try statement.bind([.integer(1), .integer(2)]) // no second parameter: an error
            } catch {
                // The expected outcome: a StoreError, and the process goes on.
            }
        }
        // Control: the same error with the Database still referenced is a StoreError.
        await #expect(processExitsWith: .success) {
            let database = try! Database(path: ":memory:")
            let statement = try! database.prepare("SELECT ?")
            var code: Int32 = 0
            do { try statement.bind([.integer(1), .integer(2)]) } catch let e as StoreError { code = e.code } catch {}
            precondition(code == 25, "expected SQLITE_RANGE, got \(code)")
            withExtendedLifetime(database) {}
        }
    }

    @Test("values round-trip through bind and column reads")
    func values() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = try Database(path: folder.path("v.sqlite"))
        let s = try db.prepare("SELECT ?, ?, ?, ?, ?, ?")
        try s.bind([.null, .integer(.min), .integer(.max), .real(2.5), .text("héllo ✓"), .text("")])
        #expect(try s.step())
        #expect((0..<s.columnCount).map { s.value($0) } ==
                [.null, .integer(.min), .integer(.max), .real(2.5), .text("héllo ✓"), .text("")])
        #expect(s.isNull(0) && !s.isNull(1))
        #expect(s.string(0) == nil)
        #expect(s.int(1) == .min)
        #expect(s.double(3) == 2.5)
        #expect(try s.step() == false)
        #expect(s.columnName(0) == "?")

        let t = try db.prepare("SELECT 1 AS one, 'two' AS two")
        #expect(t.columnCount == 2)
        #expect(t.columnName(1) == "two")
        // run() resets, so a statement can be reused.
        try db.execute("CREATE TABLE k(v)")
        let insert = try db.prepare("INSERT INTO k VALUES(?)")
        for i in 1...3 { try insert.run([.integer(Int64(i))]) }
        #expect(try db.rows("SELECT v FROM k") == [[.integer(1)], [.integer(2)], [.integer(3)]])
        #expect(db.lastInsertRowID == 3)
    }
}

@Suite struct JournalAlertTests {
    @Test func firedAlertsAreJournaledWithTheirSimulatedTime() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-alerts-\(UUID().uuidString).sqlite").path
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let journal = try Journal(path: path, mode: "script", source: nil, engineVersion: "test")
        let id = try journal.begin(text: "backtest mm on btc")
        try journal.addAlert(commandID: id, name: "dip", simulatedTime: 1_723_161_440_318_078_132, condition: "mid(btc) < 61700", observed: "mid(btc)=61697.85")
        try journal.addAlert(commandID: nil, name: "wide", simulatedTime: 1_723_161_441_000_000_000, condition: "spread(btc) > 5 ticks", observed: "spread(btc)=0.6")
        let rows = try journal.alerts()
        #expect(rows.map(\.name) == ["dip", "wide"])
        #expect(rows[0].simulatedTime == 1_723_161_440_318_078_132 && rows[0].observed == "mid(btc)=61697.85")
        // A journal opened on an existing file keeps its alerts (CREATE TABLE IF NOT EXISTS).
        let again = try Journal(path: path, mode: "script", source: nil, engineVersion: "test")
        #expect(try again.alerts().isEmpty)
        let count = try again.database.prepare("SELECT count(*) FROM alerts")
        #expect(try count.step() && count.int(0) == 2)
    }
}
