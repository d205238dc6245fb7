import Foundation
import MithaiLanguage
import MithaiStore

/// The command table. Every verb and dot-command is declared here once; dispatch, `help`,
/// completion and "did you mean" all read the same entries.
public enum Commands {
    public static let standard: CommandRegistry = {
        var r = CommandRegistry()
        let families: [[CommandSpec]] = [
            sessionCommands,
            DataCommands.specs,
            tableCommands,
            [Strategies.spec],
            BacktestCommands.specs,
            [RiskCommands.spec],
            ExecutionCommands.specs,
            [SweepCommand.spec, SweepCommand.mergeSpec],
            [MultiInstrument.fxSpec],
            [PlotCommand.spec],
            [ExportCommand.spec, ReportCommand.spec],
            [ServeCommand.spec],
            LiveCommands.specs,
            [LiveExecution.algosSpec],
            AlertCommands.specs,
            WatchlistCommands.specs,
            dotCommands,
        ]
        for c in families.joined() { r.register(c) }
        return r
    }()

    /// Order of categories in `help`.
    static let categoryOrder = ["session", "data", "tables", "backtests", "live", "charts", "alerts", "watchlists", "shell"]

    // MARK: - Session

    static let sessionCommands: [CommandSpec] = [
        CommandSpec("help", aliases: ["?"], category: "session",
                    summary: "lists the commands, or shows one command's parameters and examples",
                    parameters: [Parameter("topic", .positional, .verb, "a command, dot-command, setting, or 'syntax'")],
                    examples: ["help", "help set", "help syntax"],
                    handler: { ctx in .text(try Help.page(for: ctx.word("topic"), ctx: ctx)) }),
        CommandSpec("set", category: "session",
                    summary: "changes session settings, or lists them with their values",
                    parameters: Settings.specs.map { Parameter($0.name, .option, $0.type, default: $0.defaultValue.display, $0.summary) },
                    examples: ["set", "set rows=20 format=markdown", "set tz=Asia/Kolkata"],
                    details: "With no arguments, shows every setting with its value and default.",
                    handler: { ctx in try setSettings(&ctx) }),
        CommandSpec("drop", aliases: ["forget"], category: "session",
                    summary: "removes named values from the workspace",
                    parameters: [Parameter("names", .positional, .word, required: true, variadic: true, "the names to remove")],
                    examples: ["x = 42\ndrop x", "a = 1; b = 2; drop a b"],
                    details: Drop.details,
                    handler: { ctx in try Drop.run(&ctx) }),
    ]

    static func setSettings(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        if ctx.arguments.values.isEmpty {
            let specs = Settings.specs
            return .table(Table([
                Column("setting", .text(specs.map(\.name))),
                Column("value", .text(specs.map { ctx.workspace.settings[$0.name]?.display ?? "" })),
                Column("default", .text(specs.map(\.defaultValue.display))),
                Column("meaning", .text(specs.map(\.summary))),
            ]))
        }
        var changed: [String] = []
        for spec in Settings.specs where ctx.has(spec.name) {
            let value: Value
            switch spec.type {
            case .choice: value = .string(try ctx.choice(spec.name)!)
            case .bool: value = .bool(try ctx.bool(spec.name)!)
            case .integer:
                let n = try ctx.integer(spec.name)!
                guard n >= 0 else { throw .at(ctx.range(spec.name), "\(spec.name) must be >= 0") }
                value = .number(Number(n))
            case .word:
                let w = try ctx.path(spec.name) ?? ""
                if spec.name == "tz", TimeZone(identifier: w) == nil {
                    throw .at(ctx.range(spec.name), "unknown time zone '\(w)'",
                              suggestions: Suggest.names(for: w, among: TimeZone.knownTimeZoneIdentifiers),
                              notes: ["use an IANA name such as UTC, Asia/Kolkata, America/New_York"])
                }
                value = .string(w)
            default: value = try ctx.value(spec.name) ?? .none
            }
            ctx.workspace.settings.set(spec.name, value)
            changed.append("\(spec.name)=\(value.display)")
        }
        return .message("set " + changed.joined(separator: " "))
    }

