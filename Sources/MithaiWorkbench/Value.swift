public import MithaiLanguage

/// Anything a statement can produce or a name can hold.
public enum Value: Sendable, Hashable {
    case none
    case bool(Bool)
    case number(Number)
    case string(String)
    /// Nanoseconds.
    case duration(Int64)
    /// Nanoseconds since midnight, in the zone of whatever it is compared with.
    case time(Int64)
    case date(CivilDate)
    /// Nanoseconds since the Unix epoch, shown in `zone`.
    case timestamp(Int64, zone: String)
    case list([Value])
    /// `lower..upper`, optionally with a point count.
    indirect case range(Value, Value, count: Int?)
    case table(Table)
    /// Pre-rendered text for people (help pages, ladders). Printed as is in every format.
    case text(String)
    /// A one-line confirmation ("wrote Sessions/x.mithai").
    case message(String)
    /// A dataset, strategy, run, ...
    case object(ObjectRef)

    /// What kind of thing this is, for messages ("expected a duration, got a table").
    public var kindName: String {
        switch self {
        case .none: "nothing"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .duration: "a duration"
        case .time: "a time of day"
        case .date: "a date"
        case .timestamp: "a timestamp"
        case .list: "a list"
        case .range: "a range"
        case .table: "a table"
        case .text, .message: "text"
        case .object(let o): "a \(o.object.kind)"
        }
    }

    /// A short description for `.vars`, the journal summary and `#=` lines.
    public var summary: String {
        switch self {
        case .none: return "ok"
        case .table(let t): return "table \(t.rowCount) rows × \(t.columns.count) cols (\(t.columnNames.joined(separator: " ")))"
        case .text(let s):
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false).count
            return "text, \(lines) lines"
        case .message(let m): return m.split(separator: "\n").first.map(String.init) ?? ""
        case .list(let items): return "list of \(items.count)"
        case .object(let o): return o.object.summary
        default:
            let s = display
            return s.count > 80 ? String(s.prefix(77)) + "..." : s
        }
    }

    /// The value as a person reads it (scalars only; tables go through `TableFormatter`).
    public var display: String {
        switch self {
        case .none: ""
        case .bool(let b): b ? "true" : "false"
        case .number(.real(let d)): Format.real(d)
        case .number(let n): n.description
        case .string(let s): s
        case .duration(let d): Format.duration(d)
        case .time(let t): Format.timeOfDay(t)
        case .date(let d): d.description
        case .timestamp(let t, let z): Format.timestamp(t, zone: z) + (z == "UTC" ? " UTC" : " " + z)
        case .list(let items): items.map(\.display).joined(separator: ", ")
        case .range(let a, let b, let n): a.display + ".." + b.display + (n.map { "/\($0)" } ?? "")
        case .table(let t): "table \(t.rowCount) rows"
        case .text(let s), .message(let s): s
        case .object(let o): o.object.display
        }
    }

    /// A canonical, unambiguous serialisation used for result digests: identical results
    /// give identical bytes on every machine (exact decimals, shortest round-trip doubles).
    public var canonical: String {
        switch self {
        case .none: return "none"
        case .bool(let b): return "bool:\(b)"
        case .number(let n):
            switch n {
            case .decimal: return "num:" + n.description
            case .real(let d): return "real:" + (d.isNaN ? "nan" : String(d))
            }
        case .string(let s): return "str:\(s.utf8.count):" + s
        case .duration(let d): return "dur:\(d)"
        case .time(let t): return "time:\(t)"
        case .date(let d): return "date:\(d)"
        case .timestamp(let t, let z): return "ts:\(t)@\(z)"
        case .list(let items): return "list[" + items.map(\.canonical).joined(separator: ";") + "]"
        case .range(let a, let b, let n): return "range(" + a.canonical + "," + b.canonical + "," + String(n ?? -1) + ")"
        case .text(let s): return "text:\(s.utf8.count):" + s
        case .message(let s): return "msg:\(s.utf8.count):" + s
        case .object(let o): return "\(o.object.kind):" + o.object.canonical
        case .table(let t):
            var out = "table:\(t.rowCount):"
            for c in t.columns {
                out += c.name + "|" + c.data.typeName + "\n"
                for r in 0..<c.count { out += c.exactCell(r) + "\u{1F}" }
                out += "\n"
            }
            return out
        }
    }
}
