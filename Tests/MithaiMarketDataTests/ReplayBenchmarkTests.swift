import Glibc
import MithaiEngine
import MithaiMarketData
import Testing

@Suite("Replay benchmark")
struct ReplayBenchmarkTests {
    @Test("run: loads through the cache, replays, reports the digest fields")
    func runOnCapture() throws {
        let cache = TestData.temporaryDirectory("replay")
        let path = TestData.project("binance/binance-usdm-btcusdt_20240808.gz")
        let first = try ReplayBenchmark.run(path: path, tick: "0.1", lot: "0.001", cacheDirectory: cache)
        let second = try ReplayBenchmark.run(path: path, tick: "0.1", lot: "0.001", cacheDirectory: cache, repeats: 3)
        #expect(!first.fromCache && second.fromCache)
        #expect(first.events == 598_754 && second.events == first.events)
        #expect(first.runSeconds > 0 && first.eventsPerSecond > 0)
        let fields = second.digestFields
        #expect(fields.map(\.name) == ["best_bid", "best_ask", "best_bid_qty", "best_ask_qty", "bid_qty_sum_500t",
                                       "bid_levels_500t", "ask_qty_sum_500t", "ask_levels_500t"])
        #expect(fields.map(\.value) == ["61659.7", "61659.8", "1.486", "0.981", "72.601", "287", "91.655", "262"])
    }

    /// The 5M-event synthetic file of the bench (setup.sh). Its digest must equal the README's.
    /// Timing figures are printed; measure them in a release build:
    /// `swift test -c release -Xswiftc -enable-testing --scratch-path .build-data --filter ReplayBenchmarkTests`
    @Test("synthetic 5M file: digest equals the README's", arguments: ["btcusdt_synth.npz", "btcusdt_synth.csv"])
    func synthetic(file: String) throws {
        let dir = (getenv("MITHAI_BENCH_DIR").map { String(cString: $0) } ?? "/tmp/mithai-bench") + "/data"
        guard TestData.exists(dir + "/" + file) else {
            print("benchmark data absent (run /work/shared/bench/hftbacktest/setup.sh): test skipped")
            return
        }
        let cache = dir + "/.mithai-cache"
        let r = try ReplayBenchmark.run(path: dir + "/" + file, tick: "0.1", lot: "0.001", cacheDirectory: cache, repeats: 15)
        let again = try ReplayBenchmark.run(path: dir + "/" + file, tick: "0.1", lot: "0.001", cacheDirectory: cache, repeats: 15)
        #expect(r.events == 5_000_000)
        #expect(again.fromCache)
        #expect(again.digestFields.map(\.value) == ["60174.6", "60174.7", "0.169", "0.129", "141.756", "241", "76.450", "149"])
        print("replay \(file): events \(again.events) load(first) \(r.loadSeconds) s, load(cached) \(again.loadSeconds) s, run \(again.runSeconds) s, \(Int(again.eventsPerSecond)) events/s")
    }
}