    // MARK: - Tables (pipe verbs)

    static let tableCommands: [CommandSpec] = [
        CommandSpec("head", category: "tables", summary: "keeps the first N rows of the piped table",
                    parameters: [Parameter("n", .positional, .integer, default: "10", "how many rows")],
                    examples: ["set | head 3", "x = set\nx | head 2"], takesInput: true,
                    handler: { ctx in try headTail(&ctx, fromEnd: false) }),
        CommandSpec("tail", category: "tables", summary: "keeps the last N rows of the piped table",
                    parameters: [Parameter("n", .positional, .integer, default: "10", "how many rows")],
                    examples: ["set | tail 2", "x = set\nx | tail 1"], takesInput: true,
                    handler: { ctx in try headTail(&ctx, fromEnd: true) }),
        CommandSpec("sort", category: "tables", summary: "orders the piped table by columns (stable)",
                    parameters: [
                        Parameter("columns", .positional, .word, required: true, variadic: true,
                                  "column names, each optionally followed by asc or desc"),
                    ],
                    examples: ["set | sort setting desc", "set | sort default, setting"], takesInput: true,
                    handler: { ctx in try sortTable(&ctx) }),
    ]

    static func inputTable(_ ctx: CommandContext) throws(WorkbenchError) -> Table {
        guard let input = ctx.input else {
            throw .at(ctx.verbRange, "'\(ctx.spec.name)' works on a piped table: TABLE | \(ctx.spec.name) ...")
        }
        guard case .table(let t) = input else {
            throw .at(ctx.verbRange, "'\(ctx.spec.name)' needs a table, got \(input.kindName)")
        }
        return t
    }

    static func headTail(_ ctx: inout CommandContext, fromEnd: Bool) throws(WorkbenchError) -> Value {
        let t = try inputTable(ctx)
        let n = try ctx.integer("n") ?? 10
        guard n >= 0 else { throw .at(ctx.range("n"), "the row count must be >= 0") }
        let k = min(n, t.rowCount)
        return .table(t.slice(fromEnd ? (t.rowCount - k)..<t.rowCount : 0..<k))
    }

    static func sortTable(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let t = try inputTable(ctx)
        var keys: [(Column, Bool)] = []
        var words: [(String, SourceRange)] = []
        for e in ctx.exprs("columns") {
            if case .list(let items, _) = e {
                for i in items { words.append((try CommandContext.word(of: i), i.range)) }
            } else {
                words.append((try CommandContext.word(of: e), e.range))
            }
        }
        for (w, r) in words {
            if w == "asc" || w == "desc" {
                guard !keys.isEmpty else { throw .at(r, "'\(w)' must follow a column name") }
                keys[keys.count - 1].1 = w == "desc"
                continue
            }
            guard let c = t.column(named: w) else {
                throw .at(r, "no column '\(w)'", suggestions: Suggest.names(for: w, among: t.columnNames),
                          notes: ["columns: " + t.columnNames.joined(separator: " ")])
            }
            keys.append((c, false))
        }
        let order = Array(0..<t.rowCount).sorted { a, b in
            for (c, desc) in keys {
                let x = c.value(at: a), y = c.value(at: b)
                let cmp = Evaluator.compare(x, y) ?? (QueryEngine.isNone(x) ? (QueryEngine.isNone(y) ? 0 : 1) : -1)
                if cmp != 0 { return desc ? cmp > 0 : cmp < 0 }
            }
            return a < b
        }
        return .table(t.gather(order))
    }

    // MARK: - Dot-commands

