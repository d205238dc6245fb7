#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MithaiEngine
import MithaiMarketData
import MithaiWorkbench

/// `mithai bench ...`: one JSON line per run, for side-by-side comparison with the reference
/// tool in `../shared/bench` (field names follow its README).
public enum Benchmarks {
    /// Seconds since this process started (from /proc: includes the dynamic loader and
    /// runtime start-up, as the reference's "whole process" figure does).
    static func secondsSinceProcessStart() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let uptime = Double(uptimeText.split(separator: " ")[0]) else { return .nan }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Field 22 of stat is starttime; after ")" the fields start at 3.
        guard fields.count > 19, let start = Double(fields[19]) else { return .nan }
        return uptime - start / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    static func json(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func number(_ d: Double, _ places: Int = 6) -> String {
        d.isFinite ? String(format: "%.\(places)f", d) : "null"
    }

    /// Replays a file through the L2 book with no orders; prints events, timings, memory and
    /// the final book digest. Returns the exit status.
    public static func replay(path: String, tick: String?, lot: String?, format: String?, repeats: Int, cache: Bool) -> Int32 {
        let output = StandardOutput()
        do {
            let tickSize = try tick.map { (t: String) throws -> ExactDecimal in
                guard let v = ExactDecimal(t) else { throw DataError(file: "tick", "'\(t)' is not a decimal number") }
                return v
            }
            let lotSize = try lot.map { (t: String) throws -> ExactDecimal in
                guard let v = ExactDecimal(t) else { throw DataError(file: "lot", "'\(t)' is not a decimal number") }
                return v
            }
            let dataFormat = try format.map { (f: String) throws -> DataFormat in
                guard let v = DataFormat(rawValue: f) else { throw DataError(file: "format", "unknown format '\(f)'") }
                return v
            }
            let expanded = (path as NSString).expandingTildeInPath
            let cacheDirectory = cache ? DataCommands.cacheFolder(for: expanded, home: FileManager.default.currentDirectoryPath) : nil
            let r = try ReplayBenchmark.run(path: expanded, format: dataFormat, tick: tickSize, lot: lotSize,
                                            cacheDirectory: cacheDirectory, repeats: max(1, repeats))
            var pairs: [(String, String)] = [
                ("tool", "\"mithai\""), ("workload", "\"replay\""), ("file", "\"\((path as NSString).lastPathComponent)\""),
                ("events", String(r.events)), ("seconds", number(secondsSinceProcessStart(), 3)),
                ("load_seconds", number(r.loadSeconds)), ("run_seconds", number(r.runSeconds)),
                ("events_per_s", number(r.eventsPerSecond, 0)), ("peak_rss_mb", number(peakRSSMegabytes(), 1)),
                ("bytes_per_event", String(MemoryLayout<Event>.stride)), ("cached", r.fromCache ? "true" : "false"),
            ]
            for (name, value) in r.digestFields { pairs.append((name, Double(value) != nil ? value : "\"\(value)\"")) }
            output.write(json(pairs) + "\n", to: .out)
            return 0
        } catch {
            output.write("mithai bench replay: \(error)\n", to: .err)
            return MithaiWorkbench.ExitCode.dataError.rawValue
        }
    }
}

extension Benchmarks {
    /// Runs the grid market maker with the reference configuration of ../shared/bench
    /// (bench_grid.py: risk-averse queue, 10 ms entry and response latency, no partial fills,
    /// maker -0.5 bp, taker 7 bp, decisions every 100 ms, the reference's float arithmetic for
    /// the grid prices) and prints events, timings, memory, fills, final position and P&L.
    public static func grid(path: String, tick: String?, lot: String?, format: String?, queue: String?,
                            latency: String?, fill: String?, cache: Bool, exactGrid: Bool) -> Int32 {
        let output = StandardOutput()
        do {
            let expanded = (path as NSString).expandingTildeInPath
            let t0 = ContinuousClock.now
            let cacheDirectory = cache ? DataCommands.cacheFolder(for: expanded, home: FileManager.default.currentDirectoryPath) : nil
            let dataset = try DatasetLoader.load(path: expanded, format: format.flatMap(DataFormat.init(rawValue:)),
                                                 tick: tick.flatMap(ExactDecimal.init), lot: lot.flatMap(ExactDecimal.init),
                                                 cacheDirectory: cacheDirectory)
            var config = BacktestConfiguration.benchGrid
            config.tickSize = dataset.instrument.tickSize
            config.lotSize = dataset.instrument.lotSize
            if let fill { config.exchange = fill == "partial" ? .partialFill : .noPartialFill }
            if let queue {
                let parts = queue.split(separator: "_").map(String.init)
                switch queue {
                case "risk_averse", "riskaverse": config.queue = .riskAverse
                case "log_prob", "log": config.queue = .log
                case "log_prob2", "log2": config.queue = .log2
                default:
                    guard let n = Double(parts.last ?? "") else { throw DataError(file: "queue", "unknown queue model '\(queue)'") }
                    config.queue = queue.hasPrefix("power_prob3") ? .power3(n) : queue.hasPrefix("power_prob2") ? .power2(n) : .power(n)
                }
            }
            if let latency {
                let ms = latency.split(separator: ",").compactMap { Double($0.replacingOccurrences(of: "ms", with: "")) }
                guard ms.count == 1 || ms.count == 2 else { throw DataError(file: "latency", "latency is MS or ENTRY_MS,RESPONSE_MS") }
                config.latency = .constant(ConstantLatency(entry: Int64(ms[0] * 1e6), response: Int64((ms.count == 2 ? ms[1] : ms[0]) * 1e6)))
            }
            var grid = exactGrid ? GridParameters() : GridParameters.benchReference
            let lots = { (units: Double) in Lots((units / dataset.instrument.lotSize.doubleValue).rounded()) }
            grid.orderQuantity = lots(0.1)
            grid.maxPosition = lots(5)
            let loadSeconds = Double((ContinuousClock.now - t0).components.attoseconds) / 1e18 + Double((ContinuousClock.now - t0).components.seconds)
            let start = ContinuousClock.now
            let run: GridRun = dataset.withEvents { events in
                BacktestRunner.runGrid(config, grid: grid, base: dataset.baseTick, events: events)
            }
            let elapsed = ContinuousClock.now - start
            let runSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let r = run.result
            let v = r.valuation
            let position = Double(r.position) * dataset.instrument.lotSize.doubleValue
            let pairs: [(String, String)] = [
                ("tool", "\"mithai\""), ("workload", "\"grid\""), ("file", "\"\((path as NSString).lastPathComponent)\""),
                ("events", String(dataset.eventCount)), ("seconds", number(secondsSinceProcessStart(), 3)),
                ("load_seconds", number(loadSeconds)), ("run_seconds", number(runSeconds)),
                ("events_per_s", number(Double(dataset.eventCount) / runSeconds, 0)), ("peak_rss_mb", number(peakRSSMegabytes(), 1)),
                ("fills", String(r.fills.count)), ("final_position", number(position, 6)),
                ("pnl_gross", v.scale.format(r.grossPnL, fractionDigits: 6)), ("fees", v.scale.format(r.fees, fractionDigits: 6)),
                ("pnl_net", v.scale.format(r.netPnL, fractionDigits: 6)), ("cached", dataset.loadedFromCache ? "true" : "false"),
                ("grid_arithmetic", exactGrid ? "\"exact\"" : "\"reference-float\""),
            ]
            output.write(json(pairs) + "\n", to: .out)
            return 0
        } catch {
            output.write("mithai bench grid: \(error)\n", to: .err)
            return MithaiWorkbench.ExitCode.dataError.rawValue
        }
    }
}
