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
