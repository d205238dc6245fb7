import MithaiLanguage
public import MithaiEngine

/// Everything a session has made: named values, settings and the last result.
/// A value type: the interpreter runs each statement on a copy and keeps the copy only if the
/// statement succeeds, so a failed command leaves the workspace exactly as it was.
public struct Workspace: Sendable {
    /// Named values in the order they were first defined (deterministic listings).
    public private(set) var names: [String] = []
    private var values: [String: Value] = [:]
    public var settings = Settings()
    /// Risk limits for subsequent runs (`risk max_position= ...`); nil: none.
    public var risk: RiskSettings? = nil
    /// The last result, `_`.
    public var last: Value = .none
    /// Alerts and their history (AlertCommands).
    public var alerts = AlertBook()

    public init() {}

    public subscript(name: String) -> Value? {
        if name == "_" { return last }
        return values[name]
    }

    public mutating func define(_ name: String, _ value: Value) {
        if values[name] == nil { names.append(name) }
        values[name] = value
    }

    public mutating func remove(_ name: String) {
        guard values.removeValue(forKey: name) != nil else { return }
        names.removeAll { $0 == name }
    }
}

/// A setting the user can change with `set NAME=VALUE`.
public struct SettingSpec: Sendable {
    public var name: String
    public var type: ParameterType
    public var defaultValue: Value
    public var summary: String
}

/// Session settings, table-driven so `set`, `help set` and completion share one list.
public struct Settings: Sendable, Equatable {
    public static let specs: [SettingSpec] = [
        SettingSpec(name: "format", type: .choice(OutputFormat.allCases.map(\.rawValue)), defaultValue: .string("table"),
                    summary: "output format of results (also .mode and --format)"),
        SettingSpec(name: "width", type: .integer, defaultValue: .number(Number(0)),
                    summary: "columns available to tables; 0 = the terminal's width, unlimited when piped"),
        SettingSpec(name: "rows", type: .integer, defaultValue: .number(Number(40)),
                    summary: "rows shown before the middle of a long table is elided; 0 = all"),
        SettingSpec(name: "timer", type: .bool, defaultValue: .bool(false),
                    summary: "print each command's wall time on stderr (also .timer on)"),
        SettingSpec(name: "bail", type: .bool, defaultValue: .bool(true),
                    summary: "in scripts and piped input, stop at the first failing command (also .bail, --keep-going)"),
        SettingSpec(name: "theme", type: .choice(["terminal", "paper"]), defaultValue: .string("terminal"),
                    summary: "chart theme: terminal (black, amber and cyan) or paper (white, black and grey, serif)"),
        SettingSpec(name: "tz", type: .word, defaultValue: .string("UTC"),
                    summary: "time zone for times without an instrument (IANA name, e.g. Asia/Kolkata)"),
    ]

    private(set) var values: [String: Value] = [:]

    public init() {
        for s in Settings.specs { values[s.name] = s.defaultValue }
    }

    public subscript(name: String) -> Value? { values[name] }

    public static func spec(_ name: String) -> SettingSpec? { specs.first { $0.name == name } }

    public mutating func set(_ name: String, _ value: Value) { values[name] = value }

    public var format: OutputFormat {
        get { if case .string(let s) = values["format"], let f = OutputFormat(rawValue: s) { f } else { .table } }
        set { values["format"] = .string(newValue.rawValue) }
    }
    public var width: Int { if case .number(let n) = values["width"], let v = n.integer { Int(v) } else { 0 } }
    public var rows: Int { if case .number(let n) = values["rows"], let v = n.integer { Int(v) } else { 40 } }
    public var timer: Bool {
        get { if case .bool(let b) = values["timer"] { b } else { false } }
        set { values["timer"] = .bool(newValue) }
    }
    public var bail: Bool {
        get { if case .bool(let b) = values["bail"] { b } else { true } }
        set { values["bail"] = .bool(newValue) }
    }
    public var theme: String { if case .string(let s) = values["theme"] { s } else { "terminal" } }
    public var timeZone: String { if case .string(let s) = values["tz"] { s } else { "UTC" } }
}
