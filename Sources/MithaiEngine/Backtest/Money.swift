/// Money in the engine: integer units of a per-run `MoneyScale`, exact for linear contracts.
///
/// A linear contract's traded value is `price × quantity × multiplier`; with prices in ticks and
/// quantities in lots that is `ticks × lots` "tick-lots" of `tickSize × lotSize × multiplier`
/// quote currency each. A run counts money in units of one tick-lot divided by `10^digits`, where
/// `digits` is chosen from the fee schedule (so a fee of `value × rate` is a whole number of
/// units) and is at least 1 (so a position marked at a half-tick mid is too). Nothing rounds.
///
/// Inverse contracts (quantity in quote currency, value and P&L in base currency) cannot be exact
/// in any fixed-point unit (`quantity / price`); they count units of `10^-digits` base currency
/// and round each fill's value half to even (see docs/BACKTEST.md, *Money*).

/// An amount of money: a signed count of units of the run's `MoneyScale`.
public struct Money: Sendable, Hashable, Comparable, BitwiseCopyable, CustomStringConvertible {
    /// Units of the run's `MoneyScale`.
    public var units: Int128

    @inlinable public init(units: Int128) { self.units = units }

    public static let zero = Money(units: 0)

    @inlinable public static func + (a: Money, b: Money) -> Money { Money(units: a.units + b.units) }
    @inlinable public static func - (a: Money, b: Money) -> Money { Money(units: a.units - b.units) }
    @inlinable public static prefix func - (a: Money) -> Money { Money(units: -a.units) }
    @inlinable public static func += (a: inout Money, b: Money) { a.units += b.units }
    @inlinable public static func -= (a: inout Money, b: Money) { a.units -= b.units }
    @inlinable public static func < (a: Money, b: Money) -> Bool { a.units < b.units }

    /// The raw unit count (print with `MoneyScale.format`).
    public var description: String { "\(units)u" }
}

/// How a contract turns price and quantity into money.
public enum ContractKind: Sendable, Equatable, Hashable {
    /// Value = price × quantity × multiplier, in quote currency (spot, USD-M perpetuals, stocks).
    case linear
    /// Value = quantity × multiplier / price, in base currency (coin-margined perpetuals, XBTUSD).
    case inverse
}

/// The value of one money unit: `mantissa × 10^-scale` of the settlement currency, plus the
/// conversions between money and decimals. `scale` may exceed 18 (tiny ticks × tiny lots).
public struct MoneyScale: Sendable, Equatable, Hashable {
    /// One unit is `unitMantissa × 10^-unitScale` currency.
    public let unitMantissa: Int64
    public let unitScale: Int

    public init(unitMantissa: Int64, unitScale: Int) {
        precondition(unitMantissa > 0 && unitScale >= 0 && unitScale <= 36, "invalid money unit")
        self.unitMantissa = unitMantissa
        self.unitScale = unitScale
    }

    /// The amount in currency as (mantissa, scale): value = mantissa × 10^-scale, exact.
    public func decimal(_ m: Money) -> (mantissa: Int128, scale: Int) {
        (m.units * Int128(unitMantissa), unitScale)
    }

    /// The nearest Double of the amount in currency (statistics and plots only).
    public func double(_ m: Money) -> Double {
        let (mant, s) = decimal(m)
        return Double(mant) / pow10Double(s)
    }

    /// Money for a currency amount given as `mantissa × 10^-scale`, or nil if it is not a whole
    /// number of units.
    public func money(mantissa: Int128, scale: Int) -> Money? {
        // units = mantissa × 10^(unitScale - scale) / unitMantissa
        var num = mantissa
        var den = Int128(unitMantissa)
        if unitScale >= scale { num *= pow10(unitScale - scale) } else { den *= pow10(scale - unitScale) }
        let (q, r) = num.quotientAndRemainder(dividingBy: den)
        return r == 0 ? Money(units: q) : nil
    }

    /// Money for an `ExactDecimal` currency amount, or nil if not a whole number of units.
    public func money(_ d: ExactDecimal) -> Money? { money(mantissa: Int128(d.mantissa), scale: Int(d.scale)) }

