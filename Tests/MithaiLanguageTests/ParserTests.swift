import Testing
import MithaiLanguage

/// Parses `text`, requiring no diagnostics and a complete input.
private func parseClean(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (ParseResult, Source) {
    let source = Source(text)
    let result = Parser.parse(source)
    #expect(result.diagnostics.isEmpty, "\(result.diagnostics)", sourceLocation: sourceLocation)
    #expect(!result.isIncomplete, sourceLocation: sourceLocation)
    return (result, source)
}

/// The single statement of `text`.
private func statement(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (Statement, Source) {
    let (result, source) = try parseClean(text, sourceLocation: sourceLocation)
    try #require(result.statements.count == 1, "\(result.statements.map(sexp))", sourceLocation: sourceLocation)
    return (result.statements[0], source)
}

/// The single stage of the single pipeline statement of `text`.
private func stage(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (Stage, Source) {
    let (s, source) = try statement(text, sourceLocation: sourceLocation)
    guard case .pipeline(let p) = s, p.stages.count == 1 else {
        Issue.record("not a one-stage pipeline: \(sexp(s))", sourceLocation: sourceLocation)
        throw CancellationError()
    }
    return (p.stages[0], source)
}

@Suite("Parser")
struct ParserTests {

    // MARK: - Shapes

    @Test("commands: positional, keyword and labelled arguments", arguments: [
        ("backtest mm on btc latency=feed+5ms queue=riskaverse",
         "(cmd backtest mm on btc latency=(+ feed dur:5000000) queue=riskaverse)"),
        ("backtest mm on btc latency=feed+5ms queue=riskaverse fill=full",
         "(cmd backtest mm on btc latency=(+ feed dur:5000000) queue=riskaverse fill=full)"),
        ("load Datasets/x.gz as btc", "(cmd load path:Datasets/x.gz as btc)"),
        ("plot bars as candles to figs/btc-10s.png theme=paper",
         "(cmd plot bars as candles to path:figs/btc-10s.png theme=paper)"),
        ("strategy mm = glft gamma=0.05 delta=1 max_position=5",
         "(cmd strategy mm=glft gamma=0.05 delta=1 max_position=5)"),
        ("instrument btc tick=0.1 lot=0.001 maker=-0.5bp taker=2.5bp",
         "(cmd instrument btc tick=0.1 lot=0.001 maker=(neg bp:0.5) taker=bp:2.5)"),
        ("replay btc from 2024-08-08T09:30:00Z speed=10x",
         "(cmd replay btc from ts:2024-08-08+34200000000000@0 speed=speed:10)"),
        ("risk max_loss=2% on 2024-08-08", "(cmd risk max_loss=pct:2 on date:2024-08-08)"),
        ("head 5", "(cmd head 5)"),
        ("stats", "(cmd stats)"),
        ("flag on=true off=false", "(cmd flag on=true off=false)"),
        ("cancel -1", "(cmd cancel -1)"),
        ("x -1", "(cmd x -1)"),
        ("say \"hello world\" 'x'", "(cmd say \"hello world\" \"x\")"),
    ])
    func commands(text: String, expected: String) {
        #expect(shapes(text) == [expected])
        #expect(Parser.parse(Source(text)).diagnostics.isEmpty)
    }

    @Test("glued words in argument position", arguments: [
        ("order buy stop-limit 5", "(cmd order buy stop-limit 5)"),
        ("market sim = zi preset=nse:RELIANCE seed=7", "(cmd market sim=zi preset=nse:RELIANCE seed=7)"),
        ("load nse:NIFTY-FUT as fut", "(cmd load nse:NIFTY-FUT as fut)"),
        ("order sell good-till-cancel", "(cmd order sell good-till-cancel)"),
        ("order sell stop - limit", "(cmd order sell (- stop limit))"),
        ("order sell stop -limit", "(cmd order sell stop (neg limit))"),
    ])
    func gluedWords(text: String, expected: String) {
        #expect(shapes(text) == [expected])
    }

    @Test("'@' is an argument of its own: buy 5 @ 100")
    func atSign() throws {
        #expect(shapes("buy 5 @ 100") == ["(cmd buy 5 @ 100)"])
        #expect(shapes("buy 5 @100") == ["(cmd buy 5 @ 100)"])
        let (s, source) = try stage("buy 5 @ 100")
        guard case .command(let c) = s else { Issue.record("\(sexp(s))"); return }
        #expect(source.slice(c.arguments[1].range) == "@")
        #expect(c.arguments[1].value.word == "@")
    }

    @Test("lists and ranges", arguments: [
        ("markouts r1 at 100ms,1s,10s",
         "(cmd markouts r1 at (list dur:100000000 dur:1000000000 dur:10000000000))"),
        ("sweep mm on btc spread=1,2,4 qty=0.1,0.2", "(cmd sweep mm on btc spread=(list 1 2 4) qty=(list 0.1 0.2))"),
        ("compare r1,r2,r3", "(cmd compare (list r1 r2 r3))"),
        ("compare a, b ,c", "(cmd compare (list a b c))"),
        ("book btc at 09:30..11:00", "(cmd book btc at (range time:34200000000000 time:39600000000000))"),
        ("grid 1..10/5", "(cmd grid (range 1 10 5))"),
        ("grid 1..10", "(cmd grid (range 1 10))"),
        ("x = [1, 2, 3]", "(let x (list 1 2 3))"),
        ("x = []", "(let x (list))"),
        ("x = [a, b + 1]", "(let x (list a (+ b 1)))"),
        ("x = 2024-08-01..2024-08-08", "(let x (range date:2024-08-01 date:2024-08-08))"),
    ])
    func listsAndRanges(text: String, expected: String) {
        #expect(shapes(text) == [expected])
    }

    @Test("assignment, pipes and '_'", arguments: [
        ("x = 1", "(let x 1)"),
        ("x=1", "(let x 1)"),
        ("r = backtest mm on btc", "(let r (cmd backtest mm on btc))"),
        ("btc | head 5", "(cmd btc) | (cmd head 5)"),
        ("trades(btc) | sort px desc | head 5", "(call trades btc) | (cmd sort px desc) | (cmd head 5)"),
        ("sweep mm on btc spread=1,2,4 | sort sharpe desc",
         "(cmd sweep mm on btc spread=(list 1 2 4)) | (cmd sort sharpe desc)"),
        ("markouts r1 at 100ms,1s | plot as line",
         "(cmd markouts r1 at (list dur:100000000 dur:1000000000)) | (cmd plot as line)"),
        // `_` on its own is a word in verb position; the interpreter resolves a bare word with
        // no arguments to its value.
        ("_", "(cmd _)"),
        ("_ | head 5", "(cmd _) | (cmd head 5)"),
        ("_ + 1", "(+ _ 1)"),
        ("x = _", "(let x (cmd _))"),
    ])
    func assignmentAndPipes(text: String, expected: String) {
        #expect(shapes(text) == [expected])
    }

    @Test("call f(x) versus command argument f (x)", arguments: [
        ("trades(btc)", "(call trades btc)"),
        ("f(a, k=2)", "(call f a k=2)"),
        ("f()", "(call f)"),
        ("stats (backtest mm on d)", "(cmd stats (sub (cmd backtest mm on d)))"),
        ("stats (1 + 2)", "(cmd stats (+ 1 2))"),
        ("head 5 trades(btc)", "(cmd head 5 (call trades btc))"),
        ("x = trades(btc).px", "(let x (. (call trades btc) px))"),
    ])
    func callVersusCommand(text: String, expected: String) {
        #expect(shapes(text) == [expected])
    }

    @Test("queries", arguments: [
        ("select count(), vwap(px, qty), last px by 1m from trades(btc) where side=buy, px > 100",
         "(select [(call count) (call vwap px qty) (call last px)] by [dur:60000000000] from (call trades btc) where [(= side buy) (> px 100)])"),
        ("bars = select ohlc(px), vol: sum qty by 10s from trades(btc)",
         "(let bars (select [(call ohlc px) vol:(call sum qty)] by [dur:10000000000] from (call trades btc)))"),
        ("select from t", "(select [] from t)"),
        ("select px, qty from t", "(select [px qty] from t)"),
        ("select avg(px) by side, 1m from t", "(select [(call avg px)] by [side dur:60000000000] from t)"),
        ("select from t where px > 100 and side = buy or qty >= 2",
         "(select [] from t where [(or (and (> px 100) (= side buy)) (>= qty 2))])"),
        ("select from t where side in [buy, sell]", "(select [] from t where [(in side (list buy sell))])"),
        ("select from t where not px < 1", "(select [] from t where [(not (< px 1))])"),
        ("select n: count() from (backtest mm on btc)",
         "(select [n:(call count)] from (sub (cmd backtest mm on btc)))"),
        ("select px * qty, px - 1 from t", "(select [(* px qty) (- px 1)] from t)"),
        ("select from t where ts >= 09:30, ts < 11:00",
         "(select [] from t where [(>= ts time:34200000000000) (< ts time:39600000000000)])"),
    ])
    func queries(text: String, expected: String) {
        #expect(shapes(text) == [expected])
        #expect(Parser.parse(Source(text)).diagnostics.isEmpty)
    }

    @Test("query and filter as pipe stages", arguments: [
        ("trades(btc) | select count() by side", "(call trades btc) | (select [(call count)] by [side])"),
        ("trades(btc) | select px, qty | head 3", "(call trades btc) | (select [px qty]) | (cmd head 3)"),
        ("trades(btc) | where px > 100, side = buy", "(call trades btc) | (where (> px 100) (= side buy))"),
        ("trades(btc) | where px > 100 | select count()",
         "(call trades btc) | (where (> px 100)) | (select [(call count)])"),
        ("stats (trades(btc) | where qty > 1)", "(cmd stats (sub (call trades btc) | (where (> qty 1))))"),
    ])
    func pipeStages(text: String, expected: String) {
        #expect(shapes(text) == [expected])
    }

    @Test("expressions: precedence, member access, literals", arguments: [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("10 % 3 - 1", "(- (% 10 3) 1)"),
        ("a - b - c", "(- (- a b) c)"),
        ("x - 1", "(- x 1)"),
        ("8 / 2 / 2", "(/ (/ 8 2) 2)"),
        ("-5", "-5"),
        ("- 5", "(neg 5)"),
        ("-x", "(neg x)"),
        ("-5ms", "(neg dur:5000000)"),
        ("not a and b or c", "(or (and (not a) b) c)"),
        ("a && b || !c", "(or (and a b) (not c))"),
        ("x == 1", "(= x 1)"),
        ("x != 1", "(!= x 1)"),
        ("x <> 1", "(!= x 1)"),
        ("x <= 1 + 2", "(<= x (+ 1 2))"),
        ("r1.sharpe", "(. r1 sharpe)"),
        ("r1.stats.sharpe", "(. (. r1 stats) sharpe)"),
        ("latency.p99 > 5ms", "(> (. latency p99) dur:5000000)"),
        ("1_000_000 * 2.5bp", "(* 1000000 bp:2.5)"),
        ("x = true == y", "(let x (= true y))"),
        ("x = [true, false]", "(let x (list true false))"),
        ("x = \"a\\\"b\\tc\\\\d\\ne\"", "(let x \"a\\\"b\\tc\\\\d\\ne\")"),
    ])
    func expressions(text: String, expected: String) {
        #expect(shapes(text) == [expected])
    }

    @Test("true and false alone are booleans, not command verbs")
    func booleanStage() {
        // Parser.parseStage sends any identifier that isCommandStart() accepts to parseCommand,
        // and true/false are not excluded, so `x = true` is the command `true` and the shell
        // answers "unknown command or name 'true'". parsePrimary does read them as .bool.
        #expect(shapes("x = true") == ["(let x true)"])
        #expect(shapes("false") == ["false"])
        #expect(shapes("stats on=true") == ["(cmd stats on=true)"])
    }

    @Test("string escapes are decoded")
    func stringEscapes() throws {
        let (s, _) = try statement(#"x = "tab\there \"q\" back\\slash \x""#)
        guard case .assignment(_, _, let p) = s, case .expression(.literal(.string(let v), _)) = p.stages[0] else {
            Issue.record("\(sexp(s))"); return
        }
        #expect(v == "tab\there \"q\" back\\slash x")
    }

    @Test("stats r1.sharpe: member access in an argument")
    func memberInArgument() {
        #expect(shapes("stats r1.sharpe") == ["(cmd stats (. r1 sharpe))"])
    }

    @Test("dot-commands take the rest of the line as words")
    func dotCommands() throws {
        #expect(shapes(".mode csv") == ["(.mode [csv])"])
        #expect(shapes(".quit") == ["(.quit)"])
        #expect(shapes(".save \"my study\" now # a comment") == ["(.save [my study] [now])"])
        #expect(shapes("x = 1; .vars") == ["(let x 1)", "(.vars)"])
        #expect(shapes(".timer on\nx = 1") == ["(.timer [on])", "(let x 1)"])
        #expect(shapes(".read a(b).mithai") == ["(.read [a(b).mithai])"])
        // Named as an argument, a dot-command is a word.
        #expect(shapes("help .save") == ["(cmd help .save)"])

        let (st, source) = try statement(".save \"my study\" now # a comment")
        guard case .dotCommand(let d) = st else { Issue.record("\(sexp(st))"); return }
        #expect(d.name == "save")
        #expect(source.slice(d.nameRange) == ".save")
        #expect(d.words.map { source.slice($0.range) } == ["\"my study\"", "now"])
        #expect(source.slice(d.range) == ".save \"my study\" now")
        #expect(source.slice(st.range) == ".save \"my study\" now")
    }

    @Test("a dot-command's words are raw text, not code")
    func dotCommandRawWords() {
        // Parser.parse runs the lexer's continuation rules over the whole text, including the
        // words of a dot-command, so an apostrophe, an open bracket or a trailing '|' in them
        // makes the line "incomplete" and the shell waits for more input.
        for (text, words) in [(".history it's", ["it's"]), (".history (", ["("]), (".history a |", ["a", "|"]),
                              (".save don't-run", ["don't-run"])] {
            let result = Parser.parse(Source(text))
            #expect(!result.isIncomplete, "\(text)")
            #expect(result.statements.map(sexp) == ["(.\(text.dropFirst().prefix { $0 != " " })" + words.map { " [\($0)]" }.joined() + ")"])
        }
    }

    @Test("';' after a dot-command separates statements, as in `mithai -c '.mode json; stats r1'`")
    func dotCommandThenSemicolon() {
        // Parser.parseDotCommand takes everything up to the newline, so `; stats r1` becomes
        // three words of `.mode` ("json;", "stats", "r1") and `stats r1` never runs.
        #expect(shapes(".mode json; stats r1") == ["(.mode [json])", "(cmd stats r1)"])
    }

    @Test("statements are separated by ';' and newlines")
    func separators() throws {
        #expect(shapes("a = 1; b = 2\nc") == ["(let a 1)", "(let b 2)", "(cmd c)"])
        #expect(shapes(";;\n\n x = 1 ;\n") == ["(let x 1)"])
        #expect(shapes("# comment only\n\n").isEmpty)
        #expect(shapes("x = 1 # one\ny = 2 # two") == ["(let x 1)", "(let y 2)"])
        let (result, source) = try parseClean("a = 1;  b = 2 \n  c")
        #expect(result.statements.map { source.slice($0.range) } == ["a = 1", "b = 2", "c"])
    }

    // MARK: - Source ranges

    @Test("command, argument and label ranges slice back to the source")
    func commandRanges() throws {
        let text = "backtest mm on btc latency=feed+5ms queue=riskaverse"
        let (s, source) = try stage(text)
        guard case .command(let c) = s else { Issue.record("\(sexp(s))"); return }
        #expect(source.slice(c.range) == text)
        #expect(source.slice(c.verbRange) == "backtest")
        #expect(c.arguments.map { source.slice($0.range) } ==
                ["mm", "on", "btc", "latency=feed+5ms", "queue=riskaverse"])
        #expect(c.arguments.map(\.label) == [nil, nil, nil, "latency", "queue"])
        #expect(source.slice(try #require(c.arguments[3].labelRange)) == "latency")
        #expect(source.slice(c.arguments[3].value.range) == "feed+5ms")
        #expect(c.arguments[0].labelRange == nil)
    }

    @Test("glued words, lists, ranges and members keep their full range", arguments: [
        ("load nse:NIFTY-FUT as fut", 0, "nse:NIFTY-FUT"),
        ("order buy stop-limit 5", 1, "stop-limit"),
        ("markouts r1 at 100ms,1s,10s", 2, "100ms,1s,10s"),
        ("book btc at 09:30..11:00", 2, "09:30..11:00"),
        ("grid 1..10/5", 0, "1..10/5"),
        ("stats r1.sharpe", 0, "r1.sharpe"),
        ("cancel -1", 0, "-1"),
        ("stats (backtest mm on d)", 0, "(backtest mm on d)"),
        ("head 5 trades(btc)", 1, "trades(btc)"),
        ("sweep spread=1, 2 ,4", 0, "spread=1, 2 ,4"),
    ])
    func argumentRanges(text: String, index: Int, expected: String) throws {
        let (s, source) = try stage(text)
        guard case .command(let c) = s else { Issue.record("\(sexp(s))"); return }
        try #require(c.arguments.count > index)
        #expect(source.slice(c.arguments[index].range) == expected)
    }

    @Test("query ranges")
    func queryRanges() throws {
        let text = "select count(), vwap(px, qty), vol: sum qty by 1m, side from trades(btc) where side=buy, px > 100"
        let (s, source) = try stage(text)
        guard case .query(let q) = s else { Issue.record("\(sexp(s))"); return }
        #expect(source.slice(q.range) == text)
        #expect(q.columns.map { source.slice($0.range) } == ["count()", "vwap(px, qty)", "vol: sum qty"])
        #expect(q.columns.map(\.label) == [nil, nil, "vol"])
        #expect(source.slice(q.columns[2].expr.range) == "sum qty")
        #expect(q.by.map { source.slice($0.range) } == ["1m", "side"])
        #expect(source.slice(try #require(q.source).range) == "trades(btc)")
        #expect(q.conditions.map { source.slice($0.range) } == ["side=buy", "px > 100"])
        if case .call(let name, let nameRange, let args, _) = q.columns[1].expr {
            #expect(name == "vwap")
            #expect(source.slice(nameRange) == "vwap")
            #expect(args.map { source.slice($0.range) } == ["px", "qty"])
        } else {
            Issue.record("vwap column: \(sexp(q.columns[1].expr))")
        }
    }

    @Test("statement, pipeline and stage ranges")
    func pipelineRanges() throws {
        let (result, source) = try parseClean("bars = select ohlc(px) by 10s from trades(btc)\n\ntrades(btc) | where px > 100 | head 5")
        try #require(result.statements.count == 2)
        guard case .assignment(let name, let nameRange, let value) = result.statements[0] else {
            Issue.record("\(sexp(result.statements[0]))"); return
        }
        #expect(name == "bars")
        #expect(source.slice(nameRange) == "bars")
        #expect(source.slice(value.range) == "select ohlc(px) by 10s from trades(btc)")
        #expect(source.slice(result.statements[0].range) == "bars = select ohlc(px) by 10s from trades(btc)")

        guard case .pipeline(let p) = result.statements[1] else { Issue.record("\(sexp(result.statements[1]))"); return }
        #expect(p.stages.map { source.slice($0.range) } == ["trades(btc)", "where px > 100", "head 5"])
        #expect(source.slice(p.range) == "trades(btc) | where px > 100 | head 5")
        #expect(source.line(containing: p.range.lower).index == 2)
    }

    @Test("expression ranges")
    func expressionRanges() throws {
        let (s, source) = try stage("latency.p99 > 5ms + -1ms")
        guard case .expression(let e) = s, case .binary(.greater, let l, let r, let whole) = e else {
            Issue.record("\(sexp(s))"); return
        }
        #expect(source.slice(whole) == "latency.p99 > 5ms + -1ms")
        #expect(source.slice(l.range) == "latency.p99")
        if case .member(_, let name, let nameRange, _) = l {
            #expect(name == "p99")
            #expect(source.slice(nameRange) == "p99")
        } else {
            Issue.record("\(sexp(l))")
        }
        #expect(source.slice(r.range) == "5ms + -1ms")
    }

    @Test("a statement continued over lines covers all of them")
    func multilineRange() throws {
        let text = "trades(btc) |\n  select count(),\n    last px by side"
        let (s, source) = try statement(text)
        #expect(sexp(s) == "(call trades btc) | (select [(call count) (call last px)] by [side])")
        #expect(source.slice(s.range) == text)
    }

    // MARK: - Negative number literals

    @Test("a negative number literal equals the parsed negative decimal")
    func negativeLiteral() throws {
        let (s, _) = try stage("-2.5")
        guard case .expression(.literal(.number(let n), _)) = s else { Issue.record("\(sexp(s))"); return }
        #expect(n.mantissa == -25 && n.scale == 1)
        #expect(n == DecimalLiteral(parsing: "-2.5"))

        // Parser.parseUnary folds `-` into the literal with DecimalLiteral(mantissa:scale:),
        // whose double is computed by repeated division (see LiteralTests), so `-0.07` parsed
        // from source is not equal to DecimalLiteral(parsing: "-0.07").
        let (s2, _) = try stage("-0.07")
        guard case .expression(.literal(.number(let m), _)) = s2 else { Issue.record("\(sexp(s2))"); return }
        #expect(m.mantissa == -7 && m.scale == 2)
        #expect(m.double == -0.07)
        #expect(m == DecimalLiteral(parsing: "-0.07"))
    }

    // MARK: - Continuation

    @Test("open input asks for another line", arguments: [
        "trades(btc) |", "select px,", "f(a", "[1, 2", "load \\", "x = \"abc", "x =", "a and", "x = 1 +",
        "select (count()", "a ||", "f(a,\n b", "x = 1\ny = (2", "trades(btc) |   # more to come",
        "stats (backtest mm\n on btc",
    ])
    func incomplete(text: String) {
        let result = Parser.parse(Source(text))
        #expect(result.isIncomplete)
        #expect(result.statements.isEmpty)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
    }

    @Test("continued lines join into one statement", arguments: [
        ("trades(btc) |\n select count() by side", "(call trades btc) | (select [(call count)] by [side])"),
        ("f(a,\n b)", "(call f a b)"),
        ("select px,\n qty from t", "(select [px qty] from t)"),
        ("x = 1 +\n 2", "(let x (+ 1 2))"),
        ("load \\\n Datasets/x.gz", "(cmd load path:Datasets/x.gz)"),
        ("x = [1,\n2]", "(let x (list 1 2))"),
        ("a |  # comment\n head 5", "(cmd a) | (cmd head 5)"),
        ("stats (backtest mm\n on btc)", "(cmd stats (sub (cmd backtest mm on btc)))"),
        ("select from t where px > 1 and\n qty > 2", "(select [] from t where [(and (> px 1) (> qty 2))])"),
    ])
    func continued(text: String, expected: String) {
        let result = Parser.parse(Source(text))
        #expect(!result.isIncomplete)
        #expect(result.diagnostics.isEmpty)
        #expect(result.statements.map(sexp) == [expected])
    }

    @Test("a line starting with '|' does not continue the previous one")
    func leadingPipe() {
        let result = Parser.parse(Source("x = 1\n| head"))
        #expect(!result.isIncomplete)
        #expect(result.statements.map(sexp) == ["(let x 1)"])
        #expect(result.diagnostics.map(\.message) == ["expected a value, found '|'"])
    }

    // MARK: - Errors and resynchronisation

    @Test("several errors on several lines are all reported in one parse")
    func resynchronisation() throws {
        let text = "a = )\nb = 1\nc = ]\nstats r1 )\nd = 2\nselect px from\ne = (1 + 2]\nf = 3"
        let source = Source(text)
        let result = Parser.parse(source)
        #expect(!result.isIncomplete)
        #expect(result.statements.map(sexp) == ["(let b 1)", "(let d 2)", "(let f 3)"])
        #expect(result.diagnostics.map(\.message) == [
            "expected a value, found ')'",
            "expected a value, found ']'",
            "unexpected ')' after the end of the statement",
            "expected a table after 'from'",
            "expected ')' to close the '(' opened here at column 5, found ']'",
        ])
        #expect(result.diagnostics.map { source.line(containing: $0.range.lower).index } == [0, 2, 3, 5, 6])
        #expect(result.diagnostics.map { source.slice($0.range) } == [")", "]", ")", "\n", "]"])
        #expect(result.hasErrors)
    }

    @Test("two errors on one line separated by ';'")
    func twoErrorsOneLine() {
        let result = Parser.parse(Source("a = ); b = ]; c = 1"))
        #expect(result.diagnostics.map(\.message) == ["expected a value, found ')'", "expected a value, found ']'"])
        #expect(result.diagnostics.map(\.range) == [SourceRange(4, 5), SourceRange(11, 12)])
        #expect(result.statements.map(sexp) == ["(let c 1)"])
    }

    @Test("lexer diagnostics come through the parser")
    func lexerDiagnostics() {
        let result = Parser.parse(Source("x = 1 $\ny = 2"))
        #expect(result.diagnostics.map(\.message) == ["unexpected character '$'"])
        #expect(result.statements.map(sexp) == ["(let x 1)", "(let y 2)"])
    }

    @Test("an unknown unit is reported once")
    func unknownUnitReportedOnce() {
        // Lexer.lexNumberLike reports the unknown unit and emits the whole text ("5mss") as a
        // .number token "so parsing can go on"; Parser.parsePrimary then fails to read it as a
        // number and adds a second, misleading error for the same mistake.
        let result = Parser.parse(Source("x = 5mss"))
        #expect(result.diagnostics.first?.message == "unknown unit 'mss' after a number")
        #expect(result.diagnostics.map(\.message) == ["unknown unit 'mss' after a number"])
    }

    @Test("invalid literal values are errors", arguments: [
        ("x = 25:61", "'25:61' is not a valid time of day (HH:MM[:SS[.fff]])"),
        ("x = 2023-02-29", "'2023-02-29' is not a valid date"),
        ("x = 1.5ns", "'1.5ns' is not a whole number of nanoseconds"),
        ("x = 2024-02-30T09:30", "'2024-02-30T09:30' is not a valid timestamp (YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM])"),
        ("x = 10:00:00.1234567890", "'10:00:00.1234567890' is not a valid time of day (HH:MM[:SS[.fff]])"),
    ])
    func invalidLiterals(text: String, message: String) {
        let result = Parser.parse(Source(text))
        #expect(result.diagnostics.map(\.message) == [message])
        #expect(result.statements.isEmpty)
    }

    @Test("other syntax errors", arguments: [
        ("x = ()", "expected an expression or a command inside '( )'"),
        ("f(,)", "expected a value, found ','"),
        ("f(a]", "expected ')' to close the call of 'f' opened at column 2, found ']'"),
        ("trades(btc) | ;", "expected a command after '|'"),
        ("select count() form t", "unexpected 'form' in a query"),
        ("select px by", "expected a column expression"),
        ("select from t where", "expected a condition"),
        ("x = 1 2", "unexpected '2' after the end of the statement"),
        ("run k= | head", "expected a value after 'k='"),
        ("run k=, 2", "expected a value after 'k='"),
    ])
    func syntaxErrors(text: String, message: String) throws {
        let result = Parser.parse(Source(text))
        #expect(!result.isIncomplete)
        let d = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1)
        #expect(d.message == message)
    }

    // MARK: - Known gaps

    @Test("`in (a, b)` takes a parenthesised list, as in SQL")
    func inParenthesisedList() {
        // Parser.parseInList is a no-op (both branches return the first operand), and `(buy, sell)`
        // is parsed as a sub-pipeline whose command `buy` cannot take a ','.
        let result = Parser.parse(Source("select from t where side in (buy, sell)"))
        #expect(result.diagnostics.isEmpty)
        #expect(result.statements.map(sexp) == ["(select [] from t where [(in side (list buy sell))])"])
    }

    @Test("glued instrument names may have segments that start with digits (deribit:BTC-27DEC24)")
    func gluedDigitSegments() {
        // Lexer.lexNumberLike reads `27DEC24` as the number 27 with an unknown unit 'DEC'
        // followed by the number 24, so the glued word stops at `BTC-27DEC`.
        let result = Parser.parse(Source("subscribe deribit:BTC-27DEC24"))
        #expect(result.diagnostics.isEmpty)
        #expect(result.statements.map(sexp) == ["(cmd subscribe deribit:BTC-27DEC24)"])
    }
}
