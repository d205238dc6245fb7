/// The syntax tree. Every node carries the source range it came from, so any later stage
/// (binding, evaluation) can point a caret at the exact text.

/// One statement: `verb args`, a query, an expression, `name = ...`, or a `.`-command.
public enum Statement: Sendable, Equatable {
    case pipeline(Pipeline)
    case assignment(name: String, nameRange: SourceRange, value: Pipeline)
    case dotCommand(DotCommand)

    public var range: SourceRange {
        switch self {
        case .pipeline(let p): p.range
        case .assignment(_, let r, let v): r.union(v.range)
        case .dotCommand(let d): d.range
        }
    }
}

/// `stage | stage | ...`: each stage receives the previous stage's result.
public struct Pipeline: Sendable, Equatable {
    public var stages: [Stage]
    public var range: SourceRange
    public init(stages: [Stage], range: SourceRange) { self.stages = stages; self.range = range }
}

public enum Stage: Sendable, Equatable {
    /// `verb arg arg key=value ...`. Positional words such as `on`, `as`, `at` are left for the
    /// command's signature to interpret.
    case command(Command)
    /// `select ... by ... from ... where ...`.
    case query(Query)
    /// `where cond, cond` as a pipe stage.
    case filter(conditions: [Expr], range: SourceRange)
    /// A bare expression: `trades(btc)`, `1 + 2`, `_`.
    case expression(Expr)

    public var range: SourceRange {
        switch self {
        case .command(let c): c.range
        case .query(let q): q.range
        case .filter(_, let r): r
        case .expression(let e): e.range
        }
    }
}

public struct Command: Sendable, Equatable {
    public var verb: String
    public var verbRange: SourceRange
    public var arguments: [Argument]
    public var range: SourceRange
    public init(verb: String, verbRange: SourceRange, arguments: [Argument], range: SourceRange) {
        self.verb = verb; self.verbRange = verbRange; self.arguments = arguments; self.range = range
    }
}

/// `value` or `label=value`.
public struct Argument: Sendable, Equatable {
    public var label: String?
    public var labelRange: SourceRange?
    public var value: Expr
    public var range: SourceRange
    public init(label: String? = nil, labelRange: SourceRange? = nil, value: Expr, range: SourceRange) {
        self.label = label; self.labelRange = labelRange; self.value = value; self.range = range
    }
}

/// `select COLS [by KEYS] from SOURCE [where CONDS]`.
public struct Query: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        /// `name:` given before the expression, if any.
        public var label: String?
        public var expr: Expr
        public var range: SourceRange
        public init(label: String?, expr: Expr, range: SourceRange) { self.label = label; self.expr = expr; self.range = range }
    }
    public var columns: [Column]
    public var by: [Column]
    /// Nil when the query is a pipe stage that takes the previous result.
    public var source: Expr?
    public var conditions: [Expr]
    public var range: SourceRange
}

/// `.name words...`: talks to the shell, not the engine. Words are split on white space
/// (quotes group) and keep their ranges.
public struct DotCommand: Sendable, Equatable {
    public var name: String
    public var nameRange: SourceRange
    public var words: [(text: String, range: SourceRange)]
    public var range: SourceRange

    public static func == (a: DotCommand, b: DotCommand) -> Bool {
        a.name == b.name && a.range == b.range && a.words.map(\.text) == b.words.map(\.text)
    }
}

public enum UnaryOperator: String, Sendable { case negate = "-", not = "not" }

public enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case equal = "=", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and = "and", or = "or", `in` = "in"
}

public indirect enum Expr: Sendable, Equatable {
    case literal(Literal, SourceRange)
    /// A name: variable, dataset, run, column, or a bare word such as `desc` or `stop-limit`.
    case name(String, SourceRange)
    case path(String, SourceRange)
    /// `f(a, b, k=v)`.
    case call(name: String, nameRange: SourceRange, arguments: [Argument], range: SourceRange)
    case unary(UnaryOperator, Expr, SourceRange)
    case binary(BinaryOperator, Expr, Expr, SourceRange)
    /// `a, b, c` in argument position, or `[a, b, c]`.
    case list([Expr], SourceRange)
    /// `a..b` or `a..b/n` (n points from a to b).
    case range(lower: Expr, upper: Expr, count: Expr?, SourceRange)
    /// `x.field`.
    case member(Expr, name: String, nameRange: SourceRange, SourceRange)
    /// `(pipeline)`: a command or query used as a value.
    case subquery(Pipeline, SourceRange)

    public var range: SourceRange {
        switch self {
        case .literal(_, let r), .name(_, let r), .path(_, let r), .unary(_, _, let r),
             .binary(_, _, _, let r), .list(_, let r), .subquery(_, let r): r
        case .call(_, _, _, let r), .range(_, _, _, let r), .member(_, _, _, let r): r
        }
    }

    /// The bare word, when the expression is just a name.
    public var word: String? {
        if case .name(let n, _) = self { return n }
        return nil
    }
}
