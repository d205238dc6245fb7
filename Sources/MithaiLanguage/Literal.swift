/// A literal value as written, already checked. Numbers keep their exact decimal form
/// (`mantissa × 10^-scale`) so prices convert to ticks without rounding.
public enum Literal: Sendable, Equatable {
    /// An exact decimal; `double` is its nearest binary value for statistics.
    case number(DecimalLiteral)
    /// A span of time in nanoseconds (`250us`, `1m`).
    case duration(Int64)
    /// Nanoseconds since midnight (`09:30`, `10:31:05.250`).
    case time(Int64)
    /// A calendar date.
    case date(CivilDate)
    /// A date and time of day; `utcOffsetSeconds` is nil when no zone was written (the
    /// instrument's or the session's zone applies).
    case timestamp(CivilDate, timeOfDay: Int64, utcOffsetSeconds: Int?)
    /// Basis points (`2.5bp`), kept exactly.
    case basisPoints(DecimalLiteral)
    /// A percentage (`2%`), kept exactly.
    case percent(DecimalLiteral)
    /// A speed multiplier (`10x`).
    case speed(DecimalLiteral)
    case string(String)
    case bool(Bool)
}

/// An exact decimal number `mantissa × 10^-scale`. Values that do not fit an Int64 mantissa
/// keep only `double`.
public struct DecimalLiteral: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var mantissa: Int64?
    public var scale: Int
    public var double: Double

    public init(mantissa: Int64, scale: Int) {
        self.mantissa = mantissa
        self.scale = scale
        // Correctly rounded: let the decimal-to-binary conversion do it in one step.
        self.double = Double("\(mantissa)e-\(scale)") ?? Double(mantissa)
    }

    public init(double: Double) {
        self.mantissa = nil
        self.scale = 0
        self.double = double
    }

    /// Parses `1_000_000`, `0.25`, `1e-3`, `-4.5`.
    public init?(parsing text: some StringProtocol) {
        let cleaned = String(text.filter { $0 != "_" })
        guard cleaned.contains(where: \.isNumber),
              cleaned.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
              let d = Double(cleaned) else { return nil }
        self.double = d
        var digits = cleaned
        var negative = false
        if digits.hasPrefix("-") { negative = true; digits.removeFirst() } else if digits.hasPrefix("+") { digits.removeFirst() }
        var exponent = 0
        if let e = digits.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(digits[digits.index(after: e)...]) ?? 0
            digits = String(digits[..<e])
        }
        var scale = 0
        if let dot = digits.firstIndex(of: ".") {
            scale = digits.distance(from: dot, to: digits.endIndex) - 1
            digits.remove(at: dot)
        }
        scale -= exponent
        var m: Int64? = Int64(digits)
        while scale < 0, let v = m {
            let (r, o) = v.multipliedReportingOverflow(by: 10)
            m = o ? nil : r
            scale += 1
        }
        if let v = m, negative { m = -v }
        // Normalise trailing zeros away so 1.50 == 1.5.
        while scale > 0, let v = m, v % 10 == 0 { m = v / 10; scale -= 1 }
        self.mantissa = m
        self.scale = m == nil ? 0 : scale
    }

    /// The value as an Int64 when it is a whole number.
    public var integer: Int64? {
        guard let m = mantissa, scale == 0 else { return nil }
        return m
    }

    public var description: String {
        guard let m = mantissa else { return String(double) }
        return DecimalLiteral.format(mantissa: m, scale: scale)
    }

    /// Renders `mantissa × 10^-scale` exactly, without exponent.
    public static func format(mantissa: Int64, scale: Int) -> String {
        guard scale > 0 else { return String(mantissa) }
        let negative = mantissa < 0
        var digits = String(mantissa.magnitude)
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + digits[..<cut] + "." + digits[cut...]
    }
}

/// A proleptic Gregorian calendar date.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public init(year: Int, month: Int, day: Int) { self.year = year; self.month = month; self.day = day }

    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int64 {
        // Howard Hinnant's days_from_civil.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month), d = Int64(day)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch z0: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: Int(m <= 2 ? y + 1 : y), month: Int(m), day: Int(d))
    }

    public var isValid: Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))"
    }
}

/// Parsers for the text of literal tokens; each returns nil with no side effects on bad text.
public enum LiteralParser {
    static let nanosPerUnit: [String: Int64] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "min": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000,
    ]

    /// `250us` -> 250_000. Fractions are allowed when they land on whole nanoseconds (`1.5s`).
    public static func duration(_ text: String) -> Int64? {
        // The unit is the run of letters at the end (`1e-3s`, `2.5e2us`): the exponent's `e`
        // belongs to the number.
        var unitStart = text.endIndex
        while unitStart > text.startIndex, text[text.index(before: unitStart)].isLetter { unitStart = text.index(before: unitStart) }
        guard text.first?.isNumber == true, let per = nanosPerUnit[String(text[unitStart...])],
              let n = DecimalLiteral(parsing: text[..<unitStart]), let m = n.mantissa else { return nil }
        var value = m.multipliedReportingOverflow(by: per)
        guard !value.overflow else { return nil }
        for _ in 0..<n.scale {
            guard value.partialValue % 10 == 0 else { return nil }
            value.partialValue /= 10
        }
        return value.partialValue
    }

    /// `09:30`, `9:30:05.25` -> nanoseconds since midnight. Hours 0...47 (sessions past midnight).
    public static func timeOfDay(_ text: some StringProtocol) -> Int64? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ":" || $0 == ".") }),
              parts.count == 2 || parts.count == 3,
              let h = Int64(parts[0]), let m = Int64(parts[1]), (0...47).contains(h), (0...59).contains(m) else { return nil }
        var ns = (h * 3600 + m * 60) * 1_000_000_000
        if parts.count == 3 {
            let sec = parts[2].split(separator: ".", omittingEmptySubsequences: false)
            guard let s = Int64(sec[0]), (0...60).contains(s), sec.count <= 2 else { return nil }
            ns += s * 1_000_000_000
            if sec.count == 2 {
                let frac = sec[1]
                guard !frac.isEmpty, frac.count <= 9, let f = Int64(frac) else { return nil }
                var scaled = f
                for _ in frac.count..<9 { scaled *= 10 }
                ns += scaled
            }
        }
        return ns
    }

    /// `2024-08-08`.
    public static func date(_ text: some StringProtocol) -> CivilDate? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        let date = CivilDate(year: y, month: m, day: d)
        return date.isValid ? date : nil
    }

    /// `2024-08-08T09:30:00.5`, optionally followed by `Z` or `+05:30`.
    public static func timestamp(_ text: String) -> (CivilDate, Int64, Int?)? {
        guard let t = text.firstIndex(of: "T"), let date = date(text[..<t]) else { return nil }
        var rest = text[text.index(after: t)...]
        var offset: Int?
        if rest.hasSuffix("Z") {
            offset = 0
            rest = rest.dropLast()
        } else if rest.count > 6, let signIndex = rest.index(rest.endIndex, offsetBy: -6, limitedBy: rest.startIndex),
                  rest[signIndex] == "+" || rest[signIndex] == "-" {
            let zone = rest[rest.index(after: signIndex)...].split(separator: ":")
            guard zone.count == 2, let hh = Int(zone[0]), let mm = Int(zone[1]) else { return nil }
            offset = (hh * 3600 + mm * 60) * (rest[signIndex] == "-" ? -1 : 1)
            rest = rest[..<signIndex]
        }
        guard let tod = timeOfDay(rest) else { return nil }
        return (date, tod, offset)
    }
}
