import Testing
import MithaiLanguage

@Suite("Lexer")
struct LexerTests {

    // MARK: - Literals

    @Test("every market literal is one token of its kind", arguments: [
        ("09:30", TokenKind.time),
        ("9:30", .time),
        ("23:59:59", .time),
        ("10:31:05.250", .time),
        ("10:31:05.123456789", .time),
        ("2024-08-08", .date),
        ("2024-08-08T09:30", .timestamp),
        ("2024-08-08T09:30:00", .timestamp),
        ("2024-08-08T09:30:00.5", .timestamp),
        ("2024-08-08T09:30:00Z", .timestamp),
        ("2024-08-08T09:30:00.250Z", .timestamp),
        ("2024-08-08T09:30:00+05:30", .timestamp),
        ("2024-08-08T09:30:00-04:00", .timestamp),
        ("3ns", .duration),
        ("250us", .duration),
        ("250µs", .duration),
        ("5ms", .duration),
        ("1s", .duration),
        ("1.5s", .duration),
        ("1m", .duration),
        ("2min", .duration),
        ("1h", .duration),
        ("1d", .duration),
        ("0", .number),
        ("42", .number),
        ("1_000_000", .number),
        ("0.5", .number),
        ("1e-3", .number),
        ("2.5E+3", .number),
        ("2.5bp", .basisPoints),
        ("3bps", .basisPoints),
        ("2%", .percent),
        ("0.25%", .percent),
        ("10x", .speed),
        ("0.5x", .speed),
        ("\"hello\"", .string),
        ("'single'", .string),
        (#""say \"hi\"""#, .string),
        (#""tab\tnew\nline\\""#, .string),
        (#""it's""#, .string),
        (#"'say "hi"'"#, .string),
        ("\"a # not a comment\"", .string),
        ("\"\"", .string),
        ("127.0.0.1", .identifier),
        ("0.0.0.0", .identifier),
        ("192.168.1.20", .identifier),
    ])
    func literal(text: String, kind: TokenKind) throws {
        let lexer = Lexer(Source(text))
        #expect(lexer.diagnostics.isEmpty, "\(lexer.diagnostics)")
        #expect(!lexer.isIncomplete)
        let toks = lexer.tokens.filter { $0.kind != .eof }
        try #require(toks.count == 1, "\(text) -> \(toks)")
        #expect(toks[0].kind == kind)
        #expect(toks[0].text == text)
        #expect(toks[0].range == SourceRange(0, text.utf8.count))
    }

    @Test("literals inside a line keep their boundaries")
    func literalsInALine() {
        #expect(tokenDump("book btc at 09:30:00.5 depth 10") ==
                "identifier(book) identifier(btc) identifier(at) time(09:30:00.5) identifier(depth) number(10)")
        #expect(tokenDump("latency=feed+5ms") == "identifier(latency) assign(=) identifier(feed) plus(+) duration(5ms)")
        #expect(tokenDump("fee=-0.5bp,2.5bp") == "identifier(fee) assign(=) minus(-) basisPoints(0.5bp) comma(,) basisPoints(2.5bp)")
        #expect(tokenDump("replay btc speed=10x from 2024-08-08T09:30:00Z") ==
                "identifier(replay) identifier(btc) identifier(speed) assign(=) speed(10x) identifier(from) timestamp(2024-08-08T09:30:00Z)")
        #expect(tokenDump("7 % 2") == "number(7) modulo(%) number(2)")
        #expect(tokenDump("7%") == "percent(7%)")
    }

    // MARK: - Paths

    @Test("file paths are single tokens", arguments: [
        "Datasets/x.gz",
        "Datasets/binance-usdm-btcusdt_20240808.gz",
        "./a",
        "../b/c.csv",
        "~/d",
        "~",
        "/tmp/x",
        "study.mithai",
        "2006-day-001.txt",
        "figs/btc-10s.png",
        "out/",
        "TRADES.CSV",
        "a/b.c1",
    ])
    func path(text: String) throws {
        let lexer = Lexer(Source(text))
        #expect(lexer.diagnostics.isEmpty)
        let toks = lexer.tokens.filter { $0.kind != .eof }
        try #require(toks.count == 1, "\(text) -> \(toks)")
        #expect(toks[0].kind == .path)
        #expect(toks[0].text == text)
        #expect(Lexer.looksLikePath(text))
    }

    @Test("paths as command arguments")
    func pathsInCommands() {
        #expect(tokenDump("load Datasets/x.gz as btc") ==
                "identifier(load) path(Datasets/x.gz) identifier(as) identifier(btc)")
        #expect(tokenDump("export fills r1 to out/fills.csv") ==
                "identifier(export) identifier(fills) identifier(r1) identifier(to) path(out/fills.csv)")
        #expect(tokenDump("load ./a") == "identifier(load) path(./a)")
    }

