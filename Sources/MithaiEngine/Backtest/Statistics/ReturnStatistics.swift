#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Risk and return statistics over the equity series: binned P&L, Sharpe, Sortino, drawdown,
/// Calmar, VaR and CVaR. Pure functions; formulas in docs/STATISTICS.md.

/// P&L per time bin.
public struct BinnedPnL: Sendable, Equatable {
    /// Bin length (ns) and the bins' origin (bin k covers [origin + k×length, origin + (k+1)×length)).
    public var binLength: Nanos
    public var origin: Nanos
    /// Start of each non-empty bin and its P&L in currency: equity at the bin's last sample
    /// minus equity at the previous non-empty bin's last sample (0 before the first).
    public var starts: [Nanos]
    public var pnl: [Double]

    public init(binLength: Nanos, origin: Nanos, starts: [Nanos], pnl: [Double]) {
        self.binLength = binLength
        self.origin = origin
        self.starts = starts
        self.pnl = pnl
    }
}

/// Drawdown of an equity series.
public struct Drawdown: Sendable, Equatable {
    /// Largest peak-to-trough fall (currency, >= 0).
    public var maxValue: Double
    /// Times of that peak and trough.
    public var peakTime: Nanos
    public var troughTime: Nanos
    /// Longest time spent below a previous peak (ns): from the peak to the first sample back at
    /// or above it, or to the last sample when it never recovers.
    public var maxDuration: Nanos

    public init(maxValue: Double, peakTime: Nanos, troughTime: Nanos, maxDuration: Nanos) {
        self.maxValue = maxValue
        self.peakTime = peakTime
        self.troughTime = troughTime
        self.maxDuration = maxDuration
    }
}

/// Value at risk and expected shortfall of a P&L distribution, as positive losses.
public struct ValueAtRisk: Sendable, Equatable {
    public var confidence: Double
    public var historicalVaR: Double
    public var historicalCVaR: Double
    public var parametricVaR: Double
    public var parametricCVaR: Double
}

/// Sharpe, Sortino and Calmar with the annualisation used.
public struct RiskAdjustedReturns: Sendable, Equatable {
    /// Bins per year used to annualise, and its square root (the Sharpe/Sortino factor).
    public var periodsPerYear: Double
    public var annualizationFactor: Double
    public var bins: Int
    public var meanPnL: Double
    public var stdevPnL: Double?
    public var sharpe: Double?
    public var sortino: Double?
    /// Annualised P&L / max drawdown value.
    public var calmar: Double?
    public var annualizedPnL: Double?
}

public enum ReturnStatistics {
    /// Bins the equity series by `binLength` (default one day, bins aligned to multiples of
    /// `binLength` from `origin`, default the Unix epoch, so daily bins are UTC days).
    public static func binned<C: Collection>(equity: C, valuation v: Valuation, binLength: Nanos = Time.day,
                                             origin: Nanos = 0) -> BinnedPnL where C.Element == EquityPoint
    {
        precondition(binLength > 0, "bin length must be positive")
        var starts: [Nanos] = []
        var pnl: [Double] = []
        var previous = 0.0
        var currentBin: Int64? = nil
        var last = 0.0
        func bin(_ t: Nanos) -> Int64 {
            let d = t - origin
            return d >= 0 ? d / binLength : -((-d + binLength - 1) / binLength)
        }
        for p in equity {
            let b = bin(p.time)
            let e = v.scale.double(p.equity)
            if let c = currentBin, c != b {
                starts.append(origin + c * binLength)
                pnl.append(last - previous)
                previous = last
            }
            currentBin = b
            last = e
        }
        if let c = currentBin {
            starts.append(origin + c * binLength)
            pnl.append(last - previous)
        }
        return BinnedPnL(binLength: binLength, origin: origin, starts: starts, pnl: pnl)
    }

