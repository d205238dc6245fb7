import Testing
import MithaiLanguage

/// Golden tests for rendered errors: the exact text a user sees, for the interactive prompt
/// and for scripts (`name:line:col:`). When a message changes on purpose, update the string
/// here; every other change is a regression.
@Suite("Diagnostic rendering")
struct DiagnosticSnapshotTests {

    /// Renders the first diagnostic of parsing `text`.
    private func first(_ text: String, prompt: String?) -> String {
        let source = Source(text)
        let result = Parser.parse(source)
        guard let d = result.diagnostics.first else { return "(no diagnostic)" }
        return d.render(in: source, prompt: prompt)
    }

    struct Golden: Sendable, CustomTestStringConvertible {
        var input: String
        var prompt: String
        var file: String
        var testDescription: String { input }
    }

    static let goldens: [Golden] = [
        Golden(input: "select count() form trades(btc)", prompt: #"""
            mithai> select count() form trades(btc)
                                   ^^^^
            error: unexpected 'form' in a query; did you mean 'from'?
              a query is: select COLUMNS [by KEYS] from TABLE [where CONDITIONS]

            """#, file: #"""
            <input>:1:16: error: unexpected 'form' in a query; did you mean 'from'?
                select count() form trades(btc)
                               ^^^^
              a query is: select COLUMNS [by KEYS] from TABLE [where CONDITIONS]

            """#),
        Golden(input: "x = 5mss", prompt: #"""
            mithai> x = 5mss
                         ^^^
            error: unknown unit 'mss' after a number; did you mean 'ms'?
              units: ns us ms s m h d (durations), bp (basis points), x (speed), % (percent)

            """#, file: #"""
            <input>:1:6: error: unknown unit 'mss' after a number; did you mean 'ms'?
                x = 5mss
                     ^^^
              units: ns us ms s m h d (durations), bp (basis points), x (speed), % (percent)

            """#),
        Golden(input: "a $ b", prompt: #"""
            mithai> a $ b
                      ^
            error: unexpected character '$'

            """#, file: #"""
            <input>:1:3: error: unexpected character '$'
                a $ b
                  ^

            """#),
        Golden(input: #"load \ x"#, prompt: #"""
            mithai> load \ x
                         ^
            error: a '\' continues a line only at its end

            """#, file: #"""
            <input>:1:6: error: a '\' continues a line only at its end
                load \ x
                     ^

            """#),
        Golden(input: "x = )", prompt: #"""
            mithai> x = )
                        ^
            error: expected a value, found ')'

            """#, file: #"""
            <input>:1:5: error: expected a value, found ')'
                x = )
                    ^

            """#),
        Golden(input: "f(a]", prompt: #"""
            mithai> f(a]
                       ^
            error: expected ')' to close the call of 'f' opened at column 2, found ']'

            """#, file: #"""
            <input>:1:4: error: expected ')' to close the call of 'f' opened at column 2, found ']'
                f(a]
                   ^

            """#),
        Golden(input: "x = 2024-02-30", prompt: #"""
            mithai> x = 2024-02-30
                        ^^^^^^^^^^
            error: '2024-02-30' is not a valid date

            """#, file: #"""
            <input>:1:5: error: '2024-02-30' is not a valid date
                x = 2024-02-30
                    ^^^^^^^^^^

            """#),
        Golden(input: "book btc at 25:61", prompt: #"""
            mithai> book btc at 25:61
                                ^^^^^
            error: '25:61' is not a valid time of day (HH:MM[:SS[.fff]])

            """#, file: #"""
            <input>:1:13: error: '25:61' is not a valid time of day (HH:MM[:SS[.fff]])
                book btc at 25:61
                            ^^^^^

            """#),
        Golden(input: "latency = 1.5ns", prompt: #"""
            mithai> latency = 1.5ns
                              ^^^^^
            error: '1.5ns' is not a whole number of nanoseconds

            """#, file: #"""
            <input>:1:11: error: '1.5ns' is not a whole number of nanoseconds
                latency = 1.5ns
                          ^^^^^