    @Test("words that are not paths", arguments: [
        ("px/2", "identifier(px) slash(/) number(2)"),
        ("px / qty", "identifier(px) slash(/) identifier(qty)"),
        ("px/2.5", "identifier(px) slash(/) number(2.5)"),
        ("latency.p99", "identifier(latency) dot(.) identifier(p99)"),
        ("r1.sharpe", "identifier(r1) dot(.) identifier(sharpe)"),
        ("1..5", "number(1) dotDot(..) number(5)"),
        ("1..10/5", "number(1) dotDot(..) number(10) slash(/) number(5)"),
        ("09:30..11:00", "time(09:30) dotDot(..) time(11:00)"),
        ("2024-08-01..2024-08-08", "date(2024-08-01) dotDot(..) date(2024-08-08)"),
        ("0.5", "number(0.5)"),
        ("1.5e3", "number(1.5e3)"),
        ("2.5bp", "basisPoints(2.5bp)"),
        ("x.foo", "identifier(x) dot(.) identifier(foo)"),
        ("nse:NIFTY-FUT", "identifier(nse) colon(:) identifier(NIFTY) minus(-) identifier(FUT)"),
        ("stop-limit", "identifier(stop) minus(-) identifier(limit)"),
    ])
    func notPath(text: String, expected: String) {
        let lexer = Lexer(Source(text))
        #expect(lexer.diagnostics.isEmpty)
        #expect(tokenDump(text) == expected)
    }

    @Test("px/qty is a division, not px followed by the path /qty")
    func divisionWithoutSpaces() {
        // Lexer.run's "/" case calls lexPath() whatever precedes the slash, and looksLikePath
        // accepts "/qty" as an absolute path: `px/qty` becomes identifier(px) path(/qty), and the
        // shell answers `px = 6; qty = 2; px/qty` with "unknown command 'px'".
        #expect(tokenDump("px/qty") == "identifier(px) slash(/) identifier(qty)")
        #expect(tokenDump("notional/qty") == "identifier(notional) slash(/) identifier(qty)")
        #expect(tokenDump("1..10/n") == "number(1) dotDot(..) number(10) slash(/) identifier(n)")
        // With spaces around the slash, or a digit after it, it is a division.
        #expect(tokenDump("px / qty") == "identifier(px) slash(/) identifier(qty)")
        #expect(tokenDump("px/2") == "identifier(px) slash(/) number(2)")
        // A path after white space is a path (`load /data/x.csv`).
        #expect(tokenDump("load /data/x.csv") == "identifier(load) path(/data/x.csv)")
    }

    @Test("looksLikePath rules", arguments: [
        ("x.csv", true), ("x.CSV", true), ("x.parquet", true), ("x.foo", false), ("a/b.foo", true),
        ("a/b", false), ("a/", true), ("a/b.123", false), (".csv", false), (".hidden", false),
        ("-x.csv", false), ("+x.csv", false), ("/", false), ("/1", false), ("/_x", true), ("/.x", true),
        ("./", true), ("../", true), ("~/", true), ("x.", false), ("latency.p99", false),
    ])
    func looksLikePath(word: String, expected: Bool) {
        #expect(Lexer.looksLikePath(word) == expected)
    }

    // MARK: - Operators and spacing

