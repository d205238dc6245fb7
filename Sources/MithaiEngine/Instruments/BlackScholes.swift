#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// European option pricing (Black–Scholes–Merton with a continuous yield `q`; `q = r` gives
/// Black-76 on a future), its greeks, and implied volatility from a price.
///
/// Units: spot and strike in price units, `t` in years, `r`, `q` and `sigma` annual and
/// continuously compounded. Greeks: delta per unit of spot, gamma per unit² of spot, vega per
/// 1.00 of volatility (divide by 100 for a vol point), theta per year (divide by 365 for a
/// calendar day), rho per 1.00 of rate. Hand-written: a dozen lines of closed forms, no
/// library in this project's list offers them without pulling in a numerical framework.
public enum BlackScholes {
    public enum Kind: String, Sendable, CaseIterable { case call, put }

    /// Price and greeks of one option.
    public struct Result: Sendable, Equatable {
        public var price: Double
        public var delta: Double
        public var gamma: Double
        public var vega: Double
        public var theta: Double
        public var rho: Double
    }

    /// Standard normal density and distribution.
    public static func pdf(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
    public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// Price and greeks. At expiry (t <= 0) or zero volatility, the discounted intrinsic value
    /// of the forward, with delta 0 or ±e^{-qt} and the other greeks 0.
    public static func evaluate(_ kind: Kind, spot s: Double, strike k: Double, years t: Double, rate r: Double,
                                volatility sigma: Double, yield q: Double = 0) -> Result
    {
        precondition(s > 0 && k > 0, "spot and strike must be positive")
        let dq = exp(-q * max(t, 0)), dr = exp(-r * max(t, 0))
        if t <= 0 || sigma <= 0 {
            let forward = s * dq, strike = k * dr
            let itm = kind == .call ? forward > strike : strike > forward
            let price = max(0, kind == .call ? forward - strike : strike - forward)
            return Result(price: price, delta: itm ? (kind == .call ? dq : -dq) : 0, gamma: 0, vega: 0, theta: 0, rho: 0)
        }
        let st = sigma * t.squareRoot()
        let d1 = (log(s / k) + (r - q + sigma * sigma / 2) * t) / st
        let d2 = d1 - st
        let gamma = dq * pdf(d1) / (s * st)
        let vega = s * dq * pdf(d1) * t.squareRoot()
        switch kind {
        case .call:
            let price = s * dq * cdf(d1) - k * dr * cdf(d2)
            let theta = -s * dq * pdf(d1) * sigma / (2 * t.squareRoot()) - r * k * dr * cdf(d2) + q * s * dq * cdf(d1)
            return Result(price: price, delta: dq * cdf(d1), gamma: gamma, vega: vega, theta: theta, rho: k * t * dr * cdf(d2))
        case .put:
            let price = k * dr * cdf(-d2) - s * dq * cdf(-d1)
            let theta = -s * dq * pdf(d1) * sigma / (2 * t.squareRoot()) + r * k * dr * cdf(-d2) - q * s * dq * cdf(-d1)
            return Result(price: price, delta: -dq * cdf(-d1), gamma: gamma, vega: vega, theta: theta, rho: -k * t * dr * cdf(-d2))
        }
    }

    public static func price(_ kind: Kind, spot: Double, strike: Double, years: Double, rate: Double, volatility: Double,
                             yield: Double = 0) -> Double
    {
        evaluate(kind, spot: spot, strike: strike, years: years, rate: rate, volatility: volatility, yield: yield).price
    }

    /// Why an implied volatility does not exist.
    public enum ImpliedVolatilityError: Error, Equatable, CustomStringConvertible {
        /// The price is below the option's no-arbitrage lower bound (discounted intrinsic value).
        case belowIntrinsic(price: Double, bound: Double)
        /// The price is at or above the upper bound (spot e^{-qt} for a call, strike e^{-rt} for a put).
        case aboveUpperBound(price: Double, bound: Double)
        case expired

        public var description: String {
            switch self {
            case let .belowIntrinsic(p, b): "price \(p) is below the intrinsic value \(b): no implied volatility"
            case let .aboveUpperBound(p, b): "price \(p) is at or above the upper bound \(b): no implied volatility"
            case .expired: "the option has expired (t <= 0): no implied volatility"
            }
        }
    }

    /// The volatility at which `evaluate(...).price == price`, to |price error| < 1e-10 × spot:
    /// Newton steps from the Brenner–Subrahmanyam guess, kept inside a shrinking bracket
    /// [lo, hi] (bisection when Newton leaves it or vega vanishes). Price is increasing in
    /// volatility, so the root is unique.
    public static func impliedVolatility(_ kind: Kind, price: Double, spot s: Double, strike k: Double, years t: Double,
                                         rate r: Double, yield q: Double = 0) throws(ImpliedVolatilityError) -> Double
    {
        guard t > 0 else { throw .expired }
        let lower = max(0, kind == .call ? s * exp(-q * t) - k * exp(-r * t) : k * exp(-r * t) - s * exp(-q * t))
        let upper = kind == .call ? s * exp(-q * t) : k * exp(-r * t)
        if price < lower - 1e-12 * s { throw .belowIntrinsic(price: price, bound: lower) }
        if price >= upper { throw .aboveUpperBound(price: price, bound: upper) }
        if price <= lower { return 0 }
        var lo = 0.0, hi = 1.0
        while self.price(kind, spot: s, strike: k, years: t, rate: r, volatility: hi, yield: q) < price && hi < 1e4 { hi *= 2 }
        var sigma = min(max((2 * Double.pi / t).squareRoot() * price / s, 1e-4), hi)
        for _ in 0..<200 {
            let e = evaluate(kind, spot: s, strike: k, years: t, rate: r, volatility: sigma, yield: q)
            let diff = e.price - price
            if abs(diff) < 1e-12 * max(1, s) { return sigma }
            if diff > 0 { hi = sigma } else { lo = sigma }
            var next = e.vega > 1e-300 ? sigma - diff / e.vega : (lo + hi) / 2
            if !(next > lo && next < hi) { next = (lo + hi) / 2 }
            if abs(next - sigma) < 1e-15 { return next }
            sigma = next
        }
        return sigma
    }
}
