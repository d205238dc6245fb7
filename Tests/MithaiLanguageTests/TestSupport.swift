import MithaiLanguage

// Helpers shared by the language tests: compact, readable renderings of tokens and syntax
// trees so that expectations can be written as one string per case.

/// Tokens of `text` without the final end-of-input token.
func tokens(_ text: String) -> [Token] {
    Lexer(Source(text)).tokens.filter { $0.kind != .eof }
}

func kinds(_ text: String) -> [TokenKind] { tokens(text).map(\.kind) }

/// `kind(text)` for every token, space separated: `identifier(load) path(x.gz)`.
func tokenDump(_ text: String) -> String { tokens(text).map(\.description).joined(separator: " ") }

/// An S-expression for an expression, for shape assertions that ignore ranges.
func sexp(_ e: Expr) -> String {
    switch e {
    case .literal(let lit, _): return sexp(lit)
    case .name(let n, _): return n
    case .path(let p, _): return "path:\(p)"
    case .call(let name, _, let args, _):
        return "(call \(name)" + args.map { " " + sexp($0) }.joined() + ")"
    case .unary(let op, let operand, _): return "(\(op == .negate ? "neg" : "not") \(sexp(operand)))"
    case .binary(let op, let l, let r, _): return "(\(op.rawValue) \(sexp(l)) \(sexp(r)))"
    case .list(let items, _): return "(list" + items.map { " " + sexp($0) }.joined() + ")"
    case .range(let lo, let hi, let count, _):
        return "(range \(sexp(lo)) \(sexp(hi))" + (count.map { " " + sexp($0) } ?? "") + ")"
    case .member(let base, let name, _, _): return "(. \(sexp(base)) \(name))"
    case .subquery(let p, _): return "(sub \(sexp(p)))"
    }
}

func sexp(_ lit: Literal) -> String {
    switch lit {
    case .number(let n): return n.description
    case .duration(let ns): return "dur:\(ns)"
    case .time(let ns): return "time:\(ns)"
    case .date(let d): return "date:\(d)"
    case .timestamp(let d, let tod, let off): return "ts:\(d)+\(tod)" + (off.map { "@\($0)" } ?? "")
    case .basisPoints(let n): return "bp:\(n)"
    case .percent(let n): return "pct:\(n)"
    case .speed(let n): return "speed:\(n)"
    case .string(let s): return s.debugDescription
    case .bool(let b): return b ? "true" : "false"
    }
}

func sexp(_ a: Argument) -> String { (a.label.map { "\($0)=" } ?? "") + sexp(a.value) }

func sexp(_ c: Query.Column) -> String { (c.label.map { "\($0):" } ?? "") + sexp(c.expr) }

func sexp(_ s: Stage) -> String {
    switch s {
    case .command(let c): return "(cmd \(c.verb)" + c.arguments.map { " " + sexp($0) }.joined() + ")"
    case .query(let q):
        var out = "(select [" + q.columns.map(sexp).joined(separator: " ") + "]"
        if !q.by.isEmpty { out += " by [" + q.by.map(sexp).joined(separator: " ") + "]" }
        if let source = q.source { out += " from " + sexp(source) }
        if !q.conditions.isEmpty { out += " where [" + q.conditions.map(sexp).joined(separator: " ") + "]" }
        return out + ")"
    case .filter(let conditions, _): return "(where" + conditions.map { " " + sexp($0) }.joined() + ")"
    case .expression(let e): return sexp(e)
    }
}

func sexp(_ p: Pipeline) -> String { p.stages.map(sexp).joined(separator: " | ") }

func sexp(_ s: Statement) -> String {
    switch s {
    case .pipeline(let p): return sexp(p)
    case .assignment(let name, _, let value): return "(let \(name) \(sexp(value)))"
    case .dotCommand(let d): return "(.\(d.name)" + d.words.map { " [\($0.text)]" }.joined() + ")"
    }
}

/// Parses `text` and renders every statement, one per element.
func shapes(_ text: String) -> [String] { Parser.parse(Source(text)).statements.map(sexp) }
