import Foundation
import MithaiLanguage

/// A column-oriented table: the common currency of queries, views and output formats.
/// Invariant: every column has exactly `rowCount` values. Missing values are `Int64.min`
/// in integer-backed columns and NaN in real columns; they print as empty cells.
public struct Table: Sendable, Hashable {
    public var columns: [Column]
    public var rowCount: Int { columns.first?.count ?? 0 }

    public init(_ columns: [Column]) {
        self.columns = columns
        precondition(Set(columns.map(\.count)).count <= 1, "table columns differ in length")
    }

    public func column(named name: String) -> Column? { columns.first { $0.name == name } }
    public var columnNames: [String] { columns.map(\.name) }

    /// Rows `range` of every column.
    public func slice(_ range: Range<Int>) -> Table { Table(columns.map { $0.slice(range) }) }

    /// Rows in the given order (indices may repeat).
    public func gather(_ indices: [Int]) -> Table { Table(columns.map { $0.gather(indices) }) }
}

public struct Column: Sendable, Hashable {
    public var name: String
    public var data: ColumnData

    public init(_ name: String, _ data: ColumnData) { self.name = name; self.data = data }

    public static let null: Int64 = .min

    public var count: Int {
        switch data {
        case .int(let v), .duration(let v), .decimal(let v, _), .timestamp(let v, _): v.count
        case .real(let v): v.count
        case .text(let v): v.count
        case .bool(let v): v.count
        }
    }

    public func slice(_ r: Range<Int>) -> Column { gather(Array(r)) }

    public func gather(_ idx: [Int]) -> Column {
        switch data {
        case .int(let v): Column(name, .int(idx.map { v[$0] }))
        case .duration(let v): Column(name, .duration(idx.map { v[$0] }))
        case .decimal(let v, let s): Column(name, .decimal(idx.map { v[$0] }, scale: s))
        case .timestamp(let v, let z): Column(name, .timestamp(idx.map { v[$0] }, zone: z))
        case .real(let v): Column(name, .real(idx.map { v[$0] }))
        case .text(let v): Column(name, .text(idx.map { v[$0] }))
        case .bool(let v): Column(name, .bool(idx.map { v[$0] }))
        }
    }

    /// Whether cells right-align (numbers) in text output.
    public var isNumeric: Bool {
        switch data {
        case .int, .real, .decimal, .duration: true
        default: false
        }
    }

    /// The cell as a value for expressions.
    public func value(at row: Int) -> Value {
        switch data {
        case .int(let v): v[row] == Column.null ? .none : .number(Number(v[row]))
        case .decimal(let v, let s): v[row] == Column.null ? .none : .number(.normalised(v[row], s))
        case .duration(let v): v[row] == Column.null ? .none : .duration(v[row])
        case .timestamp(let v, let z): v[row] == Column.null ? .none : .timestamp(v[row], zone: z)
        case .real(let v): v[row].isNaN ? .none : .number(.real(v[row]))
        case .text(let v): .string(v[row])
        case .bool(let v): .bool(v[row])
        }
    }

    /// Text of one cell for human-readable output.
    public func cell(_ row: Int) -> String {
        switch data {
        case .int(let v): return v[row] == Column.null ? "" : String(v[row])
        case .decimal(let v, let s): return v[row] == Column.null ? "" : Number.normalisedText(v[row], s)
        case .duration(let v): return v[row] == Column.null ? "" : Format.duration(v[row])
        case .timestamp(let v, let z): return v[row] == Column.null ? "" : Format.timestamp(v[row], zone: z)
        case .real(let v): return Format.real(v[row])
        case .text(let v): return v[row]
        case .bool(let v): return v[row] ? "true" : "false"
        }
    }

    /// Text of one cell for machines (CSV, JSON): exact and unabbreviated.
    public func exactCell(_ row: Int) -> String {
        switch data {
        case .real(let v): return v[row].isNaN ? "" : Number.format(v[row])
        case .timestamp(let v, let z): return v[row] == Column.null ? "" : Format.isoTimestamp(v[row], zone: z)
        case .duration(let v): return v[row] == Column.null ? "" : String(v[row])
        default: return cell(row)
        }
    }
}

/// Storage of a column. Decimal columns hold exact integers `m × 10^-scale` (prices in
/// ticks convert here at the edge); timestamps are nanoseconds since the Unix epoch, shown in
/// `zone` (an IANA name such as "Asia/Kolkata"; "UTC" by default).
public enum ColumnData: Sendable, Hashable {
    case int([Int64])
    case real([Double])
    case decimal([Int64], scale: Int)
    case text([String])
    case timestamp([Int64], zone: String)
    case duration([Int64])
    case bool([Bool])

