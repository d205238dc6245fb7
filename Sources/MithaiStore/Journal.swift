import Foundation

/// The session journal: every line entered, in any mode, with its time, duration, outcome
/// and a compact result summary and digest. Schema (documented in docs/STORE.md):
///
///     sessions(id, started_at, ended_at, mode, source, cwd, user, host, engine_version)
///     commands(id, session_id, seq, started_at, duration_ns, text, outcome, error, summary, digest)
///     artifacts(id, command_id, kind, path)
///
/// Each command is written twice, each time in its own transaction: when it starts
/// (`outcome = 'running'`) and when it ends. A kill -9 in between leaves the line recorded as
/// 'running', and never a half-written row.
public final class Journal {
    public let database: Database
    public private(set) var sessionID: Int64 = 0
    private var sequence: Int64 = 0
    private let insertCommand: Database.Statement
    private let finishCommand: Database.Statement

    public static let schemaVersion: Int64 = 1

    public static let schema = """
    CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions(
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,          -- ISO 8601 UTC
        ended_at TEXT,                     -- NULL while running or if the process died
        mode TEXT NOT NULL,                -- interactive | script | pipe | command
        source TEXT,                       -- script path, when mode = script
        cwd TEXT, user TEXT, host TEXT,
        engine_version TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS commands(
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        seq INTEGER NOT NULL,              -- 1, 2, ... within the session
        started_at TEXT NOT NULL,          -- ISO 8601 UTC
        duration_ns INTEGER,               -- wall time; NULL while running
        text TEXT NOT NULL,                -- the statement as typed
        outcome TEXT NOT NULL,             -- running | ok | error | cancelled
        error TEXT,                        -- the rendered error, when outcome = error
        summary TEXT,                      -- one line describing the result
        digest TEXT,                       -- sha256 of the result's canonical form (hex)
        UNIQUE(session_id, seq)
    );
    CREATE INDEX IF NOT EXISTS commands_by_session ON commands(session_id, seq);
    CREATE TABLE IF NOT EXISTS artifacts(
        id INTEGER PRIMARY KEY,
        command_id INTEGER NOT NULL REFERENCES commands(id),
        kind TEXT NOT NULL,                -- chart | export | report | script
        path TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS alerts(
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        command_id INTEGER REFERENCES commands(id),  -- the statement that was running; NULL in a live session
        name TEXT NOT NULL,
        sim_ts INTEGER NOT NULL,           -- simulated time it fired (ns since the epoch, UTC)
        condition TEXT NOT NULL,           -- as written
        observed TEXT NOT NULL,            -- the values it saw: name=value, space separated
        fired_at TEXT NOT NULL             -- wall clock, ISO 8601 UTC
    );
    """

