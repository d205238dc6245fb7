import Foundation
public import MithaiLanguage

/// Arguments of one command invocation, matched to the command's parameters.
public struct BoundArguments: Sendable {
    /// Parameter name -> the argument expressions given for it (several for variadic ones).
    public var values: [String: [Expr]] = [:]
    /// Where each parameter's text is, for carets.
    public var ranges: [String: SourceRange] = [:]
    public var commandRange: SourceRange
    /// `label=value` options the command does not declare, in order (only for commands that
    /// accept extra options).
    public var extra: [(label: String, labelRange: SourceRange, value: Expr)] = []

    public func has(_ name: String) -> Bool { values[name] != nil }
}

/// Matches a parsed command's arguments to a `CommandSpec`: positional arguments fill
/// positional parameters in order, a keyword word (`on`, `as`, `to`) takes the next argument,
/// and `name=value` sets an option. Reports unknown options with did-you-mean and missing
/// required parameters with the synopsis.
public enum Binder {
    public static func bind(_ command: Command, to spec: CommandSpec) throws(WorkbenchError) -> BoundArguments {
        var bound = BoundArguments(commandRange: command.range)
        let positional = spec.parameters.filter { $0.form == .positional }
        var nextPositional = 0
        var args = command.arguments[...]
        func assign(_ p: Parameter, _ e: Expr, _ r: SourceRange) throws(WorkbenchError) {
            if bound.values[p.name] != nil && !p.variadic {
                throw .at(r, "'\(p.name)' is given twice", notes: ["usage: \(spec.synopsis)"])
            }
            bound.values[p.name, default: []].append(e)
            bound.ranges[p.name] = bound.ranges[p.name].map { $0.union(r) } ?? r
        }
        while let arg = args.popFirst() {
            if let label = arg.label {
                let match = spec.parameters.first { p in
                    p.name == label || { if case .keyword(let w) = p.form { w == label } else { false } }()
                }
                if match == nil && spec.acceptsExtraOptions {
                    bound.extra.append((label, arg.labelRange ?? arg.range, arg.value))
                    continue
                }
                guard let p = match else {
                    let options = spec.parameters.filter { $0.form != .positional }.map(\.name)
                    throw .at(arg.labelRange ?? arg.range, "'\(spec.name)' has no parameter '\(label)'",
                              suggestions: Suggest.names(for: label, among: options),
                              notes: options.isEmpty ? ["usage: \(spec.synopsis)"] : ["parameters: " + options.joined(separator: " ")])
                }
                try assign(p, arg.value, arg.range)
                continue
            }
            if let word = arg.value.word, let p = spec.parameters.first(where: { $0.form == .keyword(word) }) {
                guard let next = args.first, next.label == nil else {
                    throw .at(arg.range, "expected \(p.name.uppercased()) after '\(word)'", notes: ["usage: \(spec.synopsis)"])
                }
                args = args.dropFirst()
                try assign(p, next.value, arg.range.union(next.range))
                continue
            }
            if nextPositional < positional.count {
                let p = positional[nextPositional]
                try assign(p, arg.value, arg.range)
                if !p.variadic { nextPositional += 1 }
                continue
            }
            let keywords = spec.keywordWords
            var notes = ["usage: \(spec.synopsis)"]
            if let w = arg.value.word, !keywords.isEmpty, let s = Suggest.names(for: w, among: keywords).first {
                notes.insert("did you mean '\(s)'?", at: 0)
            }
            throw .at(arg.range, "unexpected argument '\(textOf(arg.value))' to '\(spec.name)'", notes: notes)
        }
        for p in spec.parameters where p.required && bound.values[p.name] == nil {
            let end = SourceRange(command.range.upper, command.range.upper + 1)
            throw .at(end, "'\(spec.name)' needs \(p.synopsis.trimmingCharacters(in: ["[", "]"]))",
                      notes: ["usage: \(spec.synopsis)"] + spec.examples.prefix(1).map { "example: \($0)" })
        }
        return bound
    }

    /// A short rendering of an expression for messages.
    static func textOf(_ e: Expr) -> String {
        switch e {
        case .name(let n, _), .path(let n, _): n
        case .literal(.number(let n), _): n.description
        case .literal(.string(let s), _): "\"\(s)\""
        case .literal: "value"
        default: "…"
        }
    }
}
