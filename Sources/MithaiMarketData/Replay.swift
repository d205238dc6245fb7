public import MithaiEngine
import Glibc

/// The result of `ReplayBenchmark.run`: how fast the L2 book consumed the events, and the
/// final book digest (for parity with hftbacktest's `bench_replay.py`).
public struct ReplayResult: Sendable {
    /// Events replayed (all kinds; only book updates change the book).
    public var events: Int
    /// Seconds to load (parse or memory-map the cache), including hashing the source.
    public var loadSeconds: Double
    /// Seconds of the replay loop (median when repeated).
    public var runSeconds: Double
    /// `events / runSeconds`.
    public var eventsPerSecond: Double
    /// True when the events came from the binary cache.
    public var fromCache: Bool
    /// The final book digest in ticks and lots.
    public var digest: BookDigest
    /// The instrument, to turn the digest into prices and sizes.
    public var instrument: Instrument

    /// The digest fields named as in the bench README: `best_bid`, `best_ask`, `best_bid_qty`,
    /// `best_ask_qty`, `bid_qty_sum_500t`, `bid_levels_500t`, `ask_qty_sum_500t`,
    /// `ask_levels_500t`; values are exact decimal strings.
    public var digestFields: [(name: String, value: String)] { digest.fields(instrument) }
}

/// Pure replay of a dataset through an L2 book with no orders: the speed benchmark and the
/// parity check against hftbacktest.
public enum ReplayBenchmark {
    /// Loads `path` (any supported format, using the cache when `cacheDirectory` is given) and
    /// replays it `repeats` times through a fresh `L2Book`, reporting the median run time.
    public static func run(path: String, format: DataFormat? = nil, tick: ExactDecimal? = nil, lot: ExactDecimal? = nil,
                           cacheDirectory: String? = nil, repeats: Int = 1, window: Int = 500) throws -> ReplayResult
    {
        let t0 = monotonicSeconds()
        let dataset = try DatasetLoader.load(path: path, format: format, tick: tick, lot: lot, cacheDirectory: cacheDirectory)
        let loadSeconds = monotonicSeconds() - t0
        var runs: [Double] = []
        var digest = BookDigest(window: window)
        for _ in 0..<max(1, repeats) {
            let start = monotonicSeconds()
            let book = finalBook(dataset)
            runs.append(monotonicSeconds() - start)
            digest = book.digest(window: window)
        }
        runs.sort()
        let run = runs[runs.count / 2]
        return ReplayResult(events: dataset.eventCount, loadSeconds: loadSeconds, runSeconds: run,
                            eventsPerSecond: run > 0 ? Double(dataset.eventCount) / run : 0, fromCache: dataset.loadedFromCache,
                            digest: digest, instrument: dataset.instrument)
    }

    /// The L2 book after every event of `dataset` (crossed levels removed, as a venue would).
    public static func finalBook(_ dataset: Dataset, crossing: CrossingPolicy = .removeCrossed) -> L2Book {
        var book = L2Book(crossing: crossing)
        replay(dataset, into: &book)
        return book
    }

    /// Applies events `range` of `dataset` (all by default) to `book`. No allocation per event.
    public static func replay(_ dataset: Dataset, into book: inout L2Book, range: Range<Int>? = nil) {
        let base = dataset.baseTick
        dataset.withEvents { events in
            let r = range ?? 0..<events.count
            for i in r { book.apply(events[i], base: base) }
        }
    }

    /// Seconds on a monotonic clock (for timing only).
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
