#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Pre-trade risk controls between a strategy and the exchange (see docs/RISK.md).
///
/// The guard lives in the `Trader` (the strategy's side, where a real trading system runs its
/// pre-trade checks): every `submit` and `modify` passes through `check`, and at each decision
/// the driver calls `Trader.riskDecision()` for the drawdown kill switch and the VaR monitor.
/// With no limits set the trader holds no guard, and the only cost is one `nil` test per
/// request and per decision (never per market event).
///
/// *Ordering invariant*: checks run in a fixed order (halted, reduce-only, order size, order
/// rate, position, notional, VaR); the first failing one rejects and is logged.
/// *Known limitation*: worst-case exposure counts every open order of a side as filled; the
/// VaR is a parametric one-asset estimate from the strategy's own mid observations.
public struct RiskLimits: Sendable, Equatable {
    /// Largest |position| in lots, counting every open order of the side as filled.
    public var maxPosition: Lots?
    /// Largest |worst-case position| × price, in settlement currency.
    public var maxNotional: ExactDecimal?
    /// Largest quantity of one order, lots (a fat-finger check).
    public var maxOrderQuantity: Lots?
    /// Largest peak-to-trough fall of equity (settlement currency) before the kill switch.
    public var maxDrawdown: ExactDecimal?
    /// Largest intraday value at risk (settlement currency) of the worst-case position.
    public var varLimit: ExactDecimal?
    /// VaR confidence (0.5 < c < 1) and horizon.
    public var varConfidence: Double = 0.99
    public var varHorizon: Nanos = 60 * Time.second
    /// Most new orders and modifies per `rateWindow` (cancels are never limited).
    public var maxOrderRate: Int?
    public var rateWindow: Nanos = Time.second
    /// What the kill switch does when the drawdown limit is breached.
    public var onDrawdown: KillSwitchAction = .halt
    /// Account capital (settlement currency): turns margin enforcement on. Orders whose
    /// worst-case position needs more initial margin than capital + P&L are refused; at each
    /// decision, equity under the maintenance margin of the position is a margin call and the
    /// position is liquidated. nil: off (no cost).
    public var capital: ExactDecimal?
    /// Margin rates as fractions of notional (from the instrument preset); initial nil with a
    /// capital: 1 (fully paid); maintenance nil: no liquidation.
    public var initialMargin: ExactDecimal?
    public var maintenanceMargin: ExactDecimal?

    public init(maxPosition: Lots? = nil, maxNotional: ExactDecimal? = nil, maxOrderQuantity: Lots? = nil,
                maxDrawdown: ExactDecimal? = nil, varLimit: ExactDecimal? = nil, maxOrderRate: Int? = nil,
                onDrawdown: KillSwitchAction = .halt)
    {
        self.maxPosition = maxPosition
        self.maxNotional = maxNotional
        self.maxOrderQuantity = maxOrderQuantity
        self.maxDrawdown = maxDrawdown
        self.varLimit = varLimit
        self.maxOrderRate = maxOrderRate
        self.onDrawdown = onDrawdown
    }

    /// True when no limit is set (then a run holds no guard at all).
    public var isEmpty: Bool {
        maxPosition == nil && maxNotional == nil && maxOrderQuantity == nil && maxDrawdown == nil && varLimit == nil
            && maxOrderRate == nil && capital == nil
    }
}

/// What the drawdown kill switch does.
public enum KillSwitchAction: String, Sendable, Equatable, CaseIterable {
    /// Cancel the orders that add exposure; accept only orders that reduce the position.
    case reduceOnly = "reduce_only"
    /// Cancel every order; accept nothing more.
    case halt = "halt"
}

/// Which limit a breach is about.
public enum RiskLimitKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case maxPosition, maxNotional, maxOrderQuantity, maxDrawdown, varLimit, maxOrderRate, reduceOnly, halted, initialMargin,
         maintenanceMargin

    public var description: String {
        switch self {
        case .maxPosition: "max_position"
        case .maxNotional: "max_notional"
        case .maxOrderQuantity: "max_order_qty"
        case .maxDrawdown: "max_drawdown"
        case .varLimit: "var_limit"
        case .maxOrderRate: "max_order_rate"
        case .reduceOnly: "reduce_only"
        case .halted: "halted"
        case .initialMargin: "initial_margin"
        case .maintenanceMargin: "maintenance_margin"
        }
    }
}

