import MithaiLanguage

/// What a parameter's value is, for binding, help and completion.
public enum ParameterType: Sendable, Equatable {
    /// A bare name (a new variable, dataset or strategy name).
    case name
    /// A file path (a path token, a quoted string, or a bare word).
    case path
    /// One of a fixed set of words.
    case choice([String])
    case number, integer, duration, time, bool
    /// Any expression, evaluated.
    case value
    /// An existing object of the workspace, by kind ("dataset", "run", "strategy") — completion
    /// offers the names of that kind.
    case object(String)
    /// A command verb (for `help VERB`).
    case verb
    /// A setting name (for `set`).
    case setting
    /// Free words (dot-command arguments, patterns).
    case word
}

/// One parameter of a command, as help shows it and the binder matches it.
public struct Parameter: Sendable {
    public enum Form: Sendable, Equatable {
        /// Matched by position.
        case positional
        /// Introduced by a word: `on DATA`, `as NAME`, `to FILE`. Also accepted as `word=value`.
        case keyword(String)
        /// `name=value`.
        case option
    }

    public var name: String
    public var form: Form
    public var type: ParameterType
    public var required: Bool
    /// Shown in help as the default ("" when none).
    public var defaultText: String
    public var summary: String
    /// Takes all remaining positional arguments.
    public var variadic: Bool

    public init(_ name: String, _ form: Form = .option, _ type: ParameterType = .value, required: Bool = false,
                default defaultText: String = "", variadic: Bool = false, _ summary: String) {
        self.name = name
        self.form = form
        self.type = type
        self.required = required
        self.defaultText = defaultText
        self.summary = summary
        self.variadic = variadic
    }

    /// `STRATEGY`, `on DATA`, `[from=TIME]`.
    public var synopsis: String {
        let meta = name.uppercased() + (variadic ? "..." : "")
        let core: String
        switch form {
        case .positional: core = meta
        case .keyword(let word): core = "\(word) \(meta)"
        case .option: core = "\(name)=\(typeHint)"
        }
        return required ? core : "[\(core)]"
    }

    var typeHint: String {
        switch type {
        case .choice(let words): words.joined(separator: "|").count <= 16 ? words.joined(separator: "|") : name.uppercased()
        case .number: "N"
        case .integer: "N"
        case .duration: "DURATION"
        case .time: "TIME"
        case .bool: "on|off"
        case .path: "FILE"
        default: name.uppercased()
        }
    }
}

/// One entry of the command table. The same entry drives dispatch, `help`, completion and
/// "did you mean", so they cannot drift apart.
public struct CommandSpec: Sendable {
    public typealias Handler = @Sendable (inout CommandContext) throws -> Value

    public var name: String
    public var aliases: [String]
    /// Grouping in `help`.
    public var category: String
    public var summary: String
    public var parameters: [Parameter]
    /// Runnable examples shown by `help VERB` (at least two per command).
    public var examples: [String]
    /// Longer explanation shown by `help VERB`.
    public var details: String
    /// Whether the command takes the previous pipe stage's result as input.
    public var takesInput: Bool
    /// Options not in `parameters` are passed to the handler (in order) instead of being
    /// rejected: `strategy mm = grid levels=5` validates them against the strategy kind.
    public var acceptsExtraOptions = false
    /// A `.`-command (talks to the shell); its arguments are plain words.
    public var isDotCommand: Bool
    public var handler: Handler

    public init(_ name: String, aliases: [String] = [], category: String, summary: String,
                parameters: [Parameter] = [], examples: [String], details: String = "",
                takesInput: Bool = false, acceptsExtraOptions: Bool = false, isDotCommand: Bool = false,
                handler: @escaping Handler) {
        self.acceptsExtraOptions = acceptsExtraOptions
        self.name = name
        self.aliases = aliases
        self.category = category
        self.summary = summary
        self.parameters = parameters
        self.examples = examples
        self.details = details
        self.takesInput = takesInput
        self.isDotCommand = isDotCommand
        self.handler = handler
    }

    public var synopsis: String {
        ([name] + parameters.map(\.synopsis)).joined(separator: " ")
    }

    /// The words that introduce keyword parameters (`on`, `as`, `to`).
    public var keywordWords: [String] {
        parameters.compactMap { if case .keyword(let w) = $0.form { w } else { nil } }
    }
}

/// The ordered set of commands. Lookup by name or alias; suggestions for unknown names.
public struct CommandRegistry: Sendable {
    public private(set) var commands: [CommandSpec] = []
    private var index: [String: Int] = [:]

    public init(_ commands: [CommandSpec] = []) {
        for c in commands { register(c) }
    }

    public mutating func register(_ spec: CommandSpec) {
        let key = spec.isDotCommand ? "." + spec.name : spec.name
        precondition(index[key] == nil, "duplicate command \(key)")
        index[key] = commands.count
        for alias in spec.aliases { index[spec.isDotCommand ? "." + alias : alias] = commands.count }
        commands.append(spec)
    }

    /// A verb (`backtest`) or dot-command (`.save`, given with its dot).
    public func lookup(_ name: String) -> CommandSpec? {
        index[name].map { commands[$0] }
    }

    /// Every name a user can type at the start of a statement.
    public var allNames: [String] {
        commands.flatMap { c in ([c.name] + c.aliases).map { c.isDotCommand ? "." + $0 : $0 } }
    }

    public var verbNames: [String] { allNames.filter { !$0.hasPrefix(".") } }
    public var dotNames: [String] { allNames.filter { $0.hasPrefix(".") } }

    /// Close matches for an unknown command, looser than for other names: a mistyped verb is
    /// usually short and far off.
    public func suggestions(for name: String) -> [String] {
        let pool = (name.hasPrefix(".") ? dotNames : verbNames).filter { $0.contains(where: \.isLetter) }
        let close = Suggest.names(for: name, among: pool)
        if !close.isEmpty { return close }
        let target = Array(name.lowercased().unicodeScalars)
        let limit = max(2, (target.count * 2) / 3)
        var scored: [(name: String, distance: Int)] = []
        for candidate in pool {
            let d = Suggest.distance(target, Array(candidate.lowercased().unicodeScalars))
            if d <= limit && d < target.count { scored.append((candidate, d)) }
        }
        scored.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.name < $1.name }
        return scored.prefix(3).map(\.name)
    }
}
