/// An exact decimal number: `mantissa × 10^-scale`, for prices, sizes and steps at the edges
/// of the engine (parsing, printing, instrument definitions).
///
/// Invariants: `0 <= scale <= ExactDecimal.maxScale`. Two values compare equal when they denote
/// the same number (`1.50 == 1.5`); `description` keeps the scale it was given (`"1.50"`), use
/// `normalized()` to drop trailing zeros. No floating point is involved anywhere: conversions to
/// ticks and lots fail rather than round when the value is not a whole number of steps.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible,
    LosslessStringConvertible, BitwiseCopyable
{
    /// The digits of the number, with sign.
    public var mantissa: Int64
    /// The number of digits after the decimal point (0...18).
    public var scale: Int8

    /// The largest supported scale (10^18 still fits an Int64).
    public static let maxScale: Int8 = 18

    /// `mantissa × 10^-scale`. Precondition: `0 <= scale <= 18`.
    @inlinable
    public init(mantissa: Int64, scale: Int8 = 0) {
        precondition(scale >= 0 && scale <= ExactDecimal.maxScale, "ExactDecimal scale out of range")
        self.mantissa = mantissa
        self.scale = scale
    }

    /// An integer value.
    public init(_ integer: Int64) { self.init(mantissa: integer, scale: 0) }

    public static let zero = ExactDecimal(mantissa: 0)
    public static let one = ExactDecimal(mantissa: 1)

    /// Parses `[+-]digits[.digits][e[+-]digits]`, e.g. `"61659.70"`, `"-0.5"`, `".25"`, `"1e-05"`.
    /// Returns nil for anything else, or when the value needs more than 18 decimals or overflows.
    public init?(_ text: String) {
        var copy = text
        guard let value = copy.withUTF8({ ExactDecimal.parse($0) }) else { return nil }
        self = value
    }

    /// Parses ASCII bytes (see `init?(_:)`). The hot-path entry for readers.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ExactDecimal? {
        var i = 0
        let n = bytes.count
        guard n > 0 else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if bytes[0] == UInt8(ascii: "+") { i = 1 }
        var mantissa: Int64 = 0
        var scale = 0
        var digits = 0
        var seenPoint = false
        while i < n {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                let (m1, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(Int64(c &- 48))
                if o1 || o2 { return nil }
                mantissa = m2
                digits += 1
                if seenPoint { scale += 1 }
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                break
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        if i < n {  // exponent
            i += 1
            var expNegative = false
            if i < n && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                expNegative = bytes[i] == UInt8(ascii: "-"); i += 1
            }
            var exponent = 0
            var expDigits = 0
            while i < n {
                let c = bytes[i]
                guard c >= 48 && c <= 57 else { return nil }
                exponent = exponent * 10 + Int(c &- 48)
                if exponent > 40 { return nil }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            if expNegative { scale += exponent } else { scale -= exponent }
        }
        // Normalise a negative scale (from a positive exponent) into the mantissa.
        while scale < 0 {
            let (m, o) = mantissa.multipliedReportingOverflow(by: 10)
            if o { return nil }
            mantissa = m
            scale += 1
        }
        // Drop trailing zeros only when needed to fit the scale limit.
        while scale > Int(maxScale) {
            guard mantissa % 10 == 0 else { return nil }
            mantissa /= 10
            scale -= 1
        }
        return ExactDecimal(mantissa: negative ? -mantissa : mantissa, scale: Int8(scale))
    }

    /// The same number with trailing fractional zeros removed (`1.500` → `1.5`, `2.0` → `2`).
    public func normalized() -> ExactDecimal {
        var m = mantissa
        var s = scale
        while s > 0 && m % 10 == 0 { m /= 10; s -= 1 }
        return ExactDecimal(mantissa: m, scale: s)
    }

    /// The value rewritten with `scale` decimals, or nil if that would lose digits or overflow.
    public func rescaled(to newScale: Int8) -> ExactDecimal? {
        guard newScale >= 0 && newScale <= ExactDecimal.maxScale else { return nil }
        if newScale >= scale {
            let (m, o) = mantissa.multipliedReportingOverflow(by: ExactDecimal.powerOfTen(Int(newScale - scale)))
            return o ? nil : ExactDecimal(mantissa: m, scale: newScale)
        }
        let p = ExactDecimal.powerOfTen(Int(scale - newScale))
        guard mantissa % p == 0 else { return nil }
        return ExactDecimal(mantissa: mantissa / p, scale: newScale)
    }

    /// The exact count `n` with `self == n × step`, or nil when `self` is not a whole number of
    /// steps, `step` is not positive, or `n` does not fit an Int64. This is how a price becomes
    /// ticks and a size becomes lots: it never rounds.
    public func multiple(of step: ExactDecimal) -> Int64? {
        guard step.mantissa > 0 else { return nil }
        let s = max(scale, step.scale)
        let a = Int128(mantissa) * Int128(ExactDecimal.powerOfTen(Int(s - scale)))
        let b = Int128(step.mantissa) * Int128(ExactDecimal.powerOfTen(Int(s - step.scale)))
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        guard r == 0, let result = Int64(exactly: q) else { return nil }
        return result
    }

    /// `count × step`, exact; nil on overflow.
    public static func multiple(_ count: Int64, of step: ExactDecimal) -> ExactDecimal? {
        let (m, o) = count.multipliedReportingOverflow(by: step.mantissa)
        return o ? nil : ExactDecimal(mantissa: m, scale: step.scale)
    }

    /// The nearest Double (for plotting and statistics only, never for book arithmetic).
    public var doubleValue: Double {
        Double(mantissa) / Double(ExactDecimal.powerOfTen(Int(scale)))
    }

    /// 10^k for 0 <= k <= 18.
    @inlinable
    public static func powerOfTen(_ k: Int) -> Int64 {
        precondition(k >= 0 && k <= 18, "power of ten out of range")
        var r: Int64 = 1
        for _ in 0..<k { r &*= 10 }
        return r
    }

    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool {
        a.compare(b) == 0
    }

    public func hash(into hasher: inout Hasher) {
        let n = normalized()
        hasher.combine(n.mantissa)
        hasher.combine(n.scale)
    }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        a.compare(b) < 0
    }

    private func compare(_ other: ExactDecimal) -> Int {
        let s = max(scale, other.scale)
        let a = Int128(mantissa) * Int128(ExactDecimal.powerOfTen(Int(s - scale)))
        let b = Int128(other.mantissa) * Int128(ExactDecimal.powerOfTen(Int(s - other.scale)))
        return a < b ? -1 : (a > b ? 1 : 0)
    }

    /// The decimal text with exactly `scale` fractional digits, e.g. `"-0.050"`.
    public var description: String {
        let negative = mantissa < 0
        // magnitude as UInt64 handles Int64.min
        let magnitude = mantissa.magnitude
        var digits = String(magnitude)
        let s = Int(scale)
        if s > 0 {
            if digits.count <= s {
                digits = String(repeating: "0", count: s - digits.count + 1) + digits
            }
            let split = digits.index(digits.endIndex, offsetBy: -s)
            digits = String(digits[..<split]) + "." + String(digits[split...])
        }
        return negative ? "-" + digits : digits
    }
}
