/// The result of parsing a piece of text.
public struct ParseResult: Sendable {
    /// Statements in order, each with the line-independent range it covers.
    public var statements: [Statement]
    /// Every problem found (the parser resynchronises at `;` or end of line, so one pass
    /// reports all of them).
    public var diagnostics: [Diagnostic]
    /// The text ended inside a construct (open bracket, trailing `|`, `,`, operator or `\`,
    /// open string): an interactive reader should ask for another line.
    public var isIncomplete: Bool
    public var hasErrors: Bool { !diagnostics.isEmpty }
}

/// Recursive-descent parser for the Mithai command language (see docs/LANGUAGE.md).
/// Pure: no evaluation, no knowledge of the command set; a word that starts a stage is a
/// command verb unless it is followed by `(` (call), an operator, or `=`.
public struct Parser {
    /// Words with a fixed meaning inside queries and expressions.
    public static let keywords: Set<String> = ["select", "by", "from", "where", "and", "or", "not", "in"]

    private var tokens: [Token]
    private var pos = 0
    private var diagnostics: [Diagnostic] = []
    private let source: Source

    public static func parse(_ source: Source) -> ParseResult {
        let lexer = Lexer(source)
        var incomplete = lexer.isIncomplete
        let (filtered, openAtEnd) = Parser.joinContinuations(lexer.tokens)
        incomplete = incomplete || openAtEnd
        if incomplete {
            return ParseResult(statements: [], diagnostics: lexer.diagnostics.filter { $0.message != "unterminated string" }, isIncomplete: true)
        }
        var parser = Parser(tokens: filtered, source: source)
        parser.diagnostics = lexer.diagnostics
        let statements = parser.parseProgram()
        return ParseResult(statements: statements, diagnostics: parser.diagnostics, isIncomplete: false)
    }

    private init(tokens: [Token], source: Source) {
        self.tokens = tokens
        self.source = source
    }

    /// Drops newlines inside brackets and after a token that cannot end a statement, so such
    /// statements continue on the next line. Also reports whether the text ends open.
    static func joinContinuations(_ tokens: [Token]) -> ([Token], Bool) {
        var out: [Token] = []
        out.reserveCapacity(tokens.count)
        var depth = 0
        for token in tokens {
            switch token.kind {
            case .leftParen, .leftBracket: depth += 1
            case .rightParen, .rightBracket: depth = max(0, depth - 1)
            case .newline:
                if depth > 0 { continue }
                if let last = out.last, continues(last) { continue }
            default: break
            }
            out.append(token)
        }
        var lastSignificant: Token?
        for token in out.reversed() where token.kind != .eof && token.kind != .newline {
            lastSignificant = token
            break
        }
        let open = depth > 0 || (lastSignificant.map(continues) ?? false)
        return (out, open)
    }

    private static func continues(_ token: Token) -> Bool {
        switch token.kind {
        case .pipe, .comma, .assign, .plus, .minus, .star, .slash, .equalEqual, .notEqual, .less,
             .lessEqual, .greater, .greaterEqual, .dotDot, .andAnd, .orOr:
            return true
        case .identifier:
            return token.text == "and" || token.text == "or"
        default:
            return false
        }
    }

    // MARK: - Token access

