import ArgumentParser
import MithaiShell
import MithaiWorkbench
import MithaiServer

/// The `mithai` program: flags and exit codes only; everything else lives in the libraries.
struct Mithai: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mithai",
        abstract: "A research workbench for high-frequency trading and market making.",
        discussion: "`mithai [script] [options]` runs the shell (see `mithai shell --help` for its options).",
        version: Session.engineVersion,
        subcommands: [Shell.self, Bench.self, Verify.self, Serve.self],
        defaultSubcommand: Shell.self)
}

/// `mithai verify REPORT`: re-runs the script embedded in a report and checks every number and figure.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-runs the session script embedded in a report (.md, .html, .tex) and checks that every number and figure is reproduced.",
        discussion: "Fails (exit 1) when a data file's content hash differs from the one the report recorded, or when any statistic or figure's data differs. Notebooks (.md) and scripts (.mithai) without a report record are replayed as with --verify.")

    @Argument(help: "The report (or notebook, or script) to check.") var report: String
    @Option(help: "The session journal database (default: Sessions/journal.sqlite under MITHAI_HOME or the current folder).") var db: String?
    @Flag(help: "Do not record the replay in the journal.") var noJournal = false

    func run() throws {
        var launch = LaunchOptions()
        launch.scriptPath = report
        launch.databasePath = db
        launch.journal = !noJournal
        let code = Driver(launch).verifyReport(report)
        if code != 0 { throw ArgumentParser.ExitCode(code) }
    }
}

/// `mithai bench ...`: speed and parity figures as one JSON line each.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print one JSON line (compare with ../shared/bench).",
        subcommands: [Replay.self, Grid.self, Strategy.self, IndicatorKernels.self, Live.self])

    struct IndicatorKernels: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "indicators",
            abstract: "Times each indicator kernel over a seeded random walk; prints nanoseconds per point.")
        @Option(help: "Points in the series.") var points: Int = 1_000_000
        @Option(help: "Runs per kernel; the median is reported.") var repeats: Int = 5

        func run() throws {
            let code = Benchmarks.indicators(points: points, repeats: repeats)
            if code != 0 { throw ArgumentParser.ExitCode(code) }
        }
    }

    struct Grid: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Runs the grid market maker with the reference configuration of ../shared/bench (bench_grid.py's defaults).")
        @Argument(help: "Any supported file: hftbacktest .npz, the bench CSV, a Binance capture, ...") var file: String
        @Option(help: "Tick size (price step).") var tick: String?
        @Option(help: "Lot size (quantity step).") var lot: String?
        @Option(help: "Input format (detected when omitted).") var format: String?
        @Option(help: "Queue model: risk_averse (default), power_prob_N, power_prob2_N, power_prob3_N, log_prob, log_prob2.") var queue: String?
        @Option(help: "Order latency in ms: ENTRY or ENTRY,RESPONSE (default 10).") var latency: String?
        @Option(help: "full (no partial fills, default) or partial.") var fill: String?
        @Flag(help: "Exact integer grid prices instead of the reference's float arithmetic.") var exactGrid = false
        @Flag(help: "Do not use or write the binary cache.") var noCache = false

        func run() throws {
            let code = Benchmarks.grid(path: file, tick: tick, lot: lot, format: format, queue: queue, latency: latency,
                                       fill: fill, cache: !noCache, exactGrid: exactGrid)
            if code != 0 { throw ArgumentParser.ExitCode(code) }
        }
    }

    struct Strategy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Runs one market-making strategy (grid, spread, as, glft) at its defaults with the bench configuration; prints its speed.")
        @Argument(help: "grid, spread, as or glft.") var kind: String
        @Argument(help: "Any supported file: hftbacktest .npz, the bench CSV, a Binance capture, ...") var file: String
        @Option(help: "Tick size (price step).") var tick: String?
        @Option(help: "Lot size (quantity step).") var lot: String?
        @Option(help: "Input format (detected when omitted).") var format: String?
        @Option(help: "Run this many times and report the median.") var repeats: Int = 1
        @Option(help: "Run the file as this many instruments in one multi-instrument run.") var instruments: Int = 1
        @Option(name: .customLong("guard"), help: "Adverse-selection guard: off (default), widen, pull.") var guardMode: String?
        @Option(name: .customLong("sizing"), help: "Volatility sizing: off (default), ewma, garch.") var sizingMode: String?
        @Flag(help: "Do not use or write the binary cache.") var noCache = false

        func run() throws {
            let code = Benchmarks.strategy(kind: kind, path: file, tick: tick, lot: lot, format: format, repeats: repeats,
                                           instruments: instruments, guardMode: guardMode, sizingMode: sizingMode, cache: !noCache)
            if code != 0 { throw ArgumentParser.ExitCode(code) }
        }
    }

    struct Live: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A zero-intelligence live venue with the grid bot at speed=max: simulated events/s on one core, and how long commands wait for the session meanwhile.")
        @Option(help: "Instrument preset.") var preset: String = "binance:BTCUSDT"
        @Option(help: "Simulated seconds.") var seconds: Int = 600
        @Option(help: "Seed.") var seed: Int = 1
        @Option(help: "Multiply the preset's order rates (a busier market).") var rateScale: Double = 10

        func run() throws {
            guard let pairs = LiveBenchmark.run(preset: preset, seconds: Int64(seconds), seed: UInt64(seed), rateScale: rateScale) else {
                throw ValidationError("unknown preset \(preset)")
            }
            print("{" + pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replays a dataset through the L2 book with no orders; prints speed, memory and the final book digest.")
        @Argument(help: "Any supported file: Binance capture, LOBSTER, hftbacktest .npz, the bench CSV, ...") var file: String
        @Option(help: "Tick size (price step).") var tick: String?
        @Option(help: "Lot size (quantity step).") var lot: String?
        @Option(help: "Input format (detected when omitted).") var format: String?
        @Option(help: "Replay this many times and report the median.") var repeats: Int = 1
        @Flag(help: "Do not use or write the binary cache.") var noCache = false

        func run() throws {
            let code = Benchmarks.replay(path: file, tick: tick, lot: lot, format: format, repeats: repeats, cache: !noCache)
            if code != 0 { throw ArgumentParser.ExitCode(code) }
        }
    }
}

