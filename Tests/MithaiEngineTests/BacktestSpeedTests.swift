import Foundation
import MithaiEngine
import Testing

/// Throughput of the grid on the 5M-event synthetic file, for release builds:
///   MITHAI_BENCH=1 swift test -c release --filter BacktestSpeed
/// Prints the median run time and events per second; every run must still match the reference.
@Suite("Backtest speed")
struct BacktestSpeedTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MITHAI_BENCH"] != nil
                   && BenchData.exists(BenchData.dataDirectory + "/btcusdt_synth.npz"),
                   "set MITHAI_BENCH=1 and run shared/bench/hftbacktest/setup.sh"))
    func gridOnTheSyntheticFile() throws {
        let feed = try BenchData.loadNPZ(BenchData.dataDirectory + "/btcusdt_synth.npz")
        var times: [Double] = []
        for _ in 0..<7 {
            let start = DispatchTime.now().uptimeNanoseconds
            let run = feed.withFeeds { ex, lo in
                BacktestRunner.runGrid(.benchGrid, grid: .benchReference, base: feed.base, exchangeFeed: ex, localFeed: lo)
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            #expect(run.result.fills.count == 6_597)
            #expect(six(run.result.netPnL) == "2812.977845")
        }
        times.sort()
        let median = times[times.count / 2]
        print("grid, 5M events: median \(String(format: "%.4f", median)) s, \(String(format: "%.1f", Double(feed.exchange.count) / median / 1e6)) M events/s (hftbacktest: 7.6)")
    }
}
