public import MithaiLanguage

/// What a command handler works with: its bound arguments, the piped input, a copy of the
/// workspace it may change (kept only if the handler returns normally) and the session's
/// services.
public struct CommandContext {
    public let spec: CommandSpec
    public let arguments: BoundArguments
    /// The previous pipe stage's result, if any.
    public let input: Value?
    public var workspace: Workspace
    public let session: Session
    public let verbRange: SourceRange
    /// Words of a dot-command, in order.
    public let words: [(text: String, range: SourceRange)]
    /// The dataset `on X` stands for when X is not a dataset but was turned into one by the
    /// handler (an execution algorithm `on MARKET` trades a span of the market's flow).
    var datasetOverride: DatasetObject? = nil

    public var commandRange: SourceRange { arguments.commandRange }

    public func has(_ name: String) -> Bool { arguments.has(name) }

    public func range(_ name: String) -> SourceRange { arguments.ranges[name] ?? commandRange }

    public func exprs(_ name: String) -> [Expr] { arguments.values[name] ?? [] }

    /// The evaluated value of a parameter, or nil when it was not given.
    public mutating func value(_ name: String) throws(WorkbenchError) -> Value? {
        guard let e = arguments.values[name]?.first else { return nil }
        return try session.evaluate(e, in: &workspace)
    }

    /// A bare word, name or string (not evaluated): `as goog`, `sort sharpe desc`.
    public func word(_ name: String) throws(WorkbenchError) -> String? {
        guard let e = arguments.values[name]?.first else { return nil }
        return try CommandContext.word(of: e)
    }

    public static func word(of e: Expr) throws(WorkbenchError) -> String {
        switch e {
        case .name(let n, _): return n
        case .literal(.string(let s), _): return s
        case .literal(.number(let n), _): return n.description
        default: throw .at(e.range, "expected a name here")
        }
    }

    /// A file path: a path token, a quoted string or a bare word, taken as written.
    public func path(_ name: String) throws(WorkbenchError) -> String? {
        guard let e = arguments.values[name]?.first else { return nil }
        switch e {
        case .path(let p, _), .name(let p, _): return p
        case .literal(.string(let s), _): return s
        default:
            // `Datasets/x.gz` without an extension the lexer knows parses as arithmetic; take the text.
            return session.currentSource?.slice(e.range)
        }
    }

    /// One of the parameter's choices, with did-you-mean when it is not one of them.
    public func choice(_ name: String) throws(WorkbenchError) -> String? {
        guard let w = try word(name) else { return nil }
        guard let p = spec.parameters.first(where: { $0.name == name }), case .choice(let options) = p.type else { return w }
        guard options.contains(w) else {
            throw .at(range(name), "'\(w)' is not a valid \(name)",
                      suggestions: Suggest.names(for: w, among: options), notes: ["choices: " + options.joined(separator: " ")])
        }
        return w
    }

    public mutating func integer(_ name: String) throws(WorkbenchError) -> Int? {
        guard let v = try value(name) else { return nil }
        guard case .number(let n) = v, let i = n.integer else {
            throw .at(range(name), "\(name) must be a whole number, got \(v.kindName)")
        }
        return Int(i)
    }

    public mutating func bool(_ name: String) throws(WorkbenchError) -> Bool? {
        if let w = try? word(name) {
            switch w.lowercased() {
            case "on", "true", "yes", "1": return true
            case "off", "false", "no", "0": return false
            default: break
            }
        }
        guard let v = try value(name) else { return nil }
        guard case .bool(let b) = v else { throw .at(range(name), "\(name) must be on or off, got \(v.kindName)") }
        return b
    }

    /// Positional words of a dot-command from index `i` on, joined by spaces.
    public func rest(from i: Int) -> String? {
        guard i < words.count else { return nil }
        return words[i...].map(\.text).joined(separator: " ")
    }
}
