import Foundation
public import MithaiLanguage
public import MithaiStore
import Synchronization
import Crypto
import MithaiPlotting

/// Where printed output goes. The shell writes to the terminal; tests capture it.
public protocol OutputSink: AnyObject {
    func write(_ text: String, to stream: OutputStreamKind)
}

public enum OutputStreamKind: Sendable { case out, err }

/// sysexits-style exit codes of the `mithai` program.
public enum ExitCode: Int32, Sendable {
    case ok = 0
    /// `--verify` found a result that differs from the recorded one.
    case verifyFailed = 1
    case usage = 64
    /// A user error: bad syntax, unknown command, bad data.
    case dataError = 65
    case noInput = 66
    case `internal` = 70
    case interrupted = 130
}

/// Set from a signal handler, polled by long-running work.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public func reset() { flag.store(false, ordering: .relaxed) }
}

public enum SessionMode: String, Sendable {
    case interactive, script, pipe, command
}

/// How a session was started.
public struct SessionOptions: Sendable {
    public var mode: SessionMode
    public var style: RenderStyle
    /// Folder holding `Sessions/` (MITHAI_HOME, or the current directory).
    public var home: String
    /// The prompt, so interactive error carets line up under the typed text.
    public var prompt: String
    public var engineVersion: String
    /// The terminal shows sixel graphics: charts without `to` are drawn as pictures.
    public var sixel = false
    /// `--shard I/N`: every `sweep` runs only the grid positions k with k mod N = I - 1.
    public var shard: (index: Int, count: Int)?

    public init(mode: SessionMode, style: RenderStyle = RenderStyle(), home: String = ".",
                prompt: String = "mithai> ", engineVersion: String = Session.engineVersion) {
        self.mode = mode
        self.style = style
        self.home = home
        self.prompt = prompt
        self.engineVersion = engineVersion
    }

    public var sessionsFolder: String { (home as NSString).appendingPathComponent("Sessions") }
}

/// The interpreter: runs statements against the workspace, prints results, journals every
/// statement, and keeps the record `.save` writes out.
public final class Session {
    public static let engineVersion = "0.1.0"

    public var workspace = Workspace()
    public let registry: CommandRegistry
    public var journal: Journal?
    public let output: any OutputSink
    public var options: SessionOptions
    public let cancellation: Cancellation
    /// Statements run in this session, in order.
    public private(set) var records: [Record] = []
    /// Set by `.quit`: the shell exits with this code after the current statement.
    public var exitRequest: Int32?
    /// Set by `.once FILE`: the next statement's output goes to this file.
    var onceFile: String?
    /// The source of the statement being run (commands use it for raw text and carets).
    public private(set) var currentSource: Source?
    /// Set by commands whose result depends on the wall clock (timings): the statement is
    /// saved without a digest, so `--verify` runs it without comparing.
    var resultIsVolatile = false
    public func markResultVolatile() { resultIsVolatile = true }

    /// The journal row of the statement being run (for artifacts it writes).
    var currentCommandID: Int64?
    /// The session's gnuplot, started on the first chart.
    lazy var gnuplot: Gnuplot = {
        let g = Gnuplot()
        let c = cancellation
        g.isCancelled = { c.isCancelled }
        return g
    }()

    /// Run storage in the journal's database (nil without a journal).
    lazy var runStore: RunStore? = journal.flatMap { try? RunStore(database: $0.database) }

    /// Records a file the current statement wrote (chart, export, report) in the journal.
    public func recordArtifact(kind: String, path: String) {
        guard let journal, let id = currentCommandID else { return }
        withJournal { try journal.addArtifact(commandID: id, kind: kind, path: path) }
    }

    /// Alerts fired off the main thread (a live session) wait here until the shell delivers
    /// them (`deliverPendingAlerts`); the shell polls `alertInbox.wakeFD` at the prompt.
    public let alertInbox = AlertInbox()
    /// Prints a notice above the prompt without breaking the line being typed (set by the
    /// interactive shell; nil prints it as ordinary output).
    public var noticePrinter: ((String) -> Void)?
    /// Draws progress of long commands (terminal only).
    public var progress: (any ProgressReporter)?
    /// The lock every statement holds while it runs; other threads (the `serve` server) take it
    /// with `access.exclusive` before they read the workspace, so they never see it mid-change.
    public let access: SessionAccess
    /// The bot that `serve` exposes (`/api/hft/...`): the session's live session (`live ...`,
    /// from the shell or the API), or a backtest replayed against the clock (`dataset=`).
    public var live: any LiveControl
    /// The HTTP server behind `serve` (set by the executable; nil where none is linked).
    public var server: (any SessionServer)?
    /// Depth of nested `.read`, to stop runaway recursion.
    var readDepth = 0
    private var journalWarned = false