    public var typeName: String {
        switch self {
        case .int: "int"
        case .real: "real"
        case .decimal(_, let s): "decimal(\(s))"
        case .text: "text"
        case .timestamp(_, let z): "timestamp(\(z))"
        case .duration: "duration"
        case .bool: "bool"
        }
    }
}

extension Number {
    static func normalisedText(_ m: Int64, _ s: Int) -> String {
        DecimalLiteral.format(mantissa: m, scale: s)
    }
}

/// Human formats for values that are not plain numbers.
public enum Format {
    /// `1.5s`, `250us`, `2m30s`; exact.
    public static func duration(_ ns: Int64) -> String {
        if ns == 0 { return "0s" }
        let sign = ns < 0 ? "-" : ""
        let v = ns.magnitude
        let units: [(UInt64, String)] = [(86_400_000_000_000, "d"), (3_600_000_000_000, "h"), (60_000_000_000, "m")]
        for (size, name) in units where v >= size && v % size == 0 { return sign + "\(v / size)\(name)" }
        if v >= 60_000_000_000 {
            let m = v / 60_000_000_000
            return sign + "\(m)m" + duration(Int64(v - m * 60_000_000_000))
        }
        let small: [(UInt64, String)] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us"), (1, "ns")]
        for (size, name) in small where v >= size {
            if v % size == 0 { return sign + "\(v / size)\(name)" }
            var frac = String(v % size)
            let digits = String(size).count - 1
            frac = String(repeating: "0", count: digits - frac.count) + frac
            while frac.hasSuffix("0") { frac.removeLast() }
            return sign + "\(v / size).\(frac)\(name)"
        }
        return sign + "\(v)ns"
    }

    /// Reals for people: up to 6 significant decimals, no exponent for ordinary sizes.
    public static func real(_ d: Double) -> String {
        if d.isNaN { return "" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
        let magnitude = abs(d)
        if magnitude >= 1e15 || magnitude < 1e-6 { return String(format: "%.6g", d) }
        let decimals = magnitude >= 1000 ? 2 : magnitude >= 1 ? 4 : 6
        var s = String(format: "%.\(decimals)f", d)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    nonisolated(unsafe) private static var zoneCache: [String: TimeZone] = [:]
    private static let zoneLock = NSLock()

    static func zone(_ name: String) -> TimeZone {
        zoneLock.lock()
        defer { zoneLock.unlock() }
        if let z = zoneCache[name] { return z }
        let z = TimeZone(identifier: name) ?? TimeZone(identifier: "UTC")!
        zoneCache[name] = z
        return z
    }

    /// Offset of `zone` from UTC at instant `ns`, in seconds.
    public static func utcOffset(_ ns: Int64, zone name: String) -> Int {
        if name == "UTC" { return 0 }
        return zone(name).secondsFromGMT(for: Date(timeIntervalSince1970: Double(ns / 1_000_000_000)))
    }

    /// `2024-08-08 23:57:00.123456789` in the zone, trailing fraction zeros trimmed to 3/6/9.
    public static func timestamp(_ ns: Int64, zone: String) -> String {
        let local = ns + Int64(utcOffset(ns, zone: zone)) * 1_000_000_000
        return civil(local, separator: " ")
    }

    /// ISO 8601 with the zone's offset: `2024-08-08T23:57:00.123+05:30`.
    public static func isoTimestamp(_ ns: Int64, zone: String) -> String {
        let offset = utcOffset(ns, zone: zone)
        let local = ns + Int64(offset) * 1_000_000_000
        let sign = offset < 0 ? "-" : "+"
        let o = abs(offset)
        let suffix = offset == 0 ? "Z" : String(format: "%@%02d:%02d", sign, o / 3600, (o % 3600) / 60)
        return civil(local, separator: "T") + suffix
    }

    static func civil(_ local: Int64, separator: String) -> String {
        let day = local >= 0 ? local / 86_400_000_000_000 : (local - 86_400_000_000_000 + 1) / 86_400_000_000_000
        let tod = local - day * 86_400_000_000_000
        let date = CivilDate(daysSinceEpoch: day).description
        return date + separator + timeOfDay(tod)
    }

    /// `HH:MM:SS[.fff|.ffffff|.fffffffff]`.
    public static func timeOfDay(_ ns: Int64) -> String {
        let total = ns / 1_000_000_000
        let frac = ns % 1_000_000_000
        var s = String(format: "%02lld:%02lld:%02lld", total / 3600, (total % 3600) / 60, total % 60)
        if frac != 0 {
            var digits = String(format: "%09lld", frac)
            while digits.count > 3 && digits.hasSuffix("000") { digits.removeLast(3) }
            s += "." + digits
        }
        return s
    }
}
