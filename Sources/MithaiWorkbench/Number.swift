public import MithaiLanguage

/// A number as the interpreter sees it: exact decimal when it came from the user or from
/// integer engine units, binary floating point once a computation needs it (statistics).
/// Exact arithmetic falls back to `real` only on overflow or inexact division.
public enum Number: Sendable, Hashable, CustomStringConvertible {
    /// `mantissa × 10^-scale`, scale in 0...18, normalised (no trailing zeros).
    case decimal(Int64, scale: Int)
    case real(Double)

    public init(_ literal: DecimalLiteral) {
        if let m = literal.mantissa { self = Number.normalised(m, literal.scale) } else { self = .real(literal.double) }
    }

    public init(_ int: Int64) { self = .decimal(int, scale: 0) }
    public init(_ int: Int) { self = .decimal(Int64(int), scale: 0) }

    static func normalised(_ m: Int64, _ s: Int) -> Number {
        var m = m, s = s
        while s > 0 && m % 10 == 0 { m /= 10; s -= 1 }
        return .decimal(m, scale: s)
    }

    public var double: Double {
        switch self {
        case .real(let d): return d
        case .decimal(let m, let s):
            var d = Double(m)
            var p = 1.0
            for _ in 0..<s { p *= 10 }
            d /= p
            return d
        }
    }

    /// The value as an integer when it is whole.
    public var integer: Int64? {
        switch self {
        case .decimal(let m, 0): return m
        case .decimal: return nil
        case .real(let d): return d.rounded() == d && abs(d) < 9.2e18 ? Int64(d) : nil
        }
    }

    public var isExact: Bool { if case .decimal = self { true } else { false } }

    public var description: String {
        switch self {
        case .decimal(let m, let s): return DecimalLiteral.format(mantissa: m, scale: s)
        case .real(let d): return Number.format(d)
        }
    }

    /// Shortest round-trip text of a double, without exponent for ordinary magnitudes.
    public static func format(_ d: Double) -> String {
        if d.isNaN { return "" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    private static func pow10(_ n: Int) -> Int64? {
        var p: Int64 = 1
        for _ in 0..<n {
            let (r, o) = p.multipliedReportingOverflow(by: 10)
            if o { return nil }
            p = r
        }
        return p
    }

    /// Both operands at the same scale, or nil on overflow.
    private static func aligned(_ a: Number, _ b: Number) -> (Int64, Int64, Int)? {
        guard case .decimal(let ma, let sa) = a, case .decimal(let mb, let sb) = b else { return nil }
        let s = max(sa, sb)
        guard let fa = pow10(s - sa), let fb = pow10(s - sb) else { return nil }
        let (x, o1) = ma.multipliedReportingOverflow(by: fa)
        let (y, o2) = mb.multipliedReportingOverflow(by: fb)
        return o1 || o2 ? nil : (x, y, s)
    }

    public static func + (a: Number, b: Number) -> Number {
        if let (x, y, s) = aligned(a, b) {
            let (r, o) = x.addingReportingOverflow(y)
            if !o { return normalised(r, s) }
        }
        return .real(a.double + b.double)
    }

    public static func - (a: Number, b: Number) -> Number {
        if let (x, y, s) = aligned(a, b) {
            let (r, o) = x.subtractingReportingOverflow(y)
            if !o { return normalised(r, s) }
        }
        return .real(a.double - b.double)
    }

    public static func * (a: Number, b: Number) -> Number {
        if case .decimal(let ma, let sa) = a, case .decimal(let mb, let sb) = b, sa + sb <= 18 {
            let (r, o) = ma.multipliedReportingOverflow(by: mb)
            if !o { return normalised(r, sa + sb) }
        }
        return .real(a.double * b.double)
    }

    /// Exact when the quotient has at most 18 decimals; otherwise real.
    public static func / (a: Number, b: Number) -> Number {
        if case .decimal(let ma, let sa) = a, case .decimal(let mb, let sb) = b, mb != 0 {
            // a/b = (ma/mb) × 10^(sb-sa); try to make ma/mb exact by scaling ma.
            var num = ma, extra = 0
            while extra <= 18 {
                if num % mb == 0 {
                    let q = num / mb
                    let scale = sa - sb + extra
                    if scale >= 0, scale <= 18 { return normalised(q, scale) }
                    if scale < 0, let f = pow10(-scale) {
                        let (r, o) = q.multipliedReportingOverflow(by: f)
                        if !o { return normalised(r, 0) }
                    }
                    break
                }
                let (r, o) = num.multipliedReportingOverflow(by: 10)
                if o { break }
                num = r
                extra += 1
            }
        }
        return .real(a.double / b.double)
    }

    public static prefix func - (a: Number) -> Number {
        switch a {
        case .decimal(let m, let s) where m != .min: .decimal(-m, scale: s)
        default: .real(-a.double)
        }
    }

    public static func compare(_ a: Number, _ b: Number) -> Int {
        if let (x, y, _) = aligned(a, b) { return x < y ? -1 : x > y ? 1 : 0 }
        let x = a.double, y = b.double
        return x < y ? -1 : x > y ? 1 : 0
    }
}