/// What happened at a breach.
public enum RiskAction: UInt8, Sendable, CustomStringConvertible {
    /// An order (or modify) was refused.
    case rejected
    /// The kill switch moved the strategy to reduce-only.
    case reduceOnly
    /// The kill switch halted the strategy.
    case halted
    /// A monitored measure went over its limit (VaR at a decision); orders adding risk are refused.
    case warning
    /// Margin call: equity under the maintenance margin; the position was liquidated.
    case liquidated

    public var description: String {
        switch self {
        case .rejected: "rejected"
        case .reduceOnly: "reduce_only"
        case .halted: "halted"
        case .warning: "over_limit"
        case .liquidated: "liquidated"
        }
    }
}

/// One entry of the breach log. Consecutive refusals by the same limit (no other entry between
/// them) are one entry with a `count`, from `time` to `lastTime`.
public struct RiskBreach: Sendable, Equatable {
    /// Local time (ns) of the first refusal or of the event.
    public var time: Nanos
    /// Local time of the last refusal merged into this entry.
    public var lastTime: Nanos
    public var limit: RiskLimitKind
    public var action: RiskAction
    /// The first order refused (0 for kill-switch and monitor entries).
    public var orderID: OrderID
    /// The measure that broke the limit and the limit, in natural units: lots × lot size
    /// for quantities, settlement currency for money, orders per window for rates.
    public var value: Double
    public var threshold: Double
    /// Refusals merged into this entry.
    public var count: Int
}

/// The risk state of a run: limits, the current mode, usage peaks and the breach log.
public struct RiskGuard: Sendable {
    public enum Mode: UInt8, Sendable, CustomStringConvertible {
        case normal, reduceOnly, halted
        public var description: String { self == .normal ? "normal" : self == .reduceOnly ? "reduce_only" : "halted" }
    }

    public let limits: RiskLimits
    public let valuation: Valuation
    public private(set) var mode: Mode = .normal
    public private(set) var breaches: ContiguousArray<RiskBreach> = []
    /// Refusals per limit (indexed by `RiskLimitKind.rawValue`).
    public private(set) var rejections = [Int](repeating: 0, count: RiskLimitKind.allCases.count)
    /// Usage peaks: |position| (lots), notional (currency), drawdown (currency), VaR (currency),
    /// most orders in one window.
    public private(set) var peakPosition: Lots = 0
    public private(set) var peakNotional = 0.0
    public private(set) var peakDrawdown = 0.0
    public private(set) var peakVaR = 0.0
    public private(set) var peakOrderRate = 0
    /// Local time the kill switch fired (0 if never).
    public private(set) var killTime: Nanos = 0
    /// Margin calls (liquidations) and the largest initial margin of the position seen at a
    /// decision (currency).
    public private(set) var marginCalls = 0
    public private(set) var peakMargin = 0.0

    // Money limits in the run's units.
    let maxNotionalMoney: Money?
    let maxDrawdownMoney: Money?
    let varLimitMoney: Money?
    var peakEquity: Money? = nil
    let capitalMoney: Money?
    /// Ledger equity (P&L marked at the mid, after fees) at the last decision.
    var lastEquity = Money.zero
    var overVaR = false
    // Order-rate window: send times of recent new/modify requests, oldest first from `rateHead`.
    var rateTimes: ContiguousArray<Nanos> = []
    var rateHead = 0
    // EWMA variance of log mid returns per decision, and the last mid.
    var lastMid: Int64 = 0
    var variance = 0.0
    var observations = 0
    var lastDecision: Nanos = 0
    var decisionStep: Nanos = 0

    public init(limits: RiskLimits, valuation: Valuation) {
        self.limits = limits
        self.valuation = valuation
        func money(_ d: ExactDecimal?) -> Money? {
            guard let d else { return nil }
            return valuation.scale.money(d) ?? RiskGuard.rounded(d, valuation.scale)
        }
        maxNotionalMoney = money(limits.maxNotional)
        maxDrawdownMoney = money(limits.maxDrawdown)
        varLimitMoney = money(limits.varLimit)
        capitalMoney = money(limits.capital)
    }