    private var current: Token { tokens[pos] }
    private func peek(_ k: Int = 1) -> Token { tokens[min(pos + k, tokens.count - 1)] }
    private mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }
    private func at(_ kind: TokenKind) -> Bool { current.kind == kind }
    private func atWord(_ word: String) -> Bool { current.kind == .identifier && current.text == word }
    private var atStatementEnd: Bool {
        switch current.kind {
        case .semicolon, .newline, .eof: true
        default: false
        }
    }

    private struct ParseFailure: Error {}

    private mutating func fail(_ message: String, at range: SourceRange? = nil, notes: [String] = []) -> ParseFailure {
        diagnostics.append(Diagnostic(message, at: range ?? current.range, notes: notes))
        return ParseFailure()
    }

    private mutating func expect(_ kind: TokenKind, _ context: String) throws -> Token {
        guard at(kind) else { throw fail("expected \(kind.spelling) \(context), found \(describe(current))") }
        return advance()
    }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: "end of input"
        case .newline: "end of line"
        default: "'\(t.text)'"
        }
    }

    // MARK: - Statements

    mutating func parseProgram() -> [Statement] {
        var statements: [Statement] = []
        while !at(.eof) {
            if at(.semicolon) || at(.newline) { _ = advance(); continue }
            do {
                let statement = try parseStatement()
                guard atStatementEnd else {
                    throw fail("unexpected \(describe(current)) after the end of the statement")
                }
                statements.append(statement)
            } catch {
                // Resynchronise at the next statement boundary.
                while !atStatementEnd { _ = advance() }
            }
        }
        return statements
    }

    private mutating func parseStatement() throws -> Statement {
        if at(.dotCommand) && (pos == 0 || [.semicolon, .newline].contains(tokens[pos - 1].kind)) {
            return .dotCommand(parseDotCommand())
        }
        if at(.identifier), peek().kind == .assign, !Parser.keywords.contains(current.text) {
            let name = advance()
            _ = advance()
            if atStatementEnd { throw fail("expected a value after '\(name.text) ='") }
            let value = try parsePipeline()
            return .assignment(name: name.text, nameRange: name.range, value: value)
        }
        return .pipeline(try parsePipeline())
    }

    /// Dot-commands take the rest of the line as white-space separated words; quotes group.
    private mutating func parseDotCommand() -> DotCommand {
        let nameToken = advance()
        let bytes = source.bytes
        // The lexer skipped the words: they run to the next token (`;`, end of line or input).
        var end = current.range.lower
        while end > nameToken.range.upper && (bytes[end - 1] == 32 || bytes[end - 1] == 9 || bytes[end - 1] == 13) { end -= 1 }
        var words: [(String, SourceRange)] = []
        var i = nameToken.range.upper
        while i < end {
            while i < end && (bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 13) { i += 1 }
            guard i < end else { break }
            if bytes[i] == UInt8(ascii: "#") { break }
            let start = i
            if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                let q = bytes[i]
                i += 1
                while i < end && bytes[i] != q { i += 1 }
                let text = String(decoding: bytes[(start + 1)..<min(i, end)], as: UTF8.self)
                if i < end { i += 1 }
                words.append((text, SourceRange(start, i)))
            } else {
                while i < end && bytes[i] != 32 && bytes[i] != 9 && bytes[i] != 13 { i += 1 }
                words.append((String(decoding: bytes[start..<i], as: UTF8.self), SourceRange(start, i)))
            }
        }
        let range = SourceRange(nameToken.range.lower, words.last?.1.upper ?? nameToken.range.upper)
        return DotCommand(name: String(nameToken.text.dropFirst()), nameRange: nameToken.range,
                          words: words.map { (text: $0.0, range: $0.1) }, range: range)
    }

    private mutating func parsePipeline() throws -> Pipeline {
        var stages = [try parseStage()]
        while at(.pipe) {
            _ = advance()
            if atStatementEnd || at(.rightParen) { throw fail("expected a command after '|'") }
            stages.append(try parseStage())
        }
        return Pipeline(stages: stages, range: stages.first!.range.union(stages.last!.range))
    }

    private mutating func parseStage() throws -> Stage {
        if atWord("select") { return .query(try parseQuery()) }
        if atWord("where") {
            let start = advance().range
            let conditions = try parseConditionList()
            return .filter(conditions: conditions, range: start.union(conditions.last?.range ?? start))
        }
        if at(.identifier) && !Parser.keywords.contains(current.text) && current.text != "true"
            && current.text != "false" && isCommandStart() {
            return .command(try parseCommand())
        }
        return .expression(try parseExpression(mode: .query))
    }

    /// A word starts a command unless it is a call `f(`, a member `x.y`, or an operand.
    private func isCommandStart() -> Bool {
        let next = peek()
        if next.spaceBefore == false && (next.kind == .leftParen || next.kind == .dot) { return false }
        switch next.kind {
        case .plus, .star, .slash, .modulo, .equalEqual, .notEqual, .less, .lessEqual, .greater,
             .greaterEqual, .dotDot, .andAnd, .orOr, .assign:
            // `side = "buy"` inside brackets compares (assignments are handled per statement).
            return false
        case .minus:
            // `x - 1` is arithmetic; `cancel -1` would be an argument.
            return !(next.spaceBefore && peek(2).spaceBefore)
        default:
            return true
        }
    }

    private mutating func parseCommand() throws -> Command {
        let verb = advance()
        var arguments: [Argument] = []
        while !atStatementEnd && !at(.pipe) && !at(.rightParen) {
            arguments.append(try parseArgument(allowAt: true))
        }
        let range = verb.range.union(arguments.last?.range ?? verb.range)
        return Command(verb: verb.text, verbRange: verb.range, arguments: arguments, range: range)
    }

    /// `value[, value...]` or `label=value[, value...]`.
    private mutating func parseArgument(allowAt: Bool) throws -> Argument {
        if allowAt && at(.at) {
            let t = advance()
            return Argument(value: .name("@", t.range), range: t.range)
        }
        if at(.identifier), peek().kind == .assign {
            let label = advance()
            _ = advance()
            if atStatementEnd || at(.pipe) || at(.rightParen) || at(.comma) {
                throw fail("expected a value after '\(label.text)='")
            }
            let value = try parseArgumentValue()
            return Argument(label: label.text, labelRange: label.range, value: value, range: label.range.union(value.range))
        }
        let value = try parseArgumentValue()
        return Argument(value: value, range: value.range)
    }

    private mutating func parseArgumentValue() throws -> Expr {
        let first = try parseExpression(mode: .argument)
        guard at(.comma) else { return first }
        var items = [first]
        while at(.comma) {
            _ = advance()
            items.append(try parseExpression(mode: .argument))
        }
        return .list(items, first.range.union(items.last!.range))
    }

    // MARK: - Queries

    private mutating func parseQuery() throws -> Query {
        let start = advance().range
        var columns: [Query.Column] = []
        if !atWord("by") && !atWord("from") && !atStatementEnd && !at(.pipe) {
            columns = try parseColumnList()
        }
        var by: [Query.Column] = []
        if atWord("by") {
            _ = advance()
            by = try parseColumnList()
        }
        var sourceExpr: Expr?
        if atWord("from") {
            _ = advance()
            if atStatementEnd || at(.pipe) { throw fail("expected a table after 'from'") }
            sourceExpr = try parsePostfix(mode: .query)
        }
        var conditions: [Expr] = []
        if atWord("where") {
            _ = advance()
            conditions = try parseConditionList()
        }
        if !atStatementEnd && !at(.pipe) && !at(.rightParen) {
            if at(.identifier) && !Parser.keywords.contains(current.text) {
                let suggestions = Suggest.names(for: current.text, among: ["by", "from", "where"])
                diagnostics.append(Diagnostic("unexpected '\(current.text)' in a query", at: current.range,
                                              suggestions: suggestions,
                                              notes: ["a query is: select COLUMNS [by KEYS] from TABLE [where CONDITIONS]"]))
                throw ParseFailure()
            }
            throw fail("unexpected \(describe(current)) in a query",
                       notes: ["a query is: select COLUMNS [by KEYS] from TABLE [where CONDITIONS]"])
        }
        let end = conditions.last?.range ?? sourceExpr?.range ?? by.last?.range ?? columns.last?.range ?? start
        return Query(columns: columns, by: by, source: sourceExpr, conditions: conditions, range: start.union(end))
    }

    private mutating func parseColumnList() throws -> [Query.Column] {
        var columns = [try parseColumn()]
        while at(.comma) {
            _ = advance()
            columns.append(try parseColumn())
        }
        return columns
    }

    /// `[name:] expr`, where `f x` (a word then an operand) applies f to x, q-style.
    private mutating func parseColumn() throws -> Query.Column {
        var label: String?
        var start = current.range
        if at(.identifier), peek().kind == .colon, !Parser.keywords.contains(current.text) {
            label = advance().text
            _ = advance()
            start = start.union(current.range)
        }
        if atWord("by") || atWord("from") || atWord("where") || atStatementEnd {
            throw fail("expected a column expression")
        }
        let expr = try parseExpression(mode: .query)
        return Query.Column(label: label, expr: expr, range: start.union(expr.range))
    }

    private mutating func parseConditionList() throws -> [Expr] {
        if atStatementEnd || at(.pipe) { throw fail("expected a condition") }
        var conditions = [try parseExpression(mode: .query)]
        while at(.comma) {
            _ = advance()
            conditions.append(try parseExpression(mode: .query))
        }
        return conditions
    }

    // MARK: - Expressions

    enum Mode {
        /// Command arguments: juxtaposed words are separate arguments; `a-b` and `a:b` glue.
        case argument
        /// Queries and bare expressions: `=` compares, `f x` applies f.
        case query
    }

    mutating func parseExpression(mode: Mode) throws -> Expr {
        try parseOr(mode)
    }

    private mutating func parseOr(_ mode: Mode) throws -> Expr {
        var left = try parseAnd(mode)
        while atWord("or") || at(.orOr) {
            _ = advance()
            let right = try parseAnd(mode)
            left = .binary(.or, left, right, left.range.union(right.range))
        }
        return left
    }

    private mutating func parseAnd(_ mode: Mode) throws -> Expr {
        var left = try parseNot(mode)
        while atWord("and") || at(.andAnd) {
            _ = advance()
            let right = try parseNot(mode)
            left = .binary(.and, left, right, left.range.union(right.range))
        }
        return left
    }

    private mutating func parseNot(_ mode: Mode) throws -> Expr {
        if atWord("not") || at(.bang) {
            let start = advance().range
            let operand = try parseNot(mode)
            return .unary(.not, operand, start.union(operand.range))
        }
        return try parseComparison(mode)
    }

    private mutating func parseComparison(_ mode: Mode) throws -> Expr {
        let left = try parseRange(mode)
        let op: BinaryOperator?
        switch current.kind {
        case .assign: op = mode == .query ? .equal : nil
        case .equalEqual: op = .equal
        case .notEqual: op = .notEqual
        case .less: op = .less
        case .lessEqual: op = .lessEqual
        case .greater: op = .greater
        case .greaterEqual: op = .greaterEqual
        case .identifier: op = current.text == "in" ? .in : nil
        default: op = nil
        }
        guard let op else { return left }
        _ = advance()
        let right = op == .in ? try parseInList(mode) : try parseRange(mode)
        return .binary(op, left, right, left.range.union(right.range))
    }

    /// `x in (a, b, c)`, `x in [a, b]`, or `x in LIST-VALUE`.
    private mutating func parseInList(_ mode: Mode) throws -> Expr {
        guard at(.leftParen) else { return try parseRange(mode) }
        let open = advance()
        var items = [try parseExpression(mode: .query)]
        while at(.comma) {
            _ = advance()
            items.append(try parseExpression(mode: .query))
        }
        let close = try expect(.rightParen, "to close the list after 'in'")
        return .list(items, open.range.union(close.range))
    }

    private mutating func parseRange(_ mode: Mode) throws -> Expr {
        let lower = try parseAdditive(mode)
        guard at(.dotDot) else { return lower }
        _ = advance()
        let upper = try parseUnary(mode)
        var count: Expr?
        if at(.slash) {
            _ = advance()
            count = try parseUnary(mode)
        }
        return .range(lower: lower, upper: upper, count: count, lower.range.union(count?.range ?? upper.range))
    }

    private mutating func parseAdditive(_ mode: Mode) throws -> Expr {
        var left = try parseMultiplicative(mode)
        while at(.plus) || at(.minus) {
            // In arguments, `x -1` (space before, none after) starts a new argument.
            if mode == .argument && current.spaceBefore && !peek().spaceBefore && at(.minus) { break }
            let op: BinaryOperator = advance().kind == .plus ? .add : .subtract
            let right = try parseMultiplicative(mode)
            left = .binary(op, left, right, left.range.union(right.range))
        }
        return left
    }

    private mutating func parseMultiplicative(_ mode: Mode) throws -> Expr {
        var left = try parseUnary(mode)
        while at(.star) || at(.slash) || at(.modulo) {
            let kind = advance().kind
            let op: BinaryOperator = kind == .star ? .multiply : kind == .slash ? .divide : .modulo
            let right = try parseUnary(mode)
            left = .binary(op, left, right, left.range.union(right.range))
        }
        return left
    }

    private mutating func parseUnary(_ mode: Mode) throws -> Expr {
        if at(.minus) {
            let start = advance().range
            let operand = try parseUnary(mode)
            if case .literal(.number(let n), let r) = operand, let m = n.mantissa, start.upper == r.lower {
                return .literal(.number(DecimalLiteral(mantissa: -m, scale: n.scale)), start.union(r))
            }
            return .unary(.negate, operand, start.union(operand.range))
        }
        return try parsePostfix(mode: mode)
    }

    private mutating func parsePostfix(mode: Mode) throws -> Expr {
        var expr = try parsePrimary(mode)
        while at(.dot), !current.spaceBefore, peek().kind == .identifier, !peek().spaceBefore {
            _ = advance()
            let name = advance()
            expr = .member(expr, name: name.text, nameRange: name.range, expr.range.union(name.range))
        }
        return expr
    }

    private func startsOperand(_ t: Token) -> Bool {
        switch t.kind {
        case .identifier: !Parser.keywords.contains(t.text) && t.text != "asc" && t.text != "desc"
        case .number, .duration, .basisPoints, .percent, .speed, .time, .date, .timestamp, .string, .path, .leftParen, .leftBracket:
            true
        default: false
        }
    }

    private mutating func parsePrimary(_ mode: Mode) throws -> Expr {
        let t = current
        switch t.kind {
        case .number:
            _ = advance()
            guard let n = DecimalLiteral(parsing: t.text) else { throw fail("malformed number '\(t.text)'", at: t.range) }
            return .literal(.number(n), t.range)
        case .duration:
            _ = advance()
            guard let ns = LiteralParser.duration(t.text) else {
                throw fail("'\(t.text)' is not a whole number of nanoseconds", at: t.range)
            }
            return .literal(.duration(ns), t.range)
        case .basisPoints, .percent, .speed:
            _ = advance()
            let digits = t.text.prefix { $0.isNumber || $0 == "." || $0 == "_" || $0 == "e" || $0 == "E" || $0 == "-" }
            guard let n = DecimalLiteral(parsing: digits) else { throw fail("malformed number '\(t.text)'", at: t.range) }
            let lit: Literal = t.kind == .basisPoints ? .basisPoints(n) : t.kind == .percent ? .percent(n) : .speed(n)
            return .literal(lit, t.range)
        case .time:
            _ = advance()
            guard let ns = LiteralParser.timeOfDay(t.text) else {
                throw fail("'\(t.text)' is not a valid time of day (HH:MM[:SS[.fff]])", at: t.range)
            }
            return .literal(.time(ns), t.range)
        case .date:
            _ = advance()
            guard let d = LiteralParser.date(t.text) else { throw fail("'\(t.text)' is not a valid date", at: t.range) }
            return .literal(.date(d), t.range)
        case .timestamp:
            _ = advance()
            guard let (d, tod, offset) = LiteralParser.timestamp(t.text) else {
                throw fail("'\(t.text)' is not a valid timestamp (YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM])", at: t.range)
            }
            return .literal(.timestamp(d, timeOfDay: tod, utcOffsetSeconds: offset), t.range)
        case .string:
            _ = advance()
            return .literal(.string(Parser.unquote(t.text)), t.range)
        case .path:
            _ = advance()
            return .path(t.text, t.range)
        case .dotCommand:
            // A dot-command named as an argument (`help .save`).
            _ = advance()
            return .name(t.text, t.range)
        case .leftParen:
            let open = advance()
            if at(.rightParen) { throw fail("expected an expression or a command inside '( )'") }
            let inner = try parsePipeline()
            let close = try expect(.rightParen, "to close the '(' opened here at column \(column(of: open.range))")
            if inner.stages.count == 1, case .expression(let e) = inner.stages[0] { return e }
            return .subquery(inner, open.range.union(close.range))
        case .leftBracket:
            let open = advance()
            var items: [Expr] = []
            while !at(.rightBracket) {
                items.append(try parseExpression(mode: .query))
                if !at(.comma) { break }
                _ = advance()
            }
            let close = try expect(.rightBracket, "to close the list")
            return .list(items, open.range.union(close.range))
        case .identifier:
            _ = advance()
            if t.text == "true" || t.text == "false" { return .literal(.bool(t.text == "true"), t.range) }
            if at(.leftParen) && !current.spaceBefore { return try parseCall(t) }
            if mode == .argument {
                return .name(glueWord(t), t.range.union(tokens[pos - 1].range))
            }
            // q-style application inside queries: `sum qty`, `last px`.
            if mode == .query, startsOperand(current), current.spaceBefore, !Parser.keywords.contains(t.text) {
                let operand = try parseAdditive(mode)
                return .call(name: t.text, nameRange: t.range,
                             arguments: [Argument(value: operand, range: operand.range)], range: t.range.union(operand.range))
            }
            return .name(t.text, t.range)
        case .eof, .newline:
            throw fail("unexpected end of input: expected a value")
        default:
            throw fail("expected a value, found \(describe(t))")
        }
    }

    /// In argument position, `stop-limit`, `nse:RELIANCE` and `nse:NIFTY-FUT` are single words.
    private mutating func glueWord(_ first: Token) -> String {
        var text = first.text
        while (at(.minus) || at(.colon)) && !current.spaceBefore,
              peek().kind == .identifier || peek().kind == .number, !peek().spaceBefore {
            text += advance().text
            text += advance().text
        }
        return text
    }

    private mutating func parseCall(_ name: Token) throws -> Expr {
        let open = advance()
        var arguments: [Argument] = []
        while !at(.rightParen) {
            if at(.eof) { break }
            if at(.identifier), peek().kind == .assign {
                let label = advance()
                _ = advance()
                let value = try parseExpression(mode: .query)
                arguments.append(Argument(label: label.text, labelRange: label.range, value: value, range: label.range.union(value.range)))
            } else {
                let value = try parseExpression(mode: .query)
                arguments.append(Argument(value: value, range: value.range))
            }
            if !at(.comma) { break }
            _ = advance()
        }
        let close = try expect(.rightParen, "to close the call of '\(name.text)' opened at column \(column(of: open.range))")
        return .call(name: name.text, nameRange: name.range, arguments: arguments, range: name.range.union(close.range))
    }

    private func column(of range: SourceRange) -> Int {
        let (_, start, _) = source.line(containing: range.lower)
        return range.lower - start + 1
    }

    static func unquote(_ text: String) -> String {
        guard text.count >= 2 else { return text }
        let inner = text.dropFirst().dropLast()
        var out = ""
        var escaped = false
        for ch in inner {
            if escaped {
                switch ch {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(ch)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
