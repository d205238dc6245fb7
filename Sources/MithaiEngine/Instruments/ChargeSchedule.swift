/// A fee table: the named charges a venue, a regulator and a broker levy on each fill
/// (brokerage, STT, exchange transaction charge, SEBI fee, stamp duty, GST; per-contract
/// exchange and clearing fees; maker/taker rates), with where the numbers come from and when.
///
/// Each charge is one of:
/// - `value`: rate × traded value (price × quantity × multiplier);
/// - `unit`: rate per unit of quantity (per contract for futures: quantity × lot size);
/// - `fill`: a fixed amount per fill;
/// - `tax`: rate × the sum of other charges of the same fill (GST on brokerage, exchange and
///   SEBI fees).
/// A charge may apply to buys or sells only, to maker or taker fills only, and carry a cap and a
/// minimum per fill (brokerage "0.03% or ₹20, whichever is lower"). Negative rates are rebates.
///
/// Amounts are computed per fill, each rounded half to even to the run's money unit (for a
/// cash-equity run at tick 0.05 that is 5e-9 INR); taxes use the rounded charges. Contract
/// notes round each charge per order or per day to the paisa: *Known limitation*, the sum here
/// can differ from a contract note by those roundings, and a per-order cap applies per fill.
///
/// The text form (`ChargeSchedule(parsing:)`, `text`) is what users edit and load with
/// `instrument DATA fees=FILE`:
///
///     name = NSE cash equity, intraday
///     source = https://www.nseindia.com/...
///     as_of = 2024-10-01
///     charge brokerage basis=value rate=0.0003 cap=20
///     charge stt basis=value rate=0.00025 side=sell
///     charge gst basis=tax rate=0.18 on=brokerage,exchange,sebi
public struct ChargeSchedule: FeeModel, Equatable {
    public enum Basis: String, Sendable, Equatable, CaseIterable { case value, unit, fill, tax }
    public enum Applies: String, Sendable, Equatable, CaseIterable { case both, buy, sell }
    public enum Liquidity: String, Sendable, Equatable, CaseIterable { case both, maker, taker }

    /// One line of the table.
    public struct Charge: Sendable, Equatable {
        public var name: String
        public var basis: Basis
        public var rate: ExactDecimal
        public var side: Applies
        public var liquidity: Liquidity
        /// Largest and smallest amount per fill, in settlement currency (nil: none).
        public var cap: ExactDecimal?
        public var minimum: ExactDecimal?
        /// For `tax`: the charges it is levied on.
        public var on: [String]

        public init(_ name: String, _ basis: Basis, rate: ExactDecimal, side: Applies = .both, liquidity: Liquidity = .both,
                    cap: ExactDecimal? = nil, minimum: ExactDecimal? = nil, on: [String] = [])
        {
            self.name = name
            self.basis = basis
            self.rate = rate
            self.side = side
            self.liquidity = liquidity
            self.cap = cap
            self.minimum = minimum
            self.on = on
        }
    }

    public var name: String
    public var source: String
    public var asOf: String
    public var charges: [Charge]

    // Bound to a valuation (money units) by `bind`.
    var unitScale = MoneyScale(unitMantissa: 1, unitScale: 0)
    var lotSize = ExactDecimal.one
    var taxSources: [[Int]] = []

    public init(name: String, source: String, asOf: String, charges: [Charge]) {
        self.name = name
        self.source = source
        self.asOf = asOf
        self.charges = charges
        taxSources = charges.map { c in c.on.compactMap { n in charges.firstIndex { $0.name == n } } }
    }

    public static func == (a: ChargeSchedule, b: ChargeSchedule) -> Bool {
        a.name == b.name && a.source == b.source && a.asOf == b.asOf && a.charges == b.charges
    }

    /// Names of the charges, in table order (the P&L split's rows).
    public var chargeNames: [String] { charges.map(\.name) }

    // MARK: FeeModel

    public var rateScale: Int {
        var s = 0
        for c in charges where c.basis == .value { s = max(s, Int(c.rate.normalized().scale)) }
        return min(s, 12)
    }

    /// Fixed amounts (per fill, per unit, caps and minimums): the money unit is chosen to make
    /// them exact when it can (see `digits`).
    public var fixedFees: [ExactDecimal] {
        charges.flatMap { c in (c.basis == .fill || c.basis == .unit ? [c.rate] : []) + [c.cap, c.minimum].compactMap { $0 } }
    }

    /// Extra digits of the money unit for a run charging this table: enough for every rate and,
    /// when possible, every fixed amount; at most 12 (an amount the unit cannot hold exactly,
    /// such as ₹20 with a 65-unit lot at tick 0.05, is then rounded half to even to the unit:
    /// an error below 1e-12 of a tick-lot).
    public func digits(contract: ContractKind, tickSize: ExactDecimal, lotSize: ExactDecimal, multiplier: ExactDecimal) -> Int {
        min(12, Valuation.requiredDigits(contract: contract, tickSize: tickSize, lotSize: lotSize, multiplier: multiplier,
                                         rateScale: rateScale, fixedFees: fixedFees))
    }