    static func rounded(_ d: ExactDecimal, _ scale: MoneyScale) -> Money {
        var num = Int128(d.mantissa)
        var den = Int128(scale.unitMantissa)
        if scale.unitScale >= Int(d.scale) { num *= pow10(scale.unitScale - Int(d.scale)) } else { den *= pow10(Int(d.scale) - scale.unitScale) }
        return Money(units: divideRoundingHalfEven(num, den))
    }

    var lot: Double { valuation.lotSize.doubleValue }
    func currency(_ m: Money) -> Double { valuation.scale.double(m) }

    /// Value at risk of `position` lots at a mid of `halfTicks`: z × σ(horizon) × |notional|.
    /// Zero until ten mid returns have been seen.
    public func valueAtRisk(position: Lots, halfTicks: Int64) -> Double {
        guard observations >= 10, halfTicks > 0, decisionStep > 0 else { return 0 }
        let notional = abs(currency(valuation.mark(position: abs(position), halfTicks: halfTicks)))
        let sigma = (variance * Double(limits.varHorizon) / Double(decisionStep)).squareRoot()
        return RiskGuard.normalQuantile(limits.varConfidence) * sigma * notional
    }

    /// The standard normal quantile (Acklam's rational approximation refined by one Halley
    /// step; |error| < 1e-12).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile of a probability outside (0, 1)")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
                 -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                 -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
                 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = 0.5 * erfc(-x / 2.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x = x - u / (1 + x * u / 2)
        return x
    }

    // MARK: - Pre-trade checks

    /// Checks a new order (`added` = its quantity) or a modify (`added` = the increase of the
    /// order's open quantity, possibly 0) of `side` at `price` (0 for market orders: the mid is
    /// used). `position` and `openBuys`/`openSells` are the trader's position and the open
    /// quantity of its live orders. Returns nil to accept, or the limit refused (logged).
    mutating func check(id: OrderID, side: Side, quantity: Lots, added: Lots, price: Ticks, isModify: Bool,
                        time: Nanos, position: Lots, openBuys: Lots, openSells: Lots, midHalfTicks: Int64?) -> RiskLimitKind?
    {
        let reduces = side == .buy ? position < 0 && position + openBuys + added <= 0
            : position > 0 && position - openSells - added >= 0
        switch mode {
        case .halted:
            return refuse(.halted, id, time, 1, 0)
        case .reduceOnly:
            if !reduces { return refuse(.reduceOnly, id, time, Double(quantity) * lot, 0) }
        case .normal:
            break
        }
        if let m = limits.maxOrderQuantity, quantity > m {
            return refuse(.maxOrderQuantity, id, time, Double(quantity) * lot, Double(m) * lot)
        }
        if let r = limits.maxOrderRate {
            let cutoff = time - limits.rateWindow
            while rateHead < rateTimes.count && rateTimes[rateHead] <= cutoff { rateHead += 1 }
            if rateHead > 1024 && rateHead * 2 > rateTimes.count {
                rateTimes.removeSubrange(0..<rateHead)
                rateHead = 0
            }
            let inWindow = rateTimes.count - rateHead
            if inWindow >= r { return refuse(.maxOrderRate, id, time, Double(inWindow + 1), Double(r)) }
        }
        // Worst case: every open order of the side fills, and this one too.
        let worst = side == .buy ? position + openBuys + added : position - openSells - added
        if let m = limits.maxPosition, abs(worst) > m, !reduces {
            return refuse(.maxPosition, id, time, Double(abs(worst)) * lot, Double(m) * lot)
        }
        let mark: Int64 = price > 0 ? 2 * price : (midHalfTicks ?? 0)
        if let m = maxNotionalMoney, mark > 0, !reduces {
            let notional = valuation.mark(position: abs(worst), halfTicks: mark)
            let n = notional < .zero ? -notional : notional
            if n > m { return refuse(.maxNotional, id, time, currency(n), currency(m)) }
        }
        if let m = varLimitMoney, let mid = midHalfTicks, !reduces {
            let v = valueAtRisk(position: worst, halfTicks: mid)
            if v > currency(m) { return refuse(.varLimit, id, time, v, currency(m)) }
        }
        if let cap = capitalMoney, mark > 0, !reduces {
            // Initial margin of the worst-case position against capital + P&L at the last decision.
            let notional = valuation.mark(position: abs(worst), halfTicks: mark)
            let required = abs(currency(notional)) * (limits.initialMargin?.doubleValue ?? 1)
            let available = currency(cap + lastEquity)
            if required > available { return refuse(.initialMargin, id, time, required, available) }
        }
        if limits.maxOrderRate != nil {
            rateTimes.append(time)
            peakOrderRate = max(peakOrderRate, rateTimes.count - rateHead)
        }
        return nil
    }

