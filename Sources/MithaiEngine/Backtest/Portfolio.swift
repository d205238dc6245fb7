/// Multi-asset accounting: the instruments of one run, each counting money in its own
/// currency and unit, reported together in a base currency at given exchange rates.
///
/// Conversion happens at the edge, after the run, and is exact: a leg's money is
/// `units × unitMantissa × 10^-unitScale` of its currency; times a rate `r × 10^-s` it is a
/// whole number of base units of `10^-digits`, digits = max over legs of (unitScale + s).
/// Sums of converted amounts are exact integers; only statistics read them as Doubles.

/// Exchange rates into a base currency, as exact decimals: one unit of `currency` is worth
/// `rate` units of `base`.
public struct FXRates: Sendable, Equatable, CustomStringConvertible {
    public let base: String
    /// (currency, rate), sorted by currency (deterministic order).
    public let rates: [Rate]

    public struct Rate: Sendable, Equatable {
        public var currency: String
        public var rate: ExactDecimal
        public init(currency: String, rate: ExactDecimal) { self.currency = currency; self.rate = rate }
    }

    public init(base: String, rates: [Rate] = []) {
        self.base = base
        var byCurrency: [Rate] = []
        for r in rates.sorted(by: { $0.currency < $1.currency }) {
            if let i = byCurrency.firstIndex(where: { $0.currency == r.currency }) { byCurrency[i] = r } else { byCurrency.append(r) }
        }
        self.rates = byCurrency
    }

    /// The rate of `currency` into the base: 1 for the base itself, nil when unknown.
    public func rate(_ currency: String) -> ExactDecimal? {
        if currency == base { return .one }
        return rates.first { $0.currency == currency }?.rate
    }

    /// `USD USDT=1 INR=0.012`.
    public var description: String {
        ([base] + rates.map { "\($0.currency)=\($0.rate)" }).joined(separator: " ")
    }
}

/// The instruments of a multi-instrument run, converted into a base currency.
public struct Portfolio: Sendable {
    /// One instrument: its name, money currency, rate into the base and its run's result.
    public struct Leg: Sendable {
        public var name: String
        /// The currency the leg's money is counted in (quote currency; base asset for inverse).
        public var currency: String
        public var rate: ExactDecimal
        public var result: BacktestResult
        /// Base units per leg unit: `unitMantissa × rateMantissa × 10^(digits − unitScale − rateScale)`.
        let factor: Int128

        public var valuation: Valuation { result.valuation }
    }

    public let base: String
    public let legs: [Leg]
    /// The base money unit: `10^-digits` of `base`.
    public let scale: MoneyScale
    /// A valuation whose only use is its money unit (`scale`), for statistics over `equity`.
    public let valuation: Valuation
    /// The total equity curve in base units: at every time any leg recorded equity, the sum of
    /// each leg's latest point (legs before their first point count 0). `position` and
    /// `markHalfTicks` are 0 (they have no meaning across instruments).
    public let equity: ContiguousArray<EquityPoint>

    /// - Parameters:
    ///   - legs: (name, currency, result), in the run's instrument order.
    /// - Returns: nil with the first currency that has no rate.
    public init(base: String, rates: FXRates, legs input: [(name: String, currency: String, result: BacktestResult)]) throws(PortfolioError) {
        var digits = 0
        var found: [(String, String, ExactDecimal, BacktestResult)] = []
        for (n, c, r) in input {
            guard let rate = rates.rate(c) else { throw .missingRate(currency: c, base: base, leg: n) }
            guard rate.mantissa > 0 else { throw .nonPositiveRate(currency: c) }
            digits = max(digits, r.valuation.scale.unitScale + Int(rate.scale))
            found.append((n, c, rate, r))
        }
        guard digits <= 36 else { throw .tooPrecise(digits: digits) }
        self.base = base
        scale = MoneyScale(unitMantissa: 1, unitScale: digits)
        valuation = Valuation(contract: .inverse, tickSize: .one, lotSize: .one, digits: digits)
        legs = found.map { n, c, rate, r in
            let s = r.valuation.scale
            let shift = digits - s.unitScale - Int(rate.scale)
            return Leg(name: n, currency: c, rate: rate, result: r,
                       factor: Int128(s.unitMantissa) * Int128(rate.mantissa) * pow10(shift))
        }
        // Total equity: legs decide on one clock, so their times are mostly shared; merge anyway.
        var times: [Nanos] = []
        for l in legs { for p in l.result.equity { times.append(p.time) } }
        times.sort()
        var unique: [Nanos] = []
        for t in times where unique.last != t { unique.append(t) }
        var cursors = [Int](repeating: 0, count: legs.count)
        var total = ContiguousArray<EquityPoint>()
        total.reserveCapacity(unique.count)
        for t in unique {
            var cash = Money.zero, fees = Money.zero, eq = Money.zero
            var fills: Int32 = 0
            for (i, l) in legs.enumerated() {
                let e = l.result.equity
                while cursors[i] < e.count && e[cursors[i]].time <= t { cursors[i] += 1 }
                guard cursors[i] > 0 else { continue }
                let p = e[cursors[i] - 1]
                cash += Portfolio.convert(p.cash, l.factor)
                fees += Portfolio.convert(p.fees, l.factor)
                eq += Portfolio.convert(p.equity, l.factor)
                fills &+= p.fills
            }
            total.append(EquityPoint(time: t, markHalfTicks: 0, position: 0, cash: cash, fees: fees, equity: eq, fills: fills))
        }
        equity = total
    }

    static func convert(_ m: Money, _ factor: Int128) -> Money {
        let (v, overflow) = m.units.multipliedReportingOverflow(by: factor)
        precondition(!overflow, "amount overflows the base currency's 128-bit units")
        return Money(units: v)
    }

    /// `m` (money of leg `i`) in base units, exact.
    public func toBase(_ m: Money, leg i: Int) -> Money { Portfolio.convert(m, legs[i].factor) }

    /// The signed exposure of leg `i` at its final mark, in its own money: position × price ×
    /// multiplier for linear contracts (quote currency), position × multiplier / price for
    /// inverse ones (base asset); long is positive.
    public func exposure(leg i: Int) -> Money {
        let r = legs[i].result
        let mark = r.valuation.mark(position: r.position, halfTicks: r.finalMarkHalfTicks)
        return r.valuation.contract == .inverse ? -mark : mark
    }

    /// Sum over legs of `f(leg)` converted to base units.
    public func total(_ f: (BacktestResult) -> Money) -> Money {
        var s = Money.zero
        for (i, l) in legs.enumerated() { s += toBase(f(l.result), leg: i) }
        return s
    }

    /// Net exposure (signed sum) and gross exposure (sum of absolute values), base units.
    public var exposure: (net: Money, gross: Money) {
        var net = Money.zero, gross = Money.zero
        for i in legs.indices {
            let e = toBase(exposure(leg: i), leg: i)
            net += e
            gross += e < .zero ? -e : e
        }
        return (net, gross)
    }
}

/// Why a portfolio cannot be valued.
public enum PortfolioError: Error, Equatable, CustomStringConvertible {
    case missingRate(currency: String, base: String, leg: String)
    case nonPositiveRate(currency: String)
    case tooPrecise(digits: Int)

    public var description: String {
        switch self {
        case let .missingRate(c, b, leg): return "no FX rate for \(c) (\(leg)) into \(b)"
        case let .nonPositiveRate(c): return "the FX rate of \(c) must be positive"
        case let .tooPrecise(d): return "the base money unit would need \(d) decimals (at most 36): use rates with fewer decimals"
        }
    }
}