    /// Drawdown over every point of the equity series.
    public static func drawdown<C: Collection>(equity: C, valuation v: Valuation) -> Drawdown where C.Element == EquityPoint {
        var peak = -Double.infinity
        var peakTime: Nanos = 0
        var best = Drawdown(maxValue: 0, peakTime: 0, troughTime: 0, maxDuration: 0)
        var underwaterSince: Nanos? = nil
        var lastTime: Nanos = 0
        for p in equity {
            let e = v.scale.double(p.equity)
            lastTime = p.time
            if e >= peak {
                if let s = underwaterSince { best.maxDuration = max(best.maxDuration, p.time - s) }
                underwaterSince = nil
                peak = e
                peakTime = p.time
            } else {
                if underwaterSince == nil { underwaterSince = peakTime }
                if peak - e > best.maxValue {
                    best.maxValue = peak - e
                    best.peakTime = peakTime
                    best.troughTime = p.time
                }
            }
        }
        if let s = underwaterSince { best.maxDuration = max(best.maxDuration, lastTime - s) }
        return best
    }

    /// Sharpe, Sortino and Calmar from binned P&L. `periodsPerYear` defaults to calendar bins
    /// (365 days / bin length: markets open every day, as crypto); pass 252 for daily bins of a
    /// market open on trading days only.
    public static func riskAdjusted(_ b: BinnedPnL, drawdown: Drawdown, periodsPerYear: Double? = nil) -> RiskAdjustedReturns {
        let ppy = periodsPerYear ?? (365.0 * Double(Time.day) / Double(b.binLength))
        let n = b.pnl.count
        let mean = n > 0 ? b.pnl.reduce(0, +) / Double(n) : 0
        var sd: Double? = nil
        if n > 1 {
            var ss = 0.0
            for x in b.pnl { ss += (x - mean) * (x - mean) }
            sd = (ss / Double(n - 1)).squareRoot()
        }
        var down = 0.0
        for x in b.pnl where x < 0 { down += x * x }
        let downside = n > 0 ? (down / Double(n)).squareRoot() : 0
        let factor = ppy.squareRoot()
        let annual = n > 0 ? mean * ppy : nil
        return RiskAdjustedReturns(
            periodsPerYear: ppy, annualizationFactor: factor, bins: n, meanPnL: mean, stdevPnL: sd,
            sharpe: sd.flatMap { $0 > 0 && n > 1 ? mean / $0 * factor : nil },
            sortino: downside > 0 && n > 1 ? mean / downside * factor : nil,
            calmar: drawdown.maxValue > 0 ? annual.map { $0 / drawdown.maxValue } : nil,
            annualizedPnL: annual)
    }

    /// Historical and parametric (normal) VaR and CVaR of `pnl` at `confidence` (e.g. 0.95),
    /// as positive losses; nil when fewer than 2 values.
    ///
    /// Historical: q = the (1 - confidence) quantile with linear interpolation between order
    /// statistics (h = (n - 1)(1 - c)); VaR = -q; CVaR = -mean of the values <= q.
    /// Parametric: VaR = -(μ + z σ), CVaR = -(μ - σ φ(z) / (1 - c)), z = Φ⁻¹(1 - c).
    public static func valueAtRisk(_ pnl: [Double], confidence c: Double) -> ValueAtRisk? {
        let n = pnl.count
        guard n >= 2, c > 0, c < 1 else { return nil }
        let sorted = pnl.sorted()
        let alpha = 1 - c
        let h = Double(n - 1) * alpha
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, n - 1)
        let q = sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
        var tail = 0.0
        var k = 0
        for x in sorted where x <= q { tail += x; k += 1 }
        let cvar = k > 0 ? -tail / Double(k) : -q
        let mean = pnl.reduce(0, +) / Double(n)
        var ss = 0.0
        for x in pnl { ss += (x - mean) * (x - mean) }
        let sd = (ss / Double(n - 1)).squareRoot()
        let z = inverseNormal(alpha)
        let phi = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
        return ValueAtRisk(confidence: c, historicalVaR: -q, historicalCVaR: cvar,
                           parametricVaR: -(mean + z * sd), parametricCVaR: -(mean - sd * phi / alpha))
    }

    /// Φ⁻¹(p) for 0 < p < 1 (Acklam's rational approximation refined by one Halley step;
    /// relative error < 1e-15).
    public static func inverseNormal(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "inverseNormal needs 0 < p < 1")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5
            let r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // One Halley step on Φ(x) - p.
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x = x - u / (1 + x * u / 2)
        return x
    }
}
