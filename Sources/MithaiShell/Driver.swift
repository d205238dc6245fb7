#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
public import MithaiWorkbench
import MithaiLanguage
import MithaiStore

/// How the program was asked to run.
public struct LaunchOptions: Sendable {
    /// `-c 'stmt; stmt'`.
    public var commands: String?
    /// A script file to run.
    public var scriptPath: String?
    /// A script to run first, then continue interactively (`--init`).
    public var initScript: String?
    public var format: OutputFormat?
    public var keepGoing = false
    public var verify = false
    /// Journal database path; nil means `Sessions/journal.sqlite` under the home folder.
    public var databasePath: String?
    public var journal = true
    public var width: Int?
    /// `--shard I/N`.
    public var shard: (index: Int, count: Int)?
    /// Makes the HTTP server behind `serve` (the executable links MithaiServer).
    public var makeServer: (@Sendable () -> any SessionServer)?

    public init() {}
}

/// Runs a session in the mode the launch asks for and returns the process's exit status.
/// Interactive when stdin is a terminal (libedit); otherwise lines are read plainly, with no
/// prompt, no colour and no escape bytes.
public final class Driver {
    let launch: LaunchOptions
    let output = StandardOutput()
    let environment = ProcessInfo.processInfo.environment

    public init(_ launch: LaunchOptions) {
        self.launch = launch
    }

    /// MITHAI_HOME, or the current directory: the folder holding `Sessions/`.
    var home: String { environment["MITHAI_HOME"] ?? FileManager.default.currentDirectoryPath }

    var mode: SessionMode {
        if launch.commands != nil { return .command }
        if launch.scriptPath != nil { return .script }
        return Terminal.stdinIsTerminal ? .interactive : .pipe
    }