    /// One executed statement.
    public struct Record: Sendable {
        public var text: String
        public var ok: Bool
        public var isDotCommand: Bool
        public var summary: String
        public var digest: String?
        /// What the statement printed (no colour, no row limit beyond the session's), for notebooks.
        public var output = ""
        /// The chart file the statement wrote, if any (notebooks show it inline).
        public var figure: String?
    }

    public init(options: SessionOptions, output: any OutputSink, journal: Journal? = nil,
                cancellation: Cancellation = Cancellation(), registry: CommandRegistry = Commands.standard) {
        self.options = options
        self.output = output
        self.journal = journal
        self.cancellation = cancellation
        self.registry = registry
        let access = SessionAccess()
        self.access = access
        self.live = SessionLiveControl(access: access)
        access.attach(self)
    }

    public var style: RenderStyle {
        var s = options.style
        if workspace.settings.width > 0 { s.width = workspace.settings.width }
        s.maxRows = workspace.settings.rows
        return s
    }

    public func print(_ text: String, to stream: OutputStreamKind = .out) {
        output.write(text, to: stream)
    }

    // MARK: - Running text

    /// The outcome of running a piece of text.
    public struct RunResult: Sendable {
        /// The text ends inside a construct: read another line and run the whole again.
        public var incomplete = false
        /// Exit code of the first failure (nil if all succeeded).
        public var failure: ExitCode?
        /// Statements run.
        public var executed = 0
    }

    /// Parses and runs `source` statement by statement. A parse error anywhere runs nothing.
    /// With `expectations` (statement index -> recorded digest), results are verified.
    @discardableResult
    public func run(_ source: Source, bail: Bool? = nil, expectations: [Int: ScriptFile.Expectation] = [:],
                    allowIncomplete: Bool = false) -> RunResult {
        var result = RunResult()
        let parsed = Parser.parse(source)
        if parsed.isIncomplete {
            if allowIncomplete { result.incomplete = true; return result }
            let end = SourceRange(source.bytes.count, source.bytes.count)
            report(.diagnostic(Diagnostic("unexpected end of input: a bracket, quote or '|' is not closed", at: end)), in: source)
            result.failure = .dataError
            return result
        }
        if parsed.hasErrors {
            for d in parsed.diagnostics { report(.diagnostic(d), in: source) }
            journalParseFailure(source, parsed.diagnostics)
            result.failure = .dataError
            return result
        }
        let stopAtFirst = bail ?? (options.mode != .interactive && workspace.settings.bail)
        for (index, statement) in parsed.statements.enumerated() {
            if exitRequest != nil { break }
            let outcome = execute(statement, in: source, expectation: expectations[index])
            result.executed += 1
            // Scripts, pipes and -c: alerts of live sessions print between statements, but only
            // while no session is running, so where they print does not depend on pacing (a
            // running session's alerts come with `wait`, `stop`, `pause`, or at the end).
            if options.mode != .interactive && !LiveSessions.anyRunning { deliverPendingAlerts() }
            if let code = outcome, result.failure == nil || result.failure == .verifyFailed && code != .verifyFailed {
                result.failure = code
            }
            if outcome != nil && (stopAtFirst || outcome == .interrupted) { break }
        }
        return result
    }