            """#),
        Golden(input: "trades(btc) | ;", prompt: #"""
            mithai> trades(btc) | ;
                                  ^
            error: expected a command after '|'

            """#, file: #"""
            <input>:1:15: error: expected a command after '|'
                trades(btc) | ;
                              ^

            """#),
        Golden(input: "select px from", prompt: #"""
            mithai> select px from
                                  ^
            error: expected a table after 'from'

            """#, file: #"""
            <input>:1:15: error: expected a table after 'from'
                select px from
                              ^

            """#),
        Golden(input: "x = (1 + 2]", prompt: #"""
            mithai> x = (1 + 2]
                              ^
            error: expected ')' to close the '(' opened here at column 5, found ']'

            """#, file: #"""
            <input>:1:11: error: expected ')' to close the '(' opened here at column 5, found ']'
                x = (1 + 2]
                          ^

            """#),
        // Columns count characters, not bytes: é is two bytes but one column.
        Golden(input: #"x = "héllo" $"#, prompt: #"""
            mithai> x = "héllo" $
                                ^
            error: unexpected character '$'

            """#, file: #"""
            <input>:1:13: error: unexpected character '$'
                x = "héllo" $
                            ^

            """#),
    ]

    @Test("prompt form", arguments: goldens)
    func promptForm(_ g: Golden) {
        #expect(first(g.input, prompt: "mithai> ") == g.prompt)
    }

    @Test("name:line:col form", arguments: goldens)
    func fileForm(_ g: Golden) {
        #expect(first(g.input, prompt: nil) == g.file)
    }

    @Test("the header names the file and counts lines from firstLine")
    func fileNameAndLine() throws {
        let source = Source("x = 1\ny = )\nz = 2\n", name: "study.mithai", firstLine: 10)
        let result = Parser.parse(source)
        let d = try #require(result.diagnostics.first)
        #expect(d.render(in: source) == #"""
            study.mithai:11:5: error: expected a value, found ')'
                y = )
                    ^

            """#)
        // In the prompt form the line is shown after the prompt, whatever its number.
        #expect(d.render(in: source, prompt: "...> ") == #"""
            ...> y = )
                     ^
            error: expected a value, found ')'

            """#)
    }

    @Test("every error of a script, one after the other")
    func severalErrors() {
        let source = Source("a = )\nb = 1\nc = ]\nselect px from\nd = 2", name: "s.mithai")
        let result = Parser.parse(source)
        let rendered = result.diagnostics.map { $0.render(in: source) }.joined()
        #expect(rendered == #"""
            s.mithai:1:5: error: expected a value, found ')'
                a = )
                    ^
            s.mithai:3:5: error: expected a value, found ']'
                c = ]
                    ^
            s.mithai:4:15: error: expected a table after 'from'
                select px from
                              ^

            """#)
    }

    @Test("warning severity, three suggestions at most, and notes")
    func warningWithSuggestionsAndNotes() {
        let source = Source("select avg(pxx) by 1m from trades(btc)")
        let d = Diagnostic("unknown column 'pxx'", at: SourceRange(11, 14), severity: .warning,
                           suggestions: ["px", "ts", "qty", "side"], notes: ["columns: ts px qty side", "see: help select"])
        #expect(d.render(in: source, prompt: "mithai> ") == #"""
            mithai> select avg(pxx) by 1m from trades(btc)
                               ^^^
            warning: unknown column 'pxx'; did you mean 'px' or 'ts' or 'qty'?
              columns: ts px qty side
              see: help select

            """#)
        #expect(d.description == "warning: unknown column 'pxx'; did you mean 'px' or 'ts' or 'qty'?")
        #expect(d.fullMessage == "unknown column 'pxx'; did you mean 'px' or 'ts' or 'qty'?")
    }

    @Test("a span that runs past the end of its line is cut at the line's end")
    func spanClippedToLine() {
        let source = Source("abc def\nghi")
        let d = Diagnostic("bad", at: SourceRange(4, 10))
        #expect(d.render(in: source) == #"""
            <input>:1:5: error: bad
                abc def
                    ^^^

            """#)
        // An empty span still gets one caret; on the second line.
        let e = Diagnostic("here", at: SourceRange(9, 9), severity: .note)
        #expect(e.render(in: source, prompt: "> ") == #"""
            > ghi
               ^
            note: here

            """#)
    }

    @Test("message without suggestions")
    func plainMessage() {
        let d = Diagnostic("boom", at: .empty)
        #expect(d.fullMessage == "boom")
        #expect(d.description == "error: boom")
        #expect(d.severity == .error)
        #expect(Diagnostic("x", at: .empty, suggestions: ["a"]).fullMessage == "x; did you mean 'a'?")
        #expect(Diagnostic("x", at: .empty, suggestions: ["a", "b"]).fullMessage == "x; did you mean 'a' or 'b'?")
    }

    // MARK: - Suggest

    @Test("did-you-mean: closest first, then alphabetical", arguments: [
        ("pxx", ["px", "qty", "ts", "side"], ["px"]),
        ("vwp", ["avg", "twap", "vwap"], ["vwap", "twap"]),
        ("form", ["by", "from", "where"], ["from"]),
        ("ba", ["book", "bars", "backtest"], ["backtest", "bars"]),
        ("PX", ["px"], ["px"]),
        ("sharpe", ["Sharpe", "sortino"], ["Sharpe"]),
        ("px", ["px", "px", "pxx"], ["px", "pxx"]),
        ("b", ["by", "book"], ["by"]),
        ("stat", ["stats", "state", "start", "statistics"], ["start", "state", "statistics"]),
        ("zzz", ["px", "qty"], [String]()),
        ("spred", ["spread", "speed", "sprint"], ["speed", "spread"]),
    ])
    func suggestions(name: String, candidates: [String], expected: [String]) {
        #expect(Suggest.names(for: name, among: candidates) == expected)
    }

    @Test("distance thresholds grow with length, capped at 3")
    func thresholds() {
        // Up to 3 letters: one edit.
        #expect(Suggest.names(for: "ab", among: ["xy"]).isEmpty)
        #expect(Suggest.names(for: "abc", among: ["abd"]) == ["abd"])
        #expect(Suggest.names(for: "abc", among: ["axd"]).isEmpty)
        // 4 to 6 letters: two edits.
        #expect(Suggest.names(for: "sprd", among: ["spread"]) == ["spread"])     // 2 deletions
        #expect(Suggest.names(for: "sxxead", among: ["spread"]) == ["spread"])   // 2 substitutions
        #expect(Suggest.names(for: "sxxxad", among: ["spread"]).isEmpty)         // 3
        // 7 letters and more: three edits at most.
        #expect(Suggest.names(for: "backtesting", among: ["backtest"]) == ["backtest"]) // 3
        #expect(Suggest.names(for: "xxxxtest", among: ["backtest"]).isEmpty)            // 4
        #expect(Suggest.names(for: "abcdefghijklmnop", among: ["abcdefghijklxxxx"]).isEmpty) // 4 of 16
        // A prefix of two letters or more always qualifies, ranked like one edit.
        #expect(Suggest.names(for: "bac", among: ["backtest", "bad"]) == ["backtest", "bad"])
        #expect(Suggest.names(for: "bac", among: ["bac", "backtest"]) == ["bac", "backtest"])
    }

    @Test("limit")
    func limit() {
        let candidates = ["pa", "pb", "pc", "pd", "pe"]
        #expect(Suggest.names(for: "px", among: candidates) == ["pa", "pb", "pc"])
        #expect(Suggest.names(for: "px", among: candidates, limit: 1) == ["pa"])
        #expect(Suggest.names(for: "px", among: candidates, limit: 10) == candidates)
        #expect(Suggest.names(for: "px", among: candidates, limit: 0).isEmpty)
    }

    @Test("optimal string alignment distance", arguments: [
        ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0), ("form", "from", 1),
        ("kitten", "sitting", 3), ("ca", "abc", 3), ("ab", "ba", 1), ("flaw", "lawn", 2), ("µs", "us", 1),
    ])
    func distance(a: String, b: String, expected: Int) {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        #expect(Suggest.distance(x, y) == expected)
        #expect(Suggest.distance(y, x) == expected)
    }
}