    static let dotCommands: [CommandSpec] = [
        CommandSpec("help", category: "shell", summary: "same as help",
                    parameters: [Parameter("topic", .positional, .verb, "a command, dot-command, setting, or 'syntax'")],
                    examples: [".help", ".help .save"], isDotCommand: true,
                    handler: { ctx in .text(try Help.page(for: ctx.word("topic"), ctx: ctx)) }),
        CommandSpec("mode", category: "shell", summary: "sets the output format, or shows it",
                    parameters: [Parameter("format", .positional, .choice(OutputFormat.allCases.map(\.rawValue)), default: "table",
                                           "table csv json jsonl markdown latex")],
                    examples: [".mode csv", ".mode"], isDotCommand: true,
                    handler: { ctx in
                        guard let f = try ctx.choice("format") else {
                            return .message("mode \(ctx.workspace.settings.format.rawValue)")
                        }
                        ctx.workspace.settings.format = OutputFormat(rawValue: f)!
                        return .none
                    }),
        CommandSpec("timer", category: "shell", summary: "prints each command's wall time on stderr (on|off)",
                    parameters: [Parameter("state", .positional, .choice(["on", "off"]), required: true, "on or off")],
                    examples: [".timer on", ".timer off"], isDotCommand: true,
                    handler: { ctx in
                        ctx.workspace.settings.timer = try ctx.choice("state") == "on"
                        return .none
                    }),
        CommandSpec("bail", category: "shell", summary: "in scripts, stops at the first error (on) or keeps going (off)",
                    parameters: [Parameter("state", .positional, .choice(["on", "off"]), required: true, "on or off")],
                    examples: [".bail off", ".bail on"], isDotCommand: true,
                    handler: { ctx in
                        ctx.workspace.settings.bail = try ctx.choice("state") == "on"
                        return .none
                    }),
        CommandSpec("once", category: "shell", summary: "sends the next command's output to FILE (in the current format)",
                    parameters: [Parameter("file", .positional, .path, required: true, "the file to write")],
                    examples: [".once /tmp/settings.csv", ".once out/result.md"], isDotCommand: true,
                    handler: { ctx in
                        ctx.session.onceFile = try ctx.path("file")
                        return .none
                    }),
        CommandSpec("history", category: "shell", summary: "lists earlier statements from the journal (all sessions), optionally matching a pattern",
                    parameters: [Parameter("pattern", .positional, .word, "text the statement must contain")],
                    examples: [".history", ".history backtest"], isDotCommand: true,
                    handler: { ctx in try history(ctx) }),
        CommandSpec("save", category: "shell", summary: "writes this session's successful statements to Sessions/NAME.mithai (or a Markdown notebook), with result digests",
                    parameters: [Parameter("name", .positional, .path, required: true, "a name, or a path ending in .mithai or .md"),
                                 Parameter("kind", .positional, .choice(["script", "notebook"]), default: "script (notebook for .md)",
                                           "notebook: Markdown with each command, its output and its figures")],
                    examples: [".save my-study", ".save /tmp/check.mithai", ".save my-study notebook", ".save /tmp/study.md"],
                    details: "Replay it later with: mithai Sessions/NAME.mithai --verify (or NAME.md --verify for a notebook). See docs/REPORTS.md.",
                    isDotCommand: true, handler: { ctx in try save(ctx) }),
        CommandSpec("read", category: "shell", summary: "runs the statements of a script file in this session",
                    parameters: [Parameter("file", .positional, .path, required: true, "the script to run")],
                    examples: [".read Recipes/settings.mithai", ".read Sessions/my-study.mithai"], isDotCommand: true,
                    handler: { ctx in try readScript(&ctx) }),
        CommandSpec("vars", category: "shell", summary: "lists the named values of the workspace",
                    examples: [".vars", "x = 1; .vars"], isDotCommand: true,
                    handler: { ctx in
                        let ws = ctx.workspace
                        return .table(Table([
                            Column("name", .text(ws.names)),
                            Column("kind", .text(ws.names.map { ws[$0]?.kindName ?? "" })),
                            Column("value", .text(ws.names.map { ws[$0]?.summary ?? "" })),
                        ]))
                    }),
        CommandSpec("quit", aliases: ["exit", "q"], category: "shell", summary: "ends the session",
                    parameters: [Parameter("code", .positional, .integer, default: "0", "exit status")],
                    examples: [".quit", ".exit 3"], isDotCommand: true,
                    handler: { ctx in
                        var code: Int32 = 0
                        if let w = ctx.words.first {
                            guard let c = Int32(w.text), (0...255).contains(c) else { throw WorkbenchError.at(w.range, "the exit status must be 0...255") }
                            code = c
                        }
                        ctx.session.exitRequest = code
                        return .none
                    }),
    ]