    /// The exact decimal text of the amount, without trailing fractional zeros, or rounded half
    /// to even to `fractionDigits` digits when given (e.g. `"-1982.003"`).
    public func format(_ m: Money, fractionDigits: Int? = nil) -> String {
        var (mant, s) = decimal(m)
        if let f = fractionDigits, f < s {
            mant = divideRoundingHalfEven(mant, pow10(s - f))
            s = f
        }
        return formatDecimal(mant, scale: s, trim: fractionDigits == nil)
    }
}

/// 10^k as Int128, 0 <= k <= 38.
@inlinable
func pow10(_ k: Int) -> Int128 {
    precondition(k >= 0 && k <= 38, "power of ten out of range")
    var r: Int128 = 1
    for _ in 0..<k { r &*= 10 }
    return r
}

func pow10Double(_ k: Int) -> Double {
    var r = 1.0
    for _ in 0..<k { r *= 10 }
    return r
}

/// `n / d` rounded half to even. Precondition: d > 0.
@inlinable
func divideRoundingHalfEven(_ n: Int128, _ d: Int128) -> Int128 {
    precondition(d > 0, "division by a non-positive number")
    let (q, r) = n.quotientAndRemainder(dividingBy: d)
    if r == 0 { return q }
    let twice = r.magnitude * 2
    let dm = d.magnitude
    if twice < dm { return q }
    let away = n < 0 ? q - 1 : q + 1
    if twice > dm { return away }
    return q % 2 == 0 ? q : away
}

/// Decimal text of `mantissa × 10^-scale`.
func formatDecimal(_ mantissa: Int128, scale: Int, trim: Bool) -> String {
    let negative = mantissa < 0
    var digits = String(mantissa.magnitude)
    var s = scale
    if trim {
        while s > 0 && digits.count > 1 && digits.hasSuffix("0") { digits.removeLast(); s -= 1 }
        if digits == "0" { s = 0 }
    }
    if s > 0 {
        if digits.count <= s { digits = String(repeating: "0", count: s - digits.count + 1) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -s)
        digits = String(digits[..<split]) + "." + String(digits[split...])
    }
    return negative && mantissa != 0 ? "-" + digits : digits
}

/// How a fill's price and quantity become money, and how a position is marked: the
/// hftbacktest "asset type" (linear or inverse), in exact integer units.
///
/// - Linear: one money unit is `tickSize × lotSize × multiplier / 10^digits` quote currency;
///   value = `ticks × lots × 10^digits` (exact); the mark of a position at a mid of `h` half
///   ticks is `position × h × 10^digits / 2` (exact because `digits >= 1`).
/// - Inverse: one unit is `10^-digits` base currency; value = `lots × lotSize × multiplier /
///   (ticks × tickSize)` rounded half to even to a unit.
///
/// Cash follows the sign convention "money received is positive": a linear buy pays its value
/// (`cash -= value`); an inverse buy of `q` contracts at `p` books `+q/p` and is marked at
/// `-q/mark`, so that equity = cash + mark(position) - fees in both cases.
public struct Valuation: Sendable, Equatable {
    public let contract: ContractKind
    public let tickSize: ExactDecimal
    public let lotSize: ExactDecimal
    public let multiplier: ExactDecimal
    /// Extra decimal digits of the money unit (see the type's documentation).
    public let digits: Int
    /// The money unit.
    public let scale: MoneyScale
    /// Linear: units per tick-lot (`10^digits`).
    @usableFromInline let unitsPerTickLot: Int128
    /// Inverse: numerator factor `lotM × multM × 10^(digits + tickScale)` and denominator factor
    /// `tickM × 10^(lotScale + multScale)` of `value = lots × num / (ticks × den)`.
    @usableFromInline let inverseNum: Int128
    @usableFromInline let inverseDen: Int128

