/// What a token is. Literal kinds keep their text; the parser turns it into a value.
public enum TokenKind: String, Sendable, Equatable {
    case identifier, number, duration, basisPoints, percent, speed, time, date, timestamp
    case string, path, dotCommand
    case pipe = "|", semicolon = ";", comma = ",", colon = ":"
    case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
    case assign = "=", equalEqual = "==", notEqual = "!=", less = "<", lessEqual = "<="
    case greater = ">", greaterEqual = ">=", plus = "+", minus = "-", star = "*", slash = "/"
    case modulo = "%", dotDot = "..", dot = ".", at = "@", andAnd = "&&", orOr = "||", bang = "!"
    case newline, eof

    /// How the kind is named in messages ("expected ')'").
    public var spelling: String {
        switch self {
        case .identifier: "a name"
        case .number: "a number"
        case .duration: "a duration"
        case .basisPoints: "basis points"
        case .percent: "a percentage"
        case .speed: "a speed"
        case .time: "a time"
        case .date: "a date"
        case .timestamp: "a timestamp"
        case .string: "a string"
        case .path: "a path"
        case .dotCommand: "a dot-command"
        case .newline: "end of line"
        case .eof: "end of input"
        default: "'\(rawValue)'"
        }
    }
}

/// A token: a view of the source with its kind. `spaceBefore` tells whether white space
/// separated it from the previous token (it decides `f(x)` call versus `f (x)` argument, and
/// glues `stop-limit` or `nse:RELIANCE` into one word in argument position).
public struct Token: Sendable, Equatable, CustomStringConvertible {
    public var kind: TokenKind
    public var text: String
    public var range: SourceRange
    public var spaceBefore: Bool

    public init(_ kind: TokenKind, _ text: String, _ range: SourceRange, spaceBefore: Bool) {
        self.kind = kind
        self.text = text
        self.range = range
        self.spaceBefore = spaceBefore
    }

    public var description: String { "\(kind)(\(text))" }
}