    public mutating func bind(to valuation: Valuation) {
        unitScale = valuation.scale
        lotSize = valuation.lotSize
    }

    public func fee(value: Money, quantity: Lots, isMaker: Bool, side: Side) -> Money {
        var total = Money.zero
        var amounts = [Money](repeating: .zero, count: charges.count)
        compute(value: value, quantity: quantity, isMaker: isMaker, side: side, into: &amounts)
        for a in amounts { total += a }
        return total
    }

    /// Each charge of one fill, in table order (their sum is `fee`).
    public func breakdown(value: Money, quantity: Lots, isMaker: Bool, side: Side) -> [Money] {
        var amounts = [Money](repeating: .zero, count: charges.count)
        compute(value: value, quantity: quantity, isMaker: isMaker, side: side, into: &amounts)
        return amounts
    }

    private func compute(value: Money, quantity: Lots, isMaker: Bool, side: Side, into amounts: inout [Money]) {
        // Non-tax charges first, then taxes on them.
        for pass in 0..<2 {
            for (i, c) in charges.enumerated() where (c.basis == .tax) == (pass == 1) {
                if c.side == .buy && side != .buy || c.side == .sell && side != .sell { continue }
                if c.liquidity == .maker && !isMaker || c.liquidity == .taker && isMaker { continue }
                var m: Money
                switch c.basis {
                case .value:
                    m = Money(units: divideRoundingHalfEven(value.units * Int128(c.rate.mantissa), pow10(Int(c.rate.scale))))
                case .unit:
                    m = rounded(mantissa: Int128(c.rate.mantissa) * Int128(quantity) * Int128(lotSize.mantissa),
                                scale: Int(c.rate.scale) + Int(lotSize.scale))
                case .fill:
                    m = rounded(mantissa: Int128(c.rate.mantissa), scale: Int(c.rate.scale))
                case .tax:
                    var base = Money.zero
                    for j in taxSources[i] { base += amounts[j] }
                    m = Money(units: divideRoundingHalfEven(base.units * Int128(c.rate.mantissa), pow10(Int(c.rate.scale))))
                }
                if let cap = c.cap {
                    let k = rounded(mantissa: Int128(cap.mantissa), scale: Int(cap.scale))
                    if m > k { m = k }
                }
                if let floor = c.minimum {
                    let k = rounded(mantissa: Int128(floor.mantissa), scale: Int(floor.scale))
                    if m < k { m = k }
                }
                amounts[i] = m
            }
        }
    }

    /// A currency amount in money units, rounded half to even.
    func rounded(mantissa: Int128, scale: Int) -> Money {
        var num = mantissa
        var den = Int128(unitScale.unitMantissa)
        if unitScale.unitScale >= scale { num *= pow10(unitScale.unitScale - scale) } else { den *= pow10(scale - unitScale.unitScale) }
        return Money(units: divideRoundingHalfEven(num, den))
    }

    // MARK: Text form