    /// Opens the journal at `path` (creating folders and schema) and starts a new session.
    public init(path: String, mode: String, source: String?, engineVersion: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let database = try Database(path: path)
        try database.transaction {
            try database.execute(Journal.schema)
            try database.prepare("INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', ?)")
                .run([.text(String(Journal.schemaVersion))])
        }
        self.database = database
        insertCommand = try database.prepare(
            "INSERT INTO commands(session_id, seq, started_at, text, outcome) VALUES(?, ?, ?, ?, 'running')")
        finishCommand = try database.prepare(
            "UPDATE commands SET duration_ns = ?, outcome = ?, error = ?, summary = ?, digest = ? WHERE id = ?")
        let info = ProcessInfo.processInfo
        try database.prepare("""
            INSERT INTO sessions(started_at, mode, source, cwd, user, host, engine_version)
            VALUES(?, ?, ?, ?, ?, ?, ?)
            """).run([.text(Journal.now()), .text(mode), source.map { .text($0) } ?? .null,
                      .text(FileManager.default.currentDirectoryPath),
                      .text(info.environment["USER"] ?? info.userName), .text(info.hostName), .text(engineVersion)])
        sessionID = database.lastInsertRowID
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    /// Records a statement as started; returns its row id.
    public func begin(text: String) throws -> Int64 {
        sequence += 1
        try insertCommand.run([.integer(sessionID), .integer(sequence), .text(Journal.now()), .text(text)])
        return database.lastInsertRowID
    }

    public enum Outcome: String, Sendable { case ok, error, cancelled }

    /// Records how a statement ended.
    public func finish(id: Int64, durationNanos: Int64, outcome: Outcome, error: String? = nil,
                       summary: String? = nil, digest: String? = nil) throws {
        try finishCommand.run([.integer(durationNanos), .text(outcome.rawValue), error.map { .text($0) } ?? .null,
                               summary.map { .text($0) } ?? .null, digest.map { .text($0) } ?? .null, .integer(id)])
    }

    /// Records a file a command wrote (a chart, an export, a saved script).
    public func addArtifact(commandID: Int64, kind: String, path: String) throws {
        try database.prepare("INSERT INTO artifacts(command_id, kind, path) VALUES(?, ?, ?)")
            .run([.integer(commandID), .text(kind), .text(path)])
    }

    /// Records an alert that fired at simulated time `simulatedTime` (ns).
    public func addAlert(commandID: Int64?, name: String, simulatedTime: Int64, condition: String, observed: String) throws {
        try database.prepare("INSERT INTO alerts(session_id, command_id, name, sim_ts, condition, observed, fired_at) VALUES(?, ?, ?, ?, ?, ?, ?)")
            .run([.integer(sessionID), commandID.map { .integer($0) } ?? .null, .text(name), .integer(simulatedTime),
                  .text(condition), .text(observed), .text(Journal.now())])
    }

    /// Alerts fired in this session, oldest first: (name, simulated ns, condition, observed).
    public func alerts() throws -> [(name: String, simulatedTime: Int64, condition: String, observed: String)] {
        let s = try database.prepare("SELECT name, sim_ts, condition, observed FROM alerts WHERE session_id = ? ORDER BY id")
        try s.bind([.integer(sessionID)])
        var out: [(String, Int64, String, String)] = []
        while try s.step() { out.append((s.string(0) ?? "", s.int(1), s.string(2) ?? "", s.string(3) ?? "")) }
        return out
    }

    public func endSession() {
        try? database.prepare("UPDATE sessions SET ended_at = ? WHERE id = ?").run([.text(Journal.now()), .integer(sessionID)])
    }

    /// One journaled statement.
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var sessionID: Int64
        public var seq: Int64
        public var startedAt: String
        public var durationNanos: Int64?
        public var text: String
        public var outcome: String
        public var error: String?
        public var summary: String?
        public var digest: String?
    }

    private func entries(_ sql: String, _ values: [Database.Value]) throws -> [Entry] {
        let s = try database.prepare(sql)
        try s.bind(values)
        var out: [Entry] = []
        while try s.step() {
            out.append(Entry(id: s.int(0), sessionID: s.int(1), seq: s.int(2), startedAt: s.string(3) ?? "",
                             durationNanos: s.isNull(4) ? nil : s.int(4), text: s.string(5) ?? "",
                             outcome: s.string(6) ?? "", error: s.string(7), summary: s.string(8), digest: s.string(9)))
        }
        return out
    }

    private static let columns = "id, session_id, seq, started_at, duration_ns, text, outcome, error, summary, digest"

    /// The statements of this session, in order.
    public func currentSession() throws -> [Entry] {
        try entries("SELECT \(Journal.columns) FROM commands WHERE session_id = ? ORDER BY seq", [.integer(sessionID)])
    }

    /// The most recent statements of all sessions whose text contains `pattern` (oldest first).
    public func history(matching pattern: String?, limit: Int) throws -> [Entry] {
        let filter = pattern.map { p -> String in
            let escaped = p.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            return "%" + escaped + "%"
        }
        let rows = try entries("""
            SELECT \(Journal.columns) FROM commands
            WHERE (?1 IS NULL OR text LIKE ?1 ESCAPE '\\') ORDER BY id DESC LIMIT ?2
            """, [filter.map { .text($0) } ?? .null, .integer(Int64(limit))])
        return rows.reversed()
    }
}