    private mutating func refuse(_ kind: RiskLimitKind, _ id: OrderID, _ time: Nanos, _ value: Double,
                                 _ threshold: Double) -> RiskLimitKind
    {
        rejections[Int(kind.rawValue)] += 1
        if let last = breaches.last, last.limit == kind, last.action == .rejected {
            breaches[breaches.count - 1].count += 1
            breaches[breaches.count - 1].value = max(last.value, value)
            breaches[breaches.count - 1].lastTime = time
        } else {
            breaches.append(RiskBreach(time: time, lastTime: time, limit: kind, action: .rejected, orderID: id, value: value,
                                       threshold: threshold, count: 1))
        }
        return kind
    }

    // MARK: - Decisions

    /// Updates drawdown, VaR and usage at a decision. Returns the new mode when the kill switch
    /// fires now (the trader then cancels orders), else nil.
    mutating func decide(time: Nanos, equity: Money?, position: Lots, midHalfTicks: Int64?) -> Mode? {
        if let mid = midHalfTicks, mid > 0 {
            if lastMid > 0 {
                let r = log(Double(mid) / Double(lastMid))
                // EWMA (RiskMetrics λ = 0.94) of squared returns per decision.
                variance = observations == 0 ? r * r : 0.94 * variance + 0.06 * r * r
                observations += 1
                if lastDecision > 0 { decisionStep = time - lastDecision }
            }
            lastMid = mid
            lastDecision = time
            let notional = abs(currency(valuation.mark(position: abs(position), halfTicks: mid)))
            peakNotional = max(peakNotional, notional)
            let v = valueAtRisk(position: position, halfTicks: mid)
            peakVaR = max(peakVaR, v)
            if let m = varLimitMoney {
                let over = v > currency(m)
                if over && !overVaR {
                    breaches.append(RiskBreach(time: time, lastTime: time, limit: .varLimit, action: .warning, orderID: 0, value: v,
                                               threshold: currency(m), count: 1))
                }
                overVaR = over
            }
        }
        peakPosition = max(peakPosition, abs(position))
        guard let e = equity else { return nil }
        lastEquity = e
        let peak = max(peakEquity ?? e, e)
        peakEquity = peak
        let dd = peak - e
        peakDrawdown = max(peakDrawdown, currency(dd))
        if let m = maxDrawdownMoney, dd > m, mode == .normal {
            mode = limits.onDrawdown == .halt ? .halted : .reduceOnly
            killTime = time
            breaches.append(RiskBreach(time: time, lastTime: time, limit: .maxDrawdown, action: mode == .halted ? .halted : .reduceOnly,
                                       orderID: 0, value: currency(dd), threshold: currency(m), count: 1))
            return mode
        }
        return nil
    }

    /// At a decision (after `decide`): true when capital + P&L is under the maintenance margin
    /// of the position (a margin call, logged): the trader then liquidates the position.
    mutating func marginCall(time: Nanos, equity: Money?, position: Lots, midHalfTicks: Int64?) -> Bool {
        guard let cap = capitalMoney, let mid = midHalfTicks, mid > 0, let e = equity else { return false }
        let notional = abs(currency(valuation.mark(position: abs(position), halfTicks: mid)))
        peakMargin = max(peakMargin, notional * (limits.initialMargin?.doubleValue ?? 1))
        guard let mm = limits.maintenanceMargin, position != 0 else { return false }
        let maintenance = notional * mm.doubleValue
        let account = currency(cap + e)
        guard account < maintenance else { return false }
        marginCalls += 1
        breaches.append(RiskBreach(time: time, lastTime: time, limit: .maintenanceMargin, action: .liquidated, orderID: 0,
                                   value: maintenance, threshold: account, count: 1))
        return true
    }

    /// Refusals of one limit.
    public func rejections(_ kind: RiskLimitKind) -> Int { rejections[Int(kind.rawValue)] }
    /// All refusals.
    public var totalRejections: Int { rejections.reduce(0, +) }
}
