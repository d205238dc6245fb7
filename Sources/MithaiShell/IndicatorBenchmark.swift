import Foundation
import MithaiEngine

extension Benchmarks {
    /// `mithai bench indicators`: each indicator kernel over a seeded random walk of `points`
    /// values (a price near 60,000 with cent moves), median of `repeats` runs; one JSON line
    /// with nanoseconds per point for each, so the one-pass claim is a figure, not a promise.
    public static func indicators(points: Int, repeats: Int) -> Int32 {
        let n = max(100, points)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var close = [Double](repeating: 0, count: n), high = close, low = close, volume = close, sign = close
        var time = [Int64](repeating: 0, count: n)
        var p = 60_000.0
        for i in 0..<n {
            p += (next() - 0.5) * 2
            close[i] = p; high[i] = p + next(); low[i] = p - next(); volume[i] = 0.001 + next()
            sign[i] = next() < 0.5 ? 1 : -1
            time[i] = Int64(i) * 1_000_000
        }
        let kernels: [(String, () -> Double)] = [
            ("sma_20", { Indicators.sma(close, 20).last ?? 0 }),
            ("ema_20", { Indicators.ema(close, 20).last ?? 0 }),
            ("wma_20", { Indicators.wma(close, 20).last ?? 0 }),
            ("stddev_20", { Indicators.stddev(close, 20).last ?? 0 }),
            ("bbands_20_2", { Indicators.bbands(close, 20, 2).upper.last ?? 0 }),
            ("zscore_20", { Indicators.zscore(close, 20).last ?? 0 }),
            ("rvol_20", { Indicators.rvol(close, 20).last ?? 0 }),
            ("rsi_14", { Indicators.rsi(close, 14).last ?? 0 }),
            ("macd_12_26_9", { Indicators.macd(close, fast: 12, slow: 26, signal: 9).histogram.last ?? 0 }),
            ("atr_14", { Indicators.atr(high: high, low: low, close: close, 14).last ?? 0 }),
            ("vwap_rows_100", { Indicators.vwap(price: close, volume: volume, 100).last ?? 0 }),
            ("vwap_time_1s", { Indicators.vwap(price: close, volume: volume, time: time, window: 1_000_000_000).last ?? 0 }),
            ("tfi_100", { Indicators.tradeFlowImbalance(sign: sign, quantity: volume, 100).last ?? 0 }),
        ]
        var pairs: [(String, String)] = [("bench", "\"indicators\""), ("points", String(n)), ("repeats", String(max(1, repeats)))]
        let clock = ContinuousClock()
        var check = 0.0
        for (name, kernel) in kernels {
            var times: [Double] = []
            for _ in 0..<max(1, repeats) {
                let start = clock.now
                check += kernel()
                let d = clock.now - start
                times.append(Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9)
            }
            times.sort()
            pairs.append(("\(name)_ns_per_point", number(times[times.count / 2] / Double(n), 2)))
        }
        pairs.append(("checksum", number(check, 4)))
        StandardOutput().write(json(pairs) + "\n", to: .out)
        return 0
    }
}