    private func journalParseFailure(_ source: Source, _ diagnostics: [Diagnostic]) {
        guard let journal else { return }
        let text = source.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return }
        withJournal {
            let id = try journal.begin(text: text)
            try journal.finish(id: id, durationNanos: 0, outcome: .error,
                               error: diagnostics.map { $0.description }.joined(separator: "\n"))
        }
    }

    private func withJournal(_ body: () throws -> Void) {
        do { try body() } catch {
            if !journalWarned {
                journalWarned = true
                print("warning: the session journal could not be written: \(error)\n", to: .err)
            }
        }
    }

    /// Bloomberg-style mnemonics: `BTCUSDT BOOK` is sugar for a canonical command, which is
    /// echoed (so the short form teaches the long one) and journaled instead of the mnemonic.
    static let mnemonics: [String: @Sendable (String) -> String] = [
        "BOOK": { "book \($0) depth 10" },
        "DES": { "instrument \($0)" },
        "GP": { "plot (select px: last px by 1m from trades(\($0))) as line" },
        "TRADES": { "trades(\($0)) | tail 20" },
        "QUOTES": { "quotes(\($0)) | tail 20" },
    ]

    /// The canonical text for `NAME MNEMONIC`, when `statement` is one and NAME is a dataset
    /// (by name, or by its symbol in any case).
    func expandMnemonic(_ statement: Statement) -> String? {
        guard case .pipeline(let p) = statement, p.stages.count == 1, case .command(let c) = p.stages[0],
              registry.lookup(c.verb) == nil, c.arguments.count == 1, c.arguments[0].label == nil,
              let word = c.arguments[0].value.word, let expand = Session.mnemonics[word.uppercased()], word == word.uppercased() else { return nil }
        let datasets = DataCommands.allDatasets(workspace)
        guard let d = datasets.first(where: { $0.name == c.verb }) ?? datasets.first(where: { $0.instrument.symbol.uppercased() == c.verb.uppercased() })
        else { return nil }
        return expand(d.name)
    }

    /// Runs one statement; returns nil on success or the failure's exit code.
    func execute(_ statement: Statement, in source: Source, expectation: ScriptFile.Expectation? = nil) -> ExitCode? {
        access.lock.lock()
        defer { access.lock.unlock() }
        if let canonical = expandMnemonic(statement) {
            let expanded = Source(canonical, name: source.name, firstLine: source.firstLine + source.line(containing: statement.range.lower).index)
            let parsed = Parser.parse(expanded)
            if let first = parsed.statements.first, parsed.statements.count == 1, !parsed.hasErrors {
                print("→ \(canonical)\n", to: .err)
                return execute(first, in: expanded, expectation: expectation)
            }
        }
        let text = source.slice(statement.range).trimmingCharacters(in: .whitespacesAndNewlines)
        var journalID: Int64?
        if let journal { withJournal { journalID = try journal.begin(text: text) } }
        let previousCommandID = currentCommandID
        currentCommandID = journalID
        defer { currentCommandID = previousCommandID }
        let clock = ContinuousClock()
        let start = clock.now
        let previousSource = currentSource
        currentSource = source
        defer { currentSource = previousSource }
        cancellation.reset()
        var isDot = false
        if case .dotCommand = statement { isDot = true }
        var ws = workspace
        defer { progress?.finish() }
        do {
            let value = try evaluate(statement, in: &ws)
            let elapsed = clock.now - start
            workspace = ws
            // Running live sessions check the rules as they are now.
            alertInbox.publish(workspace.alerts)
            if !isDot, !isPresentational(value) { workspace.last = value }
            if case .assignment = statement {} else { emit(value) }
            let digest = isDot || resultIsVolatile ? nil : Session.digest(of: value)
            resultIsVolatile = false
            let summary = value.summary
            var record = Record(text: text, ok: true, isDotCommand: isDot, summary: summary, digest: digest)
            if !isDot {
                var printed = true
                if case .assignment = statement { printed = false }
                (record.output, record.figure) = Notebook.capture(value, printed: printed, session: self)
            }
            records.append(record)
            if let journal, let journalID {
                withJournal { try journal.finish(id: journalID, durationNanos: nanos(elapsed), outcome: .ok, summary: summary, digest: digest) }
            }
            if workspace.settings.timer { print("time: \(Format.real(seconds(elapsed))) s\n", to: .err) }
            if let expectation, let digest, !digest.hasPrefix(expectation.digest) {
                let line = source.firstLine + source.line(containing: statement.range.lower).index
                print("\(source.name):\(line): verify failed: `\(text)`\n  recorded: \(expectation.summary) [sha256:\(expectation.digest)]\n  now:      \(summary) [sha256:\(String(digest.prefix(expectation.digest.count)))]\n", to: .err)
                return .verifyFailed
            }
            return nil
        } catch {
            resultIsVolatile = false
            let elapsed = clock.now - start
            let code: ExitCode
            let outcome: Journal.Outcome
            switch error {
            case .cancelled: code = .interrupted; outcome = .cancelled
            case .internal: code = .internal; outcome = .error
            default: code = .dataError; outcome = .error
            }
            let rendered = report(error, in: source)
            records.append(Record(text: text, ok: false, isDotCommand: isDot, summary: rendered, digest: nil))
            if let journal, let journalID {
                withJournal { try journal.finish(id: journalID, durationNanos: nanos(elapsed), outcome: outcome, error: rendered) }
            }
            return code
        }
    }

    /// Runs statements for another thread (the `serve` API) as if they had been typed, as one
    /// unit: against one copy of the workspace, committed only if all succeed (else the error of
    /// the first that failed, with its index). They are journaled and kept for `.save` (without
    /// a digest: a request's clock started them); nothing is printed but one notice line each on
    /// stderr (`serve: TEXT`). The caller holds `access` (`access.exclusive`).
    public func executeOnBehalf(_ texts: [String]) throws(OnBehalfError) -> Value {
        var ws = workspace
        var values: [Value] = []
        let previousSource = currentSource
        defer { currentSource = previousSource; resultIsVolatile = false }
        for (index, text) in texts.enumerated() {
            let source = Source(text, name: "<serve>")
            let parsed = Parser.parse(source)
            do throws(WorkbenchError) {
                if let d = parsed.diagnostics.first { throw WorkbenchError.diagnostic(d) }
                guard parsed.statements.count == 1 else { throw WorkbenchError.failed("expected one statement: \(text)") }
                currentSource = source
                values.append(try evaluate(parsed.statements[0], in: &ws))
            } catch {
                if let journal {
                    withJournal {
                        let id = try journal.begin(text: text)
                        try journal.finish(id: id, durationNanos: 0, outcome: .error, error: "\(error)")
                    }
                }
                throw OnBehalfError(index: index, error: error)
            }
        }
        workspace = ws
        for (text, value) in zip(texts, values) {
            records.append(Record(text: text, ok: true, isDotCommand: false, summary: value.summary, digest: nil))
            if let journal {
                withJournal {
                    let id = try journal.begin(text: text)
                    try journal.finish(id: id, durationNanos: 0, outcome: .ok, summary: value.summary, digest: nil)
                }
            }
            print("serve: \(text)\n", to: .err)
        }
        return values.last ?? .none
    }

    /// Which statement of `executeOnBehalf` failed, and why.
    public struct OnBehalfError: Error {
        public var index: Int
        public var error: WorkbenchError
    }

    private func isPresentational(_ v: Value) -> Bool {
        switch v {
        case .none, .text, .message: true
        default: false
        }
    }

    private func nanos(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }

    private func seconds(_ d: Duration) -> Double { Double(nanos(d)) / 1e9 }

    /// Prints a result, to the `.once` file if one is pending.
    func emit(_ value: Value) {
        if case .none = value { return }
        let format = workspace.settings.format
        var style = self.style
        if let path = onceFile {
            onceFile = nil
            style.color = false
            style.maxRows = 0
            style.width = 0
            let text = Renderer.render(value, format: format, style: style)
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                print("wrote \(path)\n", to: .err)
            } catch {
                print("error: cannot write \(path): \(error.localizedDescription)\n", to: .err)
            }
            return
        }
        let text = Renderer.render(value, format: format, style: style)
        guard !text.isEmpty else { return }
        // Confirmations (messages, and the one-line display of a dataset, strategy, run or chart)
        // go to stderr in machine formats, so stdout stays parseable.
        switch value {
        case .message, .object: if format.isMachineReadable { print(text, to: .err); return }
        default: break
        }
        print(text)
    }

    /// Renders an error once, with a caret under the source range; returns the text.
    @discardableResult
    public func report(_ error: WorkbenchError, in source: Source) -> String {
        let text: String
        switch error {
        case .diagnostic(let d):
            let singleLine = !source.text.trimmingCharacters(in: .newlines).contains("\n")
            let interactive = options.mode == .interactive && singleLine && source.name == "<stdin>"
            text = d.render(in: source, prompt: interactive ? options.prompt : nil)
        case .failed(let message): text = "error: \(message)\n"
        case .cancelled: text = "cancelled\n"
        case .internal(let message): text = "internal error: \(message)\n"
        }
        print(text, to: .err)
        return text.trimmingCharacters(in: .newlines)
    }

    /// First 16 hex digits of the SHA-256 of a value's canonical form.
    public static func digest(of value: Value) -> String {
        let hash = SHA256.hash(data: Data(value.canonical.utf8))
        return hash.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: - Evaluation

    func evaluate(_ statement: Statement, in ws: inout Workspace) throws(WorkbenchError) -> Value {
        switch statement {
        case .pipeline(let p):
            return try evaluate(p, in: &ws)
        case .assignment(let name, let range, let value):
            if registry.lookup(name) != nil {
                throw .at(range, "'\(name)' is a command; choose another name")
            }
            if name == "_" { throw .at(range, "'_' always holds the last result; it cannot be assigned") }
            let v = try evaluate(value, in: &ws)
            ws.define(name, v)
            return v
        case .dotCommand(let d):
            return try runDotCommand(d, in: &ws)
        }
    }

    public func evaluate(_ pipeline: Pipeline, in ws: inout Workspace) throws(WorkbenchError) -> Value {
        var input: Value?
        for stage in pipeline.stages {
            if cancellation.isCancelled { throw .cancelled }
            input = try evaluate(stage, input: input, in: &ws)
        }
        return input ?? .none
    }

    func evaluate(_ stage: Stage, input: Value?, in ws: inout Workspace) throws(WorkbenchError) -> Value {
        switch stage {
        case .command(let c):
            return try runCommand(c, input: input, in: &ws)
        case .expression(let e):
            if input != nil { throw .at(e.range, "a value cannot take piped input; use a command such as 'head' or 'where'") }
            return try evaluate(e, in: &ws)
        case .query(let q):
            return try QueryEngine.run(q, input: input, session: self, in: &ws)
        case .filter(let conditions, let range):
            guard let input else { throw .at(range, "'where' filters piped input: TABLE | where CONDITION") }
            return try QueryEngine.filter(input, conditions: conditions, range: range, session: self, in: &ws)
        }
    }

    public func evaluate(_ e: Expr, in ws: inout Workspace) throws(WorkbenchError) -> Value {
        var evaluator = Evaluator(session: self)
        return try evaluator.evaluate(e, in: &ws)
    }

    func runCommand(_ c: Command, input: Value?, in ws: inout Workspace) throws(WorkbenchError) -> Value {
        guard let spec = registry.lookup(c.verb), !spec.isDotCommand else {
            if ws[c.verb] != nil && !c.arguments.isEmpty {
                throw .at(c.verbRange, "'\(c.verb)' is a value, not a command",
                          notes: ["to use it in arithmetic, put spaces around operators: \(c.verb) / x"])
            }
            if c.arguments.isEmpty, let v = ws[c.verb] {
                if input != nil { throw .at(c.verbRange, "'\(c.verb)' is a value, not a command: it cannot take piped input") }
                return v
            }
            let suggestions = (registry.suggestions(for: c.verb) + Suggest.names(for: c.verb, among: ws.names)).filter { $0 != c.verb }
            let what = c.arguments.isEmpty ? "unknown command or name" : "unknown command"
            throw .at(c.verbRange, "\(what) '\(c.verb)'", suggestions: suggestions,
                      notes: ["type 'help' for the list of commands"])
        }
        if input != nil && !spec.takesInput {
            throw .at(c.verbRange, "'\(spec.name)' does not take piped input")
        }
        let bound = try Binder.bind(c, to: spec)
        var context = CommandContext(spec: spec, arguments: bound, input: input, workspace: ws, session: self,
                                     verbRange: c.verbRange, words: [])
        let value = try runHandler(spec, &context)
        ws = context.workspace
        return value
    }

    private func runHandler(_ spec: CommandSpec, _ context: inout CommandContext) throws(WorkbenchError) -> Value {
        do {
            return try spec.handler(&context)
        } catch let e as WorkbenchError {
            throw e
        } catch {
            throw .internal("\(spec.name): \(error)")
        }
    }

    func runDotCommand(_ d: DotCommand, in ws: inout Workspace) throws(WorkbenchError) -> Value {
        guard let spec = registry.lookup("." + d.name), spec.isDotCommand else {
            throw .at(d.nameRange, "unknown dot-command '.\(d.name)'", suggestions: registry.suggestions(for: "." + d.name),
                      notes: ["dot-commands: " + registry.dotNames.joined(separator: " ")])
        }
        var bound = BoundArguments(commandRange: d.range)
        let positional = spec.parameters.filter { $0.form == .positional }
        for (i, w) in d.words.enumerated() {
            guard let p = i < positional.count ? positional[i] : positional.last(where: \.variadic) else {
                throw .at(w.range, "unexpected argument '\(w.text)' to .\(spec.name)", notes: ["usage: .\(spec.synopsis)"])
            }
            bound.values[p.name, default: []].append(.name(w.text, w.range))
            bound.ranges[p.name] = bound.ranges[p.name].map { $0.union(w.range) } ?? w.range
        }
        for p in spec.parameters where p.required && bound.values[p.name] == nil {
            throw .at(SourceRange(d.range.upper, d.range.upper + 1), ".\(spec.name) needs \(p.name.uppercased())",
                      notes: ["usage: .\(spec.synopsis)"])
        }
        var context = CommandContext(spec: spec, arguments: bound, input: nil, workspace: ws, session: self,
                                     verbRange: d.nameRange, words: d.words)
        let value = try runHandler(spec, &context)
        ws = context.workspace
        return value
    }
}