    static func history(_ ctx: CommandContext) throws(WorkbenchError) -> Value {
        let pattern = ctx.rest(from: 0)
        if let journal = ctx.session.journal {
            let entries: [Journal.Entry]
            do { entries = try journal.history(matching: pattern, limit: 200) } catch {
                throw .failed("cannot read the journal: \(error)")
            }
            return .table(Table([
                Column("id", .int(entries.map(\.id))),
                Column("session", .int(entries.map(\.sessionID))),
                Column("started", .text(entries.map { String($0.startedAt.prefix(19)).replacingOccurrences(of: "T", with: " ") })),
                Column("outcome", .text(entries.map(\.outcome))),
                Column("statement", .text(entries.map(\.text))),
            ]))
        }
        let records = ctx.session.records.filter { pattern == nil || $0.text.contains(pattern!) }
        return .table(Table([
            Column("n", .int(records.indices.map { Int64($0 + 1) })),
            Column("outcome", .text(records.map { $0.ok ? "ok" : "error" })),
            Column("statement", .text(records.map(\.text))),
        ]))
    }

    static func save(_ ctx: CommandContext) throws(WorkbenchError) -> Value {
        let name = try ctx.path("name")!
        if try ctx.choice("kind") == "notebook" || Notebook.isMarkdown(name) {
            return try Notebook.save(ctx, name: name, range: ctx.range("name"))
        }
        let path: String
        let display: String
        if name.contains("/") || name.hasSuffix(".mithai") {
            path = (name as NSString).expandingTildeInPath
            display = (name as NSString).lastPathComponent.replacingOccurrences(of: ".mithai", with: "")
        } else {
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
                throw .at(ctx.range("name"), "a session name may hold letters, digits, '-', '_' and '.'")
            }
            path = (ctx.session.options.sessionsFolder as NSString).appendingPathComponent(name + ".mithai")
            display = name
        }
        let formatter = ISO8601DateFormatter()
        let text = ScriptFile.render(ctx.session.records, name: display, savedAt: formatter.string(from: Date()))
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw .failed("cannot write \(path): \(error.localizedDescription)")
        }
        let count = ctx.session.records.filter { $0.ok && !$0.isDotCommand }.count
        return .message("saved \(count) statement\(count == 1 ? "" : "s") to \(path)")
    }

    static func readScript(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let path = try ctx.path("file")!
        let expanded = (path as NSString).expandingTildeInPath
        guard let text = try? String(contentsOfFile: expanded, encoding: .utf8) else {
            throw .at(ctx.range("file"), "cannot read '\(path)'",
                      notes: FileManager.default.fileExists(atPath: expanded) ? ["the file is not UTF-8 text"] : ["no such file"])
        }
        let session = ctx.session
        guard session.readDepth < 16 else { throw .at(ctx.range("file"), ".read is nested too deeply (a script reading itself?)") }
        // The nested statements run on the session's workspace; give it ours first.
        session.workspace = ctx.workspace
        session.readDepth += 1
        let script = Notebook.isMarkdown(path) ? Notebook.scriptSource(fromMarkdown: text) : text
        let result = session.run(Source(script, name: path), bail: true)
        session.readDepth -= 1
        ctx.workspace = session.workspace
        if let failure = result.failure {
            if failure == .interrupted { throw .cancelled }
            throw .failed("\(path): stopped at the first failing statement (\(result.executed) run)")
        }
        return .message("read \(path): \(result.executed) statement\(result.executed == 1 ? "" : "s")")
    }
}