    /// Errors of the text form, with the 1-based line.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Parses the text form (see the type's documentation). Rates are fractions (0.0003 is
    /// 0.03%); a rate may also be written with a `%` or `bp` suffix.
    public init(parsing text: String) throws(ParseError) {
        var name = "", source = "", asOf = ""
        var charges: [Charge] = []
        for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let t = trim(line)
            if t.isEmpty { continue }
            if !t.hasPrefix("charge ") {
                let parts = t.split(separator: "=", maxSplits: 1).map { trim(String($0)) }
                guard parts.count == 2 else { throw ParseError(line: k + 1, message: "expected 'key = value' or 'charge NAME key=value...'") }
                switch parts[0] {
                case "name": name = parts[1]
                case "source": source = parts[1]
                case "as_of": asOf = parts[1]
                default: throw ParseError(line: k + 1, message: "unknown key '\(parts[0])' (name, source, as_of, charge)")
                }
                continue
            }
            let words = t.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard words.count >= 2 else { throw ParseError(line: k + 1, message: "a charge needs a name") }
            var c = Charge(words[1], .value, rate: .zero)
            var sawRate = false
            for w in words.dropFirst(2) {
                let kv = w.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw ParseError(line: k + 1, message: "expected key=value, got '\(w)'") }
                switch kv[0] {
                case "basis":
                    guard let b = Basis(rawValue: kv[1]) else { throw ParseError(line: k + 1, message: "basis is one of value, unit, fill, tax") }
                    c.basis = b
                case "rate":
                    guard let r = ChargeSchedule.decimal(kv[1]) else { throw ParseError(line: k + 1, message: "'\(kv[1])' is not a rate") }
                    c.rate = r
                    sawRate = true
                case "side":
                    guard let s = Applies(rawValue: kv[1]) else { throw ParseError(line: k + 1, message: "side is one of both, buy, sell") }
                    c.side = s
                case "liquidity":
                    guard let l = Liquidity(rawValue: kv[1]) else { throw ParseError(line: k + 1, message: "liquidity is one of both, maker, taker") }
                    c.liquidity = l
                case "cap", "min":
                    guard let v = ExactDecimal(kv[1]) else { throw ParseError(line: k + 1, message: "'\(kv[1])' is not an amount") }
                    if kv[0] == "cap" { c.cap = v } else { c.minimum = v }
                case "on":
                    c.on = kv[1].split(separator: ",").map(String.init)
                default:
                    throw ParseError(line: k + 1, message: "unknown charge key '\(kv[0])' (basis, rate, side, liquidity, cap, min, on)")
                }
            }
            guard sawRate else { throw ParseError(line: k + 1, message: "charge \(c.name) has no rate=") }
            if charges.contains(where: { $0.name == c.name }) { throw ParseError(line: k + 1, message: "charge \(c.name) is listed twice") }
            for n in c.on where !charges.contains(where: { $0.name == n }) {
                throw ParseError(line: k + 1, message: "\(c.name) is levied on '\(n)', which is not listed above it")
            }
            if c.basis == .tax && c.on.isEmpty { throw ParseError(line: k + 1, message: "a tax needs on=CHARGE,...") }
            charges.append(c)
        }
        guard !charges.isEmpty else { throw ParseError(line: 1, message: "no charges") }
        self.init(name: name, source: source, asOf: asOf, charges: charges)
    }

    /// A rate: a fraction (`0.0003`), a percentage (`0.03%`) or basis points (`3bp`), exact.
    public static func decimal(_ text: String) -> ExactDecimal? {
        var t = text
        var shift: Int8 = 0
        if t.hasSuffix("%") { t.removeLast(); shift = 2 } else if t.hasSuffix("bp") { t.removeLast(2); shift = 4 }
        guard let d = ExactDecimal(t) else { return nil }
        if shift == 0 { return d }
        guard Int(d.scale) + Int(shift) <= Int(ExactDecimal.maxScale) else { return nil }
        return ExactDecimal(mantissa: d.mantissa, scale: d.scale + shift).normalized()
    }

    /// The text form, which `init(parsing:)` reads back to an equal schedule.
    public var text: String {
        var lines = ["name = \(name)", "source = \(source)", "as_of = \(asOf)"]
        for c in charges {
            var l = "charge \(c.name) basis=\(c.basis.rawValue) rate=\(c.rate)"
            if c.side != .both { l += " side=\(c.side.rawValue)" }
            if c.liquidity != .both { l += " liquidity=\(c.liquidity.rawValue)" }
            if let x = c.cap { l += " cap=\(x)" }
            if let x = c.minimum { l += " min=\(x)" }
            if !c.on.isEmpty { l += " on=" + c.on.joined(separator: ",") }
            lines.append(l)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A copy with the charge `name` replaced (or added before the first tax), taxes re-linked.
    public func replacing(_ charge: Charge) -> ChargeSchedule {
        var cs = charges
        if let i = cs.firstIndex(where: { $0.name == charge.name }) { cs[i] = charge } else {
            cs.insert(charge, at: cs.firstIndex { $0.basis == .tax } ?? cs.count)
        }
        return ChargeSchedule(name: name, source: source, asOf: asOf, charges: cs)
    }
}

/// The fee model of a run: plain maker/taker rates or a full charge table. A switch per fill
/// only (never per market event), so one exchange specialisation serves both.
public enum RunFees: FeeModel {
    case rates(TradingValueFees)
    case schedule(ChargeSchedule)

    public var rateScale: Int {
        switch self {
        case .rates(let f): f.rateScale
        case .schedule(let s): s.rateScale
        }
    }

    public var fixedFees: [ExactDecimal] {
        switch self {
        case .rates(let f): f.fixedFees
        case .schedule(let s): s.fixedFees
        }
    }

    public mutating func bind(to valuation: Valuation) {
        switch self {
        case .rates(var f): f.bind(to: valuation); self = .rates(f)
        case .schedule(var s): s.bind(to: valuation); self = .schedule(s)
        }
    }

    @inlinable
    public func fee(value: Money, quantity: Lots, isMaker: Bool, side: Side) -> Money {
        switch self {
        case .rates(let f): f.fee(value: value, quantity: quantity, isMaker: isMaker, side: side)
        case .schedule(let s): s.fee(value: value, quantity: quantity, isMaker: isMaker, side: side)
        }
    }
}

/// `s` without leading and trailing spaces, tabs and carriage returns (no Foundation here).
func trim(_ s: String) -> String {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let a = s.firstIndex(where: { !blank($0) }), let b = s.lastIndex(where: { !blank($0) }) else { return "" }
    return String(s[a...b])
}
