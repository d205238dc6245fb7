/// Fees charged on each fill. Positive fees are paid, negative fees are rebates.
///
/// A fee model is a generic parameter of the exchange (`FeeModel` is never used as an
/// existential in the engine). It works in the run's money units: `rateScale` and `fixedFees`
/// tell `Valuation.requiredDigits` which unit makes every fee exact.
public protocol FeeModel: Sendable {
    /// Decimal digits of the model's rates (e.g. 5 for a rate of -0.00005).
    var rateScale: Int { get }
    /// Fixed amounts the model charges, in settlement currency (to pick an exact money unit).
    var fixedFees: [ExactDecimal] { get }
    /// Binds the model to the run's valuation; called once before the run.
    mutating func bind(to valuation: Valuation)
    /// The fee of one fill of `quantity` lots worth `value`, as maker or taker, on `side`.
    func fee(value: Money, quantity: Lots, isMaker: Bool, side: Side) -> Money
}

/// Maker and taker fees as a fraction of traded value (negative = rebate), plus an optional
/// fixed fee per fill. hftbacktest's `TradingValueFeeModel(CommonFees)` when the fixed fee is 0.
///
/// fee = value × (isMaker ? makerRate : takerRate) + (isMaker ? makerFixed : takerFixed).
/// With a linear contract and the unit chosen by `Valuation.requiredDigits`, the fee is exact;
/// for inverse contracts it is rounded half to even to the unit.
public struct TradingValueFees: FeeModel, Equatable {
    /// Fraction of traded value for maker fills, e.g. -0.00005 (a 0.5 bp rebate).
    public let makerRate: ExactDecimal
    /// Fraction of traded value for taker fills, e.g. 0.0007 (7 bp).
    public let takerRate: ExactDecimal
    /// Fixed fee per maker fill and per taker fill, in settlement currency.
    public let makerFixed: ExactDecimal
    public let takerFixed: ExactDecimal

    @usableFromInline var makerMantissa: Int128 = 0
    @usableFromInline var takerMantissa: Int128 = 0
    @usableFromInline var divisor: Int128 = 1
    @usableFromInline var makerFixedMoney = Money.zero
    @usableFromInline var takerFixedMoney = Money.zero

    /// Rates as fractions of traded value (`-0.00005` is -0.5 bp).
    public init(makerRate: ExactDecimal, takerRate: ExactDecimal,
                makerFixed: ExactDecimal = .zero, takerFixed: ExactDecimal = .zero)
    {
        self.makerRate = makerRate
        self.takerRate = takerRate
        self.makerFixed = makerFixed
        self.takerFixed = takerFixed
        let s = rateScale
        makerMantissa = Int128(makerRate.rescaled(to: Int8(s))!.mantissa)
        takerMantissa = Int128(takerRate.rescaled(to: Int8(s))!.mantissa)
        divisor = pow10(s)
    }

    /// Rates in basis points (`makerBps: -0.5` is a 0.5 bp rebate).
    public init(makerBps: ExactDecimal, takerBps: ExactDecimal,
                makerFixed: ExactDecimal = .zero, takerFixed: ExactDecimal = .zero)
    {
        func fraction(_ bps: ExactDecimal) -> ExactDecimal {
            precondition(Int(bps.scale) + 4 <= Int(ExactDecimal.maxScale), "fee rate has too many decimals")
            return ExactDecimal(mantissa: bps.mantissa, scale: bps.scale + 4)
        }
        self.init(makerRate: fraction(makerBps), takerRate: fraction(takerBps),
                  makerFixed: makerFixed, takerFixed: takerFixed)
    }

    /// No fees at all.
    public static let zero = TradingValueFees(makerRate: .zero, takerRate: .zero)

    public var rateScale: Int { Int(max(makerRate.normalized().scale, takerRate.normalized().scale)) }
    public var fixedFees: [ExactDecimal] { [makerFixed, takerFixed] }

    public mutating func bind(to valuation: Valuation) {
        guard let m = valuation.scale.money(makerFixed), let t = valuation.scale.money(takerFixed) else {
            preconditionFailure("fixed fee is not a whole number of money units; pick the unit with Valuation.requiredDigits")
        }
        makerFixedMoney = m
        takerFixedMoney = t
    }

    @inlinable
    public func fee(value: Money, quantity: Lots, isMaker: Bool, side: Side) -> Money {
        let rate = isMaker ? makerMantissa : takerMantissa
        let proportional = divideRoundingHalfEven(value.units * rate, divisor)
        return Money(units: proportional) + (isMaker ? makerFixedMoney : takerFixedMoney)
    }

    public static func == (a: TradingValueFees, b: TradingValueFees) -> Bool {
        a.makerRate == b.makerRate && a.takerRate == b.takerRate && a.makerFixed == b.makerFixed
            && a.takerFixed == b.takerFixed
    }
}
