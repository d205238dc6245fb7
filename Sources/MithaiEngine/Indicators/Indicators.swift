#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Technical indicators over contiguous series, each computed in one pass, O(n) time and
/// O(n) output (O(window) extra state at most).
///
/// ## Conventions
/// - Inputs and outputs are `[Double]` of equal length; output `i` uses inputs `0...i` only (no
///   look-ahead).
/// - **Missing values are NaN.** Inputs must not contain NaN: callers drop missing rows first
///   and scatter the result back (`Indicators.skippingMissing`), so a missing input gives a
///   missing output at that row and is otherwise ignored.
/// - **Warm-up:** an output is NaN until its window is full, never zero. A window of `n` values
///   leaves the first `n - 1` outputs missing; indicators of *changes* (`rsi`, `rvol`) need `n`
///   changes, so `n` values are missing. Each function states its own warm-up.
/// - Windows of `n` rows require `n >= 1` (a precondition; the query layer validates).
///
/// ## Numerics
/// Rolling sums are kept relative to a shift (the first value) with Neumaier compensation, so a
/// standard deviation of a price near 60,000 moving by cents is not lost to cancellation.
/// Formulas and references are in docs/INDICATORS.md.
public enum Indicators {
    // MARK: - Helpers

    /// Runs `body` over the present (non-NaN) values of `x` and scatters the result back:
    /// rows where any input is NaN come out NaN and are skipped by the indicator.
    public static func skippingMissing(_ inputs: [[Double]], _ body: ([[Double]]) -> [[Double]]) -> [[Double]] {
        guard let count = inputs.first?.count else { return [] }
        var present: [Int] = []
        present.reserveCapacity(count)
        for i in 0..<count where inputs.allSatisfy({ !$0[i].isNaN }) { present.append(i) }
        if present.count == count { return body(inputs) }
        let packed = inputs.map { col in present.map { col[$0] } }
        let results = body(packed)
        return results.map { r in
            var out = [Double](repeating: .nan, count: count)
            for (k, i) in present.enumerated() { out[i] = r[k] }
            return out
        }
    }

    /// A compensated running sum (Neumaier): exact to about one rounding of the result.
    struct Sum {
        var sum = 0.0
        var compensation = 0.0
        mutating func add(_ v: Double) {
            let t = sum + v
            if abs(sum) >= abs(v) { compensation += (sum - t) + v } else { compensation += (v - t) + sum }
            sum = t
        }
        var value: Double { sum + compensation }
    }

    /// Sliding mean and population variance of the last `n` values, shifted by the first value.
    struct Window {
        let n: Int
        var shift = Double.nan
        var s = Sum(), q = Sum()
        init(_ n: Int) { self.n = n }
        mutating func add(_ v: Double) {
            if shift.isNaN { shift = v }
            let d = v - shift
            s.add(d); q.add(d * d)
        }
        mutating func remove(_ v: Double) {
            let d = v - shift
            s.add(-d); q.add(-(d * d))
        }
        var mean: Double { shift + s.value / Double(n) }
        var variance: Double {
            let m = s.value / Double(n)
            return max(0, q.value / Double(n) - m * m)
        }
    }

    // MARK: - Moving averages