    func makeSession() -> Session {
        let interactive = mode == .interactive
        let style = RenderStyle(width: launch.width ?? (Terminal.width ?? 0), maxRows: 40,
                                color: interactive && Terminal.wantsColor)
        var options = SessionOptions(mode: mode, style: style, home: home)
        options.sixel = interactive && Terminal.supportsSixel()
        options.shard = launch.shard
        var journal: Journal?
        if launch.journal {
            let path = launch.databasePath ?? (options.sessionsFolder as NSString).appendingPathComponent("journal.sqlite")
            do {
                journal = try Journal(path: path, mode: mode.rawValue, source: launch.scriptPath, engineVersion: Session.engineVersion)
            } catch {
                output.write("warning: no session journal (\(error)); continuing without one\n", to: .err)
            }
        }
        let session = Session(options: options, output: output, journal: journal, cancellation: Interrupts.cancellation)
        if interactive && Terminal.stdoutIsTerminal { LivePanelHost.install(TerminalPanel()) }
        if isatty(2) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" {
            session.progress = ProgressBar(output: output)
        }
        session.server = launch.makeServer?()
        if let format = launch.format { session.workspace.settings.format = format }
        if launch.keepGoing { session.workspace.settings.bail = false }
        return session
    }

    public func run() -> Int32 {
        Interrupts.install()
        let session = makeSession()
        defer { session.journal?.endSession() }
        // Scripts and pipes wait for running live sessions; an interactive exit stops them.
        // Then the alerts they fired are delivered (printed in order, journaled).
        defer {
            if mode == .interactive { LiveSessions.stopAll() } else { LiveSessions.waitAll() }
            session.deliverPendingAlerts()
        }
        switch mode {
        case .command:
            let result = session.run(Source(launch.commands ?? "", name: "<command line>"))
            let code = session.exitRequest ?? result.failure?.rawValue ?? 0
            return code == 0 ? waitWhileServing(session) : code
        case .script:
            let code = runScript(launch.scriptPath!, session: session)
            return code == 0 && session.exitRequest == nil ? waitWhileServing(session) : code
        case .pipe:
            return runPiped(session)
        case .interactive:
            if let initScript = launch.initScript {
                let code = runScript(initScript, session: session)
                if code != 0 { output.write("(\(initScript) did not finish cleanly; the session goes on)\n", to: .err) }
                if let exit = session.exitRequest { return exit }
            }
            return runInteractive(session)
        }
    }

    /// After `-c` or a script that started `serve`, the process keeps serving until Ctrl-C
    /// (or SIGTERM), then stops the server cleanly.
    func waitWhileServing(_ session: Session) -> Int32 {
        guard let server = session.server, let url = server.url else { return 0 }
        // Replaying a saved session checks results; it does not keep a server up.
        if launch.verify { server.stop(); return 0 }
        output.write("serving \(url) until interrupted (Ctrl-C)\n", to: .err)
        Interrupts.reset()
        while server.url != nil && !Interrupts.cancellation.isCancelled {
            usleep(100_000)
        }
        server.stop()
        output.write("stopped serving \(url)\n", to: .err)
        return 0
    }

    func runScript(_ path: String, session: Session) -> Int32 {
        let expanded = (path as NSString).expandingTildeInPath
        guard let text = try? String(contentsOfFile: expanded, encoding: .utf8) else {
            output.write("mithai: cannot read \(path)\n", to: .err)
            return MithaiWorkbench.ExitCode.noInput.rawValue
        }
        // A Markdown notebook runs its ```mithai blocks (line numbers stay the notebook's).
        let source = Source(Notebook.isMarkdown(path) ? Notebook.scriptSource(fromMarkdown: text) : text, name: path)
        var expectations: [Int: ScriptFile.Expectation] = [:]
        if launch.verify {
            let parsed = Parser.parse(source)
            expectations = ScriptFile.expectations(in: source, statements: parsed.statements)
        }
        let result = session.run(source, expectations: expectations)
        if launch.verify && result.failure == nil && session.exitRequest == nil {
            output.write("verified \(path): \(expectations.count) recorded result\(expectations.count == 1 ? "" : "s") reproduced, \(result.executed) statement\(result.executed == 1 ? "" : "s") run\n", to: .err)
        }
        return session.exitRequest ?? result.failure?.rawValue ?? 0
    }

    /// `mithai verify REPORT`: re-runs the script embedded in a report and checks its numbers,
    /// figures and data files (see `ReportVerifier`).
    public func verifyReport(_ path: String) -> Int32 {
        Interrupts.install()
        let session = makeSession()
        defer { session.journal?.endSession() }
        return ReportVerifier.verify(path: path, session: session).rawValue
    }

    /// Piped input: statements run as soon as they are complete; line numbers are kept for
    /// error messages (`<stdin>:12:5: error: ...`).
    func runPiped(_ session: Session) -> Int32 {
        var pending = ""
        var pendingFirstLine = 1
        var lineNumber = 0
        var firstFailure: Int32?
        func flush(final: Bool) -> Bool {
            guard !pending.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { pending = ""; return true }
            let result = session.run(Source(pending, name: "<stdin>", firstLine: pendingFirstLine), allowIncomplete: !final)
            session.deliverPendingAlerts()
            if result.incomplete { return true }
            pending = ""
            if let failure = result.failure {
                firstFailure = firstFailure ?? failure.rawValue
                if session.workspace.settings.bail || failure == .interrupted { return false }
            }
            return session.exitRequest == nil
        }
        while let line = readLine(strippingNewline: false) {
            lineNumber += 1
            if pending.isEmpty { pendingFirstLine = lineNumber }
            pending += line
            if !flush(final: false) { break }
            if output.brokenPipe { break }
        }
        if !pending.isEmpty && firstFailure == nil || (!pending.isEmpty && !session.workspace.settings.bail) { _ = flush(final: true) }
        return session.exitRequest ?? firstFailure ?? 0
    }

    func runInteractive(_ session: Session) -> Int32 {
        let historyPath = environment["MITHAI_HISTORY"] ?? environment["HOME"].map { ($0 as NSString).appendingPathComponent(".mithai_history") }
        let reader = EditLineReader(prompt: session.options.prompt, historyPath: historyPath)
        EditLineReader.completer = { line, cursor in Completer.complete(line: line, cursor: cursor, session: session) }
        // Alerts fired by a live session wake the prompt and print above it.
        EditLineReader.noticeFD = session.alertInbox.wakeFD
        EditLineReader.takeNotices = {
            var text = ""
            let previous = session.noticePrinter
            session.noticePrinter = { text += $0 }
            session.deliverPendingAlerts()
            session.noticePrinter = previous
            return text
        }
        let banner = "Mithai \(Session.engineVersion) — research workbench for HFT and market making. Type help, or .quit to leave.\n"
        output.write(session.options.style.color ? "\u{1B}[38;5;214m" + banner + "\u{1B}[0m" : banner, to: .out)
        var pending: [String] = []
        while session.exitRequest == nil {
            Interrupts.reset()
            switch reader.readLine(continuation: !pending.isEmpty) {
            case .endOfInput:
                output.write("\n", to: .out)
                return 0
            case .interrupted:
                output.write("^C\n", to: .out)
                pending = []
            case .line(let line):
                pending.append(line)
                let text = pending.joined(separator: "\n")
                let result = session.run(Source(text, name: "<stdin>"), allowIncomplete: true)
                if result.incomplete { continue }
                reader.remember(pending.map { $0.hasSuffix("\\") ? String($0.dropLast()) : $0 }.joined(separator: " "))
                pending = []
            }
        }
        return session.exitRequest ?? 0
    }
}