    @Test("operators")
    func operators() {
        let text = "a == b != c <> d <= e >= f && g || h | i ; j , k : l ( m ) [ n ] o = p < q > r + s - t * u % v @ w ! x .. y / z"
        let ops = tokens(text).filter { $0.kind != .identifier }
        #expect(ops.map(\.kind) == [
            .equalEqual, .notEqual, .notEqual, .lessEqual, .greaterEqual, .andAnd, .orOr, .pipe, .semicolon,
            .comma, .colon, .leftParen, .rightParen, .leftBracket, .rightBracket, .assign, .less, .greater,
            .plus, .minus, .star, .modulo, .at, .bang, .dotDot, .slash,
        ])
        #expect(ops.map(\.text) == [
            "==", "!=", "<>", "<=", ">=", "&&", "||", "|", ";", ",", ":", "(", ")", "[", "]", "=", "<", ">",
            "+", "-", "*", "%", "@", "!", "..", "/",
        ])
        #expect(tokenDump("a<=b") == "identifier(a) lessEqual(<=) identifier(b)")
        #expect(tokenDump("a<b") == "identifier(a) less(<) identifier(b)")
        #expect(tokenDump("a||b|c") == "identifier(a) orOr(||) identifier(b) pipe(|) identifier(c)")
    }

    @Test("spaceBefore records white space before each token")
    func spaceBefore() {
        #expect(tokens("f(x)").map(\.spaceBefore) == [true, false, false, false])
        #expect(tokens("f (x)").map(\.spaceBefore) == [true, true, false, false])
        #expect(tokens("  a\tb").map(\.spaceBefore) == [true, true])
        #expect(tokens("stop-limit").map(\.spaceBefore) == [true, false, false])
        #expect(tokens("x -1").map(\.spaceBefore) == [true, true, false])
        #expect(tokens("x - 1").map(\.spaceBefore) == [true, true, true])
        // A newline counts as space for the token after it; a comment counts as space too.
        #expect(tokens("a\nb").map(\.spaceBefore) == [true, false, true])
        #expect(tokens("a#c\nb").map(\.spaceBefore) == [true, true, true])
        // The end-of-input token always has space before it.
        #expect(Lexer(Source("a")).tokens.last?.spaceBefore == true)
    }

    @Test("every token's range slices back to its text")
    func rangesSliceBack() {
        let text = "bars = select ohlc(px), vol: sum qty by 10s from trades(btc) where px > 1_000.5 | plot as candles to figs/b.png # c"
        let source = Source(text)
        let lexer = Lexer(source)
        #expect(lexer.diagnostics.isEmpty)
        for token in lexer.tokens {
            #expect(source.slice(token.range) == token.text)
        }
        // Ranges are increasing and do not overlap.
        for (a, b) in zip(lexer.tokens, lexer.tokens.dropFirst()) {
            #expect(a.range.upper <= b.range.lower)
        }
        #expect(lexer.tokens.last?.kind == .eof)
        #expect(lexer.tokens.last?.range == SourceRange(text.utf8.count, text.utf8.count))
    }

    @Test("ranges index UTF-8 bytes")
    func utf8Ranges() {
        let text = "x = \"héllo\" y"
        let toks = tokens(text)
        #expect(toks.map(\.kind) == [.identifier, .assign, .string, .identifier])
        #expect(toks[2].range == SourceRange(4, 12))
        #expect(toks[3].range == SourceRange(13, 14))
    }

    // MARK: - Dot-commands

    @Test("dot-commands at the start of a statement")
    func dotCommands() {
        #expect(tokenDump(".help") == "dotCommand(.help)")
        #expect(tokenDump("   .mode csv") == "dotCommand(.mode)")
        #expect(tokenDump("x = 1; .vars") == "identifier(x) assign(=) number(1) semicolon(;) dotCommand(.vars)")
        #expect(tokenDump("x = 1\n.quit") == "identifier(x) assign(=) number(1) newline(\n) dotCommand(.quit)")
        #expect(tokenDump("# comment\n.timer on") == "newline(\n) dotCommand(.timer)")
    }

    @Test("a dot glued to a word is member access, not a dot-command")
    func dotNotAtStart() {
        #expect(tokenDump("r1.sharpe") == "identifier(r1) dot(.) identifier(sharpe)")
        #expect(tokenDump("trades(btc).px") ==
                "identifier(trades) leftParen(() identifier(btc) rightParen()) dot(.) identifier(px)")
        // `./a` and `../b` are paths even at the start of a statement.
        #expect(tokenDump("./run.mithai") == "path(./run.mithai)")
        #expect(tokenDump("../b") == "path(../b)")
    }

    // MARK: - Comments and continuation

    @Test("comments run to the end of the line")
    func comments() {
        #expect(tokenDump("x = 1 # the answer") == "identifier(x) assign(=) number(1)")
        #expect(tokenDump("# only a comment").isEmpty)
        #expect(tokenDump("a # c\nb") == "identifier(a) newline(\n) identifier(b)")
        #expect(tokenDump("a#b") == "identifier(a)")
    }

    @Test("a backslash at the end of a line joins the next line")
    func backslashContinuation() {
        let lexer = Lexer(Source("load \\\n   Datasets/x.gz as btc"))
        #expect(lexer.diagnostics.isEmpty)
        #expect(!lexer.isIncomplete)
        #expect(lexer.tokens.map(\.kind) == [.identifier, .path, .identifier, .identifier, .eof])
        #expect(lexer.tokens[1].spaceBefore)

        // Trailing blanks and a carriage return between the backslash and the newline.
        #expect(kinds("a \\  \t\r\nb") == [.identifier, .identifier])
    }

    @Test("a backslash at the very end asks for more input")
    func backslashAtEnd() {
        for text in ["load \\", "load \\   ", "a |\\"] {
            let lexer = Lexer(Source(text))
            #expect(lexer.isIncomplete, "\(text)")
            #expect(lexer.diagnostics.isEmpty)
        }
    }

    @Test("a backslash in the middle of a line is an error")
    func backslashInside() throws {
        let lexer = Lexer(Source("a \\ b"))
        #expect(!lexer.isIncomplete)
        #expect(lexer.tokens.map(\.text) == ["a", "b", ""])
        let d = try #require(lexer.diagnostics.first)
        #expect(lexer.diagnostics.count == 1)
        #expect(d.message == "a '\\' continues a line only at its end")
        #expect(d.range == SourceRange(2, 3))
    }

    // MARK: - Problems

    @Test("an unterminated string makes the input incomplete", arguments: [
        "x = \"abc", "x = 'abc", "x = \"abc\\\"", "\"",
    ])
    func unterminatedString(text: String) throws {
        let lexer = Lexer(Source(text))
        #expect(lexer.isIncomplete)
        let d = try #require(lexer.diagnostics.first)
        #expect(d.message == "unterminated string")
        #expect(d.range.upper == text.utf8.count)
        let last = try #require(lexer.tokens.dropLast().last)
        #expect(last.kind == .string)
        #expect(last.range.upper == text.utf8.count)
        // The parser turns this into "ask for another line", without an error.
        let parsed = Parser.parse(Source(text))
        #expect(parsed.isIncomplete)
        #expect(parsed.diagnostics.isEmpty)
    }

    @Test("an unknown unit is reported with the closest units", arguments: [
        ("5mss", "mss", ["ms"]),
        ("10hr", "hr", ["h"]),
        ("10xx", "xx", ["x"]),
        ("2bpx", "bpx", ["bp"]),
        ("3qq", "qq", [String]()),
        ("1e5kg", "kg", []),
    ])
    func unknownUnit(text: String, unit: String, suggestions: [String]) throws {
        let lexer = Lexer(Source(text))
        let d = try #require(lexer.diagnostics.first)
        #expect(lexer.diagnostics.count == 1)
        #expect(d.message == "unknown unit '\(unit)' after a number")
        #expect(d.suggestions == suggestions)
        #expect(d.notes == ["units: ns us ms s m h d (durations), bp (basis points), x (speed), % (percent)"])
        let unitStart = text.utf8.count - unit.utf8.count
        #expect(d.range == SourceRange(unitStart, text.utf8.count))
        // The number is still a token (so parsing can go on), spanning the text, holding the digits.
        #expect(lexer.tokens.first?.kind == .number)
        #expect(lexer.tokens.first?.text == String(text.dropLast(unit.count)))
        #expect(lexer.tokens.first?.range == SourceRange(0, text.utf8.count))
    }

    @Test("unexpected characters are reported and skipped", arguments: [
        ("a $ b", "$", SourceRange(2, 3)),
        ("a&b", "&", SourceRange(1, 2)),
        ("a ? b", "?", SourceRange(2, 3)),
        ("x€", "€", SourceRange(1, 4)),
        ("x ~y", "~", SourceRange(2, 3)),
        ("a ` b", "`", SourceRange(2, 3)),
    ])
    func unexpectedCharacter(text: String, character: String, range: SourceRange) throws {
        let lexer = Lexer(Source(text))
        let d = try #require(lexer.diagnostics.first)
        #expect(lexer.diagnostics.count == 1)
        #expect(d.message == "unexpected character '\(character)'")
        #expect(d.range == range)
        #expect(!lexer.isIncomplete)
        // Lexing goes on after the bad character, and the next token counts as spaced.
        let last = try #require(lexer.tokens.dropLast().last)
        #expect(last.spaceBefore)
    }

    @Test("empty and blank input")
    func blank() {
        for text in ["", "   ", "\t"] {
            let lexer = Lexer(Source(text))
            #expect(lexer.tokens.map(\.kind) == [.eof])
            #expect(lexer.diagnostics.isEmpty)
            #expect(!lexer.isIncomplete)
        }
        #expect(kinds("\n\n") == [.newline, .newline])
    }
}
