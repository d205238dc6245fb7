internal import CSQLite
import Foundation

/// A failure of SQLite, carrying the result code, SQLite's message and the SQL that failed,
/// rendered in one line.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var message: String
    public var sql: String?
    public var description: String {
        var s = "store error \(code): \(message)"
        if let sql { s += " (in: \(sql.split(separator: "\n").joined(separator: " ")))" }
        return s
    }
}

/// A thin wrapper over the SQLite C API: one connection, prepared statements, transactions.
/// Not thread-safe: use one `Database` from one thread at a time.
public final class Database {
    private var handle: OpaquePointer?
    public let path: String

    /// Opens (creating if needed) the database at `path`, in WAL mode with synchronous=NORMAL:
    /// a crash or kill -9 never loses a committed transaction and never corrupts the file.
    public init(path: String) throws(StoreError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw StoreError(code: rc, message: "\(message): \(path)", sql: nil)
        }
        handle = db
        sqlite3_busy_timeout(db, 5_000)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=NORMAL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit { sqlite3_close_v2(handle) }

    private func error(_ rc: Int32, _ sql: String?) -> StoreError {
        StoreError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw StoreError(code: rc, message: text, sql: sql)
        }
    }

    public func prepare(_ sql: String) throws(StoreError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql) }
        return Statement(stmt, sql: sql, database: self)
    }

    /// Runs `body` in one transaction: all of it is committed, or none of it.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// `PRAGMA integrity_check`'s first line ("ok" when healthy).
    public func integrityCheck() throws(StoreError) -> String {
        let s = try prepare("PRAGMA integrity_check")
        return try s.step() ? s.string(0) ?? "" : ""
    }

    /// A value SQLite can store.
    public enum Value: Sendable, Equatable {
        case null, integer(Int64), real(Double), text(String)
    }

    /// A prepared statement; bind parameters (1-based), `step`, read columns (0-based).
    public final class Statement {
        private let stmt: OpaquePointer
        private let sql: String
        /// Strong: a statement keeps its connection open (finalised before the database closes).
        private let database: Database

        init(_ stmt: OpaquePointer, sql: String, database: Database) {
            self.stmt = stmt
            self.sql = sql
            self.database = database
        }
        deinit { sqlite3_finalize(stmt) }

        public func reset() {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }

        public func bind(_ values: [Value]) throws(StoreError) {
            for (index, value) in values.enumerated() {
                let i = Int32(index + 1)
                let rc: Int32
                switch value {
                case .null: rc = sqlite3_bind_null(stmt, i)
                case .integer(let v): rc = sqlite3_bind_int64(stmt, i, v)
                case .real(let v): rc = sqlite3_bind_double(stmt, i, v)
                case .text(let v): rc = sqlite3_bind_text(stmt, i, v, -1, mithai_sqlite_transient())
                }
                if rc != SQLITE_OK { throw database.error(rc, sql) }
            }
        }

        /// Advances to the next row; false when done.
        @discardableResult
        public func step() throws(StoreError) -> Bool {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_ROW { return true }
            if rc == SQLITE_DONE { return false }
            throw database.error(rc, sql)
        }

        /// Binds, runs to completion and resets.
        public func run(_ values: [Value]) throws(StoreError) {
            reset()
            try bind(values)
            while try step() {}
            sqlite3_reset(stmt)
        }

        public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }
        public func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }
        public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }
        public func string(_ column: Int32) -> String? {
            guard let p = sqlite3_column_text(stmt, column) else { return nil }
            return String(cString: p)
        }
        public var columnCount: Int32 { sqlite3_column_count(stmt) }
        public func columnName(_ column: Int32) -> String { String(cString: sqlite3_column_name(stmt, column)) }
        public func value(_ column: Int32) -> Value {
            switch sqlite3_column_type(stmt, column) {
            case SQLITE_INTEGER: .integer(int(column))
            case SQLITE_FLOAT: .real(double(column))
            case SQLITE_NULL: .null
            default: .text(string(column) ?? "")
            }
        }
    }
}