    /// - Parameters:
    ///   - digits: extra digits of the money unit; use `Valuation.requiredDigits` to pick it from
    ///     a fee schedule. Linear: at least 1. Inverse: the number of decimals of base currency
    ///     kept per fill (12 is a thousandth of a satoshi).
    public init(contract: ContractKind, tickSize: ExactDecimal, lotSize: ExactDecimal,
                multiplier: ExactDecimal = .one, digits: Int)
    {
        precondition(tickSize.mantissa > 0 && lotSize.mantissa > 0 && multiplier.mantissa > 0,
                     "tick, lot and multiplier must be positive")
        self.contract = contract
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.multiplier = multiplier
        switch contract {
        case .linear:
            let d = max(1, digits)
            self.digits = d
            let m = Int128(tickSize.mantissa) * Int128(lotSize.mantissa) * Int128(multiplier.mantissa)
            let s = Int(tickSize.scale) + Int(lotSize.scale) + Int(multiplier.scale) + d
            precondition(m <= Int128(Int64.max), "tick × lot × multiplier too large")
            scale = MoneyScale(unitMantissa: Int64(m), unitScale: s)
            unitsPerTickLot = pow10(d)
            inverseNum = 0
            inverseDen = 1
        case .inverse:
            self.digits = digits
            scale = MoneyScale(unitMantissa: 1, unitScale: digits)
            unitsPerTickLot = 0
            inverseNum = Int128(lotSize.mantissa) * Int128(multiplier.mantissa) * pow10(digits + Int(tickSize.scale))
            inverseDen = Int128(tickSize.mantissa) * pow10(Int(lotSize.scale) + Int(multiplier.scale))
        }
    }

    /// A linear valuation for `instrument` whose money unit is exact for `fees`.
    public init<F: FeeModel>(instrument: Instrument, fees: F) {
        let contract: ContractKind = instrument.isInverse ? .inverse : .linear
        self.init(contract: contract, tickSize: instrument.tickSize, lotSize: instrument.lotSize,
                  multiplier: instrument.contractMultiplier,
                  digits: Valuation.requiredDigits(contract: contract, tickSize: instrument.tickSize,
                                                   lotSize: instrument.lotSize,
                                                   multiplier: instrument.contractMultiplier,
                                                   rateScale: fees.rateScale, fixedFees: fees.fixedFees))
    }

    /// The smallest `digits` that makes every fee of a schedule exact: rates with `rateScale`
    /// decimals and the fixed amounts `fixedFees` (currency). Linear: at least 1; inverse: 12 +
    /// `rateScale`.
    public static func requiredDigits(contract: ContractKind, tickSize: ExactDecimal, lotSize: ExactDecimal,
                                      multiplier: ExactDecimal, rateScale: Int,
                                      fixedFees: [ExactDecimal]) -> Int
    {
        if contract == .inverse { return min(24, 12 + rateScale) }
        var d = max(1, rateScale)
        while d < 24 {
            let v = Valuation(contract: .linear, tickSize: tickSize, lotSize: lotSize, multiplier: multiplier, digits: d)
            if fixedFees.allSatisfy({ v.scale.money($0) != nil }) { return d }
            d += 1
        }
        return d
    }

    /// The traded value of `lots` at `ticks` (positive).
    @inlinable
    public func value(price ticks: Ticks, quantity lots: Lots) -> Money {
        switch contract {
        case .linear:
            return Money(units: Int128(ticks) * Int128(lots) * unitsPerTickLot)
        case .inverse:
            precondition(ticks > 0, "inverse contract priced at a non-positive tick")
            return Money(units: divideRoundingHalfEven(Int128(lots) * inverseNum, Int128(ticks) * inverseDen))
        }
    }

    /// The change of cash when a fill of `side` with `value` happens.
    @inlinable
    public func cashFlow(side: Side, value: Money) -> Money {
        let buy = side == .buy
        switch contract {
        case .linear: return buy ? -value : value
        case .inverse: return buy ? value : -value
        }
    }

    /// The mark-to-market of `position` lots at a mid of `halfTicks` half ticks
    /// (`bestBid + bestAsk`). Equity = cash + mark - fees.
    @inlinable
    public func mark(position: Lots, halfTicks: Int64) -> Money {
        if position == 0 { return .zero }
        switch contract {
        case .linear:
            return Money(units: Int128(position) * Int128(halfTicks) * unitsPerTickLot / 2)
        case .inverse:
            // -position × mult / (halfTicks / 2 × tick)
            precondition(halfTicks > 0, "inverse contract marked at a non-positive price")
            return Money(units: -divideRoundingHalfEven(Int128(position) * inverseNum * 2, Int128(halfTicks) * inverseDen))
        }
    }

    /// The mark of `position` at a whole-tick price.
    @inlinable
    public func mark(position: Lots, price: Ticks) -> Money { mark(position: position, halfTicks: price * 2) }
}