/// The shell: interactive, a script, piped input, or -c.
struct Shell: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "A research workbench for high-frequency trading and market making.",
        discussion: """
        With no script and a terminal on stdin, starts the interactive shell. Piped input is read \
        as a script: `cat study.mithai | mithai`. Exit status: 0 ok, 1 --verify found a different \
        result, 64 usage, 65 bad input (syntax, unknown command, bad data), 66 missing file, \
        70 internal error, 130 interrupted.
        """,
        version: Session.engineVersion)

    @Argument(help: "A script to run (.mithai).")
    var script: String?

    @Option(name: .customShort("c"), help: "Run these statements (separated by ';' or newlines) and exit.")
    var commands: String?

    @Option(help: "Output format: table, csv, json, jsonl, markdown or latex.")
    var format: String?

    @Flag(help: "Keep going after a failing statement (the exit status still reports the first failure).")
    var keepGoing = false

    @Flag(help: "Check every result against the digest recorded in the script; exit 1 on a difference.")
    var verify = false

    @Option(help: "The session journal database (default: Sessions/journal.sqlite under MITHAI_HOME or the current folder).")
    var db: String?

    @Flag(help: "Do not record the session in the journal.")
    var noJournal = false

    @Option(name: .customLong("init"), help: "Run this script first, then continue interactively.")
    var initScript: String?

    @Option(help: "Columns available to tables (default: the terminal's width; unlimited when piped).")
    var width: Int?

    @Option(help: "Run only shard I of N of every sweep (grid positions k with k mod N = I - 1), e.g. 2/4.")
    var shard: String?

    @Option(help: "With --shard: the SQLite file that receives this shard's runs (bring shards together with `merge`).")
    var out: String?

    func validate() throws {
        if let format, OutputFormat(rawValue: format) == nil {
            throw ValidationError("unknown format '\(format)'; use one of: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if commands != nil && script != nil { throw ValidationError("give either -c or a script, not both") }
        if verify && script == nil { throw ValidationError("--verify needs a script file") }
        if let shard {
            let parts = shard.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
                throw ValidationError("--shard is I/N with 1 <= I <= N, e.g. 2/4")
            }
            if out == nil { throw ValidationError("--shard needs --out FILE.db for the shard's runs") }
        }
    }

    func run() throws {
        var launch = LaunchOptions()
        launch.commands = commands
        launch.scriptPath = script
        launch.initScript = initScript
        launch.format = format.flatMap(OutputFormat.init(rawValue:))
        launch.keepGoing = keepGoing
        launch.verify = verify
        launch.databasePath = db
        launch.journal = !noJournal
        launch.width = width
        if let shard {
            let parts = shard.split(separator: "/").compactMap { Int($0) }
            launch.shard = (parts[0], parts[1])
            launch.databasePath = out
            launch.journal = true
        }
        launch.makeServer = { MithaiHTTPServer() }
        let code = Driver(launch).run()
        if code != 0 { throw ArgumentParser.ExitCode(code) }
    }
}

/// `mithai serve [port=N] [host=H] [token=T] [--init FILE]`: the shell's `serve` command as a
/// process that serves until interrupted.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serves a session over HTTP (REST API, WebSocket streams, dashboard pages) until Ctrl-C.",
        discussion: "Arguments are those of the shell's `serve` command: port=5000 host=127.0.0.1 token=SECRET (see docs/SERVE.md). `--init FILE` runs a script first (load data, define strategies).")

    @Argument(help: "port=N, host=ADDRESS, token=SECRET") var settings: [String] = []
    @Option(name: .customLong("init"), help: "Run this script first (e.g. load datasets and define strategies).") var initScript: String?
    @Option(help: "The session journal database.") var db: String?
    @Flag(help: "Do not record the session in the journal.") var noJournal = false

    func validate() throws {
        for s in settings {
            let key = s.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            guard s.contains("="), ["port", "host", "token"].contains(key) else {
                throw ValidationError("expected port=N, host=ADDRESS or token=SECRET, got '\(s)'")
            }
        }
    }

    func run() throws {
        var launch = LaunchOptions()
        // Quoted so any token text reaches `serve` as one word.
        let words = settings.map { s -> String in
            let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts.count == 2 ? parts[1] : ""
            return parts[0] == "port" ? "port=\(value)" : "\(parts[0])=\"\(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
        }
        var text = "serve " + words.joined(separator: " ")
        if let initScript { text = ".read \(initScript)\n" + text }
        launch.commands = text
        launch.databasePath = db
        launch.journal = !noJournal
        launch.makeServer = { MithaiHTTPServer() }
        let code = Driver(launch).run()
        if code != 0 { throw ArgumentParser.ExitCode(code) }
    }
}

Mithai.main()