    /// Simple moving average: the mean of the last `n` values. Warm-up: `n - 1`.
    public static func sma(_ x: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1)
        var out = [Double](repeating: .nan, count: x.count)
        var w = Window(n)
        for i in x.indices {
            w.add(x[i])
            if i >= n { w.remove(x[i - n]) }
            if i >= n - 1 { out[i] = w.mean }
        }
        return out
    }

    /// Exponential moving average with α = 2 / (n + 1), seeded with the simple mean of the first
    /// `n` values: EMAₙ₋₁ = SMA, EMAᵢ = α·xᵢ + (1 − α)·EMAᵢ₋₁. Warm-up: `n - 1`.
    public static func ema(_ x: [Double], _ n: Int) -> [Double] {
        ema(x, n, alpha: 2 / (Double(n) + 1))
    }

    /// EMA with a given smoothing factor (Wilder's smoothing is α = 1/n), seeded with the SMA.
    public static func ema(_ x: [Double], _ n: Int, alpha: Double) -> [Double] {
        precondition(n >= 1)
        var out = [Double](repeating: .nan, count: x.count)
        var seed = Sum()
        var e = 0.0
        for i in x.indices {
            if i < n {
                seed.add(x[i])
                if i == n - 1 { e = seed.value / Double(n); out[i] = e }
            } else {
                e += alpha * (x[i] - e)
                out[i] = e
            }
        }
        return out
    }

    /// Linearly weighted moving average: weights 1, 2, ..., n, the newest value weighing n;
    /// WMA = Σ k·xₖ / (n(n+1)/2). Warm-up: `n - 1`.
    public static func wma(_ x: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1)
        var out = [Double](repeating: .nan, count: x.count)
        guard let shift = x.first else { return out }
        let denominator = Double(n) * Double(n + 1) / 2
        // Kept relative to the shift: Σ k·(xₖ − shift) and Σ (xₖ − shift) over the window.
        var weighted = Sum(), plain = Sum()
        for i in x.indices {
            let d = x[i] - shift
            if i < n {
                weighted.add(Double(i + 1) * d)
                plain.add(d)
            } else {
                // Every weight drops by one (−Σ), the oldest leaves, the newest enters with n.
                weighted.add(-plain.value)
                plain.add(-(x[i - n] - shift))
                weighted.add(Double(n) * d)
                plain.add(d)
            }
            if i >= n - 1 { out[i] = shift + weighted.value / denominator }
        }
        return out
    }

    // MARK: - Dispersion

    /// Population standard deviation of the last `n` values (divisor n, as Bollinger uses).
    /// Warm-up: `n - 1`.
    public static func stddev(_ x: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1)
        var out = [Double](repeating: .nan, count: x.count)
        var w = Window(n)
        for i in x.indices {
            w.add(x[i])
            if i >= n { w.remove(x[i - n]) }
            if i >= n - 1 { out[i] = w.variance.squareRoot() }
        }
        return out
    }

    /// Bollinger bands: middle = SMA(n), upper/lower = middle ± k·σ (population σ over the same
    /// `n` values). Warm-up: `n - 1`.
    public static func bbands(_ x: [Double], _ n: Int, _ k: Double) -> (upper: [Double], middle: [Double], lower: [Double]) {
        precondition(n >= 1)
        var upper = [Double](repeating: .nan, count: x.count), middle = upper, lower = upper
        var w = Window(n)
        for i in x.indices {
            w.add(x[i])
            if i >= n { w.remove(x[i - n]) }
            if i >= n - 1 {
                let m = w.mean, s = w.variance.squareRoot()
                middle[i] = m; upper[i] = m + k * s; lower[i] = m - k * s
            }
        }
        return (upper, middle, lower)
    }

    /// z-score of each value against the last `n` values (itself included): (x − SMA) / σ, σ
    /// the population standard deviation. Missing when σ = 0. Warm-up: `n - 1`.
    public static func zscore(_ x: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1)
        var out = [Double](repeating: .nan, count: x.count)
        var w = Window(n)
        for i in x.indices {
            w.add(x[i])
            if i >= n { w.remove(x[i - n]) }
            if i >= n - 1 {
                let s = w.variance.squareRoot()
                // σ below rounding noise of the values is zero: no z-score.
                out[i] = s > 1e-12 * max(1, abs(w.mean)) ? (x[i] - w.mean) / s : .nan
            }
        }
        return out
    }

    /// Realised volatility: √Σ rⱼ² over the last `n` log returns rⱼ = ln(xⱼ / xⱼ₋₁), not
    /// annualised (multiply by √(periods per year) for that). Warm-up: `n` (n returns need
    /// n + 1 values). Non-positive values give missing returns, hence a missing result while
    /// they are in the window.
    public static func rvol(_ x: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1)
        var out = [Double](repeating: .nan, count: x.count)
        guard x.count > 1 else { return out }
        var r = [Double](repeating: 0, count: x.count)
        var bad = [Bool](repeating: false, count: x.count)
        var sum = Sum()
        var badCount = 0
        for i in 1..<x.count {
            if x[i] > 0 && x[i - 1] > 0 { r[i] = log(x[i] / x[i - 1]) } else { bad[i] = true }
            sum.add(r[i] * r[i])
            if bad[i] { badCount += 1 }
            if i > n {
                sum.add(-(r[i - n] * r[i - n]))
                if bad[i - n] { badCount -= 1 }
            }
            if i >= n && badCount == 0 { out[i] = max(0, sum.value).squareRoot() }
        }
        return out
    }

    // MARK: - Oscillators

    /// Wilder's relative strength index. With changes dᵢ = xᵢ − xᵢ₋₁, gains gᵢ = max(dᵢ, 0) and
    /// losses lᵢ = max(−dᵢ, 0): the first averages are the simple means of g₁...gₙ and l₁...lₙ,
    /// then avgᵢ = (avgᵢ₋₁·(n − 1) + vᵢ) / n. RSI = 100 − 100 / (1 + avgGain / avgLoss); 100 when
    /// avgLoss = 0 < avgGain, 50 when both are 0 (no movement). Warm-up: `n`.
    public static func rsi(_ x: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1)
        var out = [Double](repeating: .nan, count: x.count)
        var gain = 0.0, loss = 0.0
        var seedGain = Sum(), seedLoss = Sum()
        for i in x.indices.dropFirst() {
            let d = x[i] - x[i - 1]
            let g = max(d, 0), l = max(-d, 0)
            if i <= n {
                seedGain.add(g); seedLoss.add(l)
                if i < n { continue }
                gain = seedGain.value / Double(n); loss = seedLoss.value / Double(n)
            } else {
                gain = (gain * Double(n - 1) + g) / Double(n)
                loss = (loss * Double(n - 1) + l) / Double(n)
            }
            out[i] = loss == 0 ? (gain == 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss)
        }
        return out
    }

    /// MACD: line = EMA(fast) − EMA(slow), signal = EMA(signal) of the line (seeded with the
    /// mean of its first `signal` values), histogram = line − signal. Warm-up: line
    /// `max(fast, slow) − 1`; signal and histogram `max(fast, slow) + signal − 2`.
    public static func macd(_ x: [Double], fast: Int, slow: Int, signal: Int) -> (line: [Double], signal: [Double], histogram: [Double]) {
        precondition(fast >= 1 && slow >= 1 && signal >= 1)
        let f = ema(x, fast), s = ema(x, slow)
        let line = zip(f, s).map { $0 - $1 }
        let start = max(fast, slow) - 1
        var sig = [Double](repeating: .nan, count: x.count)
        if start < x.count {
            let tail = ema(Array(line[start...]), signal)
            for (k, v) in tail.enumerated() { sig[start + k] = v }
        }
        return (line, sig, zip(line, sig).map { $0 - $1 })
    }

    /// Average true range with Wilder's smoothing. TR₀ = H₀ − L₀; TRᵢ = max(Hᵢ − Lᵢ,
    /// |Hᵢ − Cᵢ₋₁|, |Lᵢ − Cᵢ₋₁|). ATRₙ₋₁ = mean(TR₀...TRₙ₋₁), ATRᵢ = (ATRᵢ₋₁·(n − 1) + TRᵢ) / n.
    /// Warm-up: `n - 1`.
    public static func trueRange(high: [Double], low: [Double], close: [Double]) -> [Double] {
        var tr = [Double](repeating: .nan, count: high.count)
        for i in high.indices {
            let hl = high[i] - low[i]
            tr[i] = i == 0 ? hl : max(hl, abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
        }
        return tr
    }

    public static func atr(high: [Double], low: [Double], close: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1 && high.count == low.count && low.count == close.count)
        return ema(trueRange(high: high, low: low, close: close), n, alpha: 1 / Double(n))
    }

    // MARK: - Volume and order flow

    /// Session VWAP: Σ pᵢ·vᵢ / Σ vᵢ from the first row of the current session to row i, where a
    /// session is a run of equal `session` keys (for instance the local calendar day). No
    /// warm-up; missing while the session's volume is zero.
    public static func vwap(price: [Double], volume: [Double], session: [Int64]) -> [Double] {
        var out = [Double](repeating: .nan, count: price.count)
        var pv = Sum(), v = Sum()
        for i in price.indices {
            if i > 0 && session[i] != session[i - 1] { pv = Sum(); v = Sum() }
            pv.add(price[i] * volume[i]); v.add(volume[i])
            if v.value != 0 { out[i] = pv.value / v.value }
        }
        return out
    }

    /// Rolling VWAP over the last `n` rows. Warm-up: `n - 1`.
    public static func vwap(price: [Double], volume: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1)
        let starts = price.indices.map { max(0, $0 - n + 1) }
        return windowRatio(price.indices.map { price[$0] * volume[$0] }, volume, starts: starts, warm: { $0 >= n - 1 })
    }

    /// Rolling VWAP over the rows in the time window (tᵢ − w, tᵢ] (`time` in nanoseconds,
    /// non-decreasing). Warm-up: rows with tᵢ < t₀ + w (the window is not yet full).
    public static func vwap(price: [Double], volume: [Double], time: [Int64], window w: Int64) -> [Double] {
        precondition(w > 0)
        let starts = windowStarts(time, w)
        return windowRatio(price.indices.map { price[$0] * volume[$0] }, volume, starts: starts,
                           warm: { time.isEmpty ? false : time[$0] - time[0] >= w })
    }

    /// Trade-flow imbalance over the last `n` trades: (B − S) / (B + S) with B and S the buy and
    /// sell aggressor volumes in the window; in [−1, 1]. `sign` is +1 buy, −1 sell, 0 unknown
    /// (counted in neither). Warm-up: `n - 1`; missing when B + S = 0.
    public static func tradeFlowImbalance(sign: [Double], quantity: [Double], _ n: Int) -> [Double] {
        precondition(n >= 1)
        let starts = sign.indices.map { max(0, $0 - n + 1) }
        let (num, den) = flowTerms(sign, quantity)
        return windowRatio(num, den, starts: starts, warm: { $0 >= n - 1 })
    }

    /// Trade-flow imbalance over the time window (tᵢ − w, tᵢ]. Warm-up: tᵢ < t₀ + w.
    public static func tradeFlowImbalance(sign: [Double], quantity: [Double], time: [Int64], window w: Int64) -> [Double] {
        precondition(w > 0)
        let (num, den) = flowTerms(sign, quantity)
        return windowRatio(num, den, starts: windowStarts(time, w), warm: { time.isEmpty ? false : time[$0] - time[0] >= w })
    }

    /// Order-book imbalance at the top: (Qb − Qa) / (Qb + Qa), in [−1, 1]; missing when both
    /// sizes are zero.
    public static func imbalance(bidSize: [Double], askSize: [Double]) -> [Double] {
        zip(bidSize, askSize).map { b, a in b + a > 0 ? (b - a) / (b + a) : .nan }
    }

    /// Microprice (size-weighted mid): (Pa·Qb + Pb·Qa) / (Qb + Qa); leans towards the side with
    /// less size, where the next trade is likelier. Missing when both sizes are zero.
    public static func microprice(bid: [Double], bidSize: [Double], ask: [Double], askSize: [Double]) -> [Double] {
        bid.indices.map { i in
            let qb = bidSize[i], qa = askSize[i]
            return qb + qa > 0 ? (ask[i] * qb + bid[i] * qa) / (qb + qa) : .nan
        }
    }

    // MARK: - Windows

    /// For each row, the first row of the window (tᵢ − w, tᵢ]. O(n) two pointers.
    static func windowStarts(_ time: [Int64], _ w: Int64) -> [Int] {
        var starts = [Int](repeating: 0, count: time.count)
        var lo = 0
        for i in time.indices {
            while time[lo] <= time[i] - w { lo += 1 }
            starts[i] = lo
        }
        return starts
    }

    static func flowTerms(_ sign: [Double], _ q: [Double]) -> ([Double], [Double]) {
        (sign.indices.map { sign[$0] * q[$0] }, sign.indices.map { sign[$0] == 0 ? 0 : q[$0] })
    }

    /// Σ num / Σ den over rows starts[i]...i (starts non-decreasing), one pass.
    static func windowRatio(_ num: [Double], _ den: [Double], starts: [Int], warm: (Int) -> Bool) -> [Double] {
        var out = [Double](repeating: .nan, count: num.count)
        var a = Sum(), b = Sum()
        var lo = 0
        for i in num.indices {
            a.add(num[i]); b.add(den[i])
            while lo < starts[i] { a.add(-num[lo]); b.add(-den[lo]); lo += 1 }
            let d = b.value
            if warm(i) && abs(d) > 1e-12 * max(1, abs(den[i])) { out[i] = a.value / d }
        }
        return out
    }
}
