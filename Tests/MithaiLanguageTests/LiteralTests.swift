import Testing
import MithaiLanguage

private let h: Int64 = 3_600_000_000_000, m: Int64 = 60_000_000_000, s: Int64 = 1_000_000_000

@Suite("Literals")
struct LiteralTests {

    // MARK: - DecimalLiteral

    struct DecimalCase: Sendable, CustomTestStringConvertible {
        var text: String
        var mantissa: Int64
        var scale: Int
        var double: Double
        var testDescription: String { text }
    }

    @Test("exact decimal parsing", arguments: [
        DecimalCase(text: "0", mantissa: 0, scale: 0, double: 0),
        DecimalCase(text: "42", mantissa: 42, scale: 0, double: 42),
        DecimalCase(text: "100", mantissa: 100, scale: 0, double: 100),
        DecimalCase(text: "1_000_000", mantissa: 1_000_000, scale: 0, double: 1_000_000),
        DecimalCase(text: "0.25", mantissa: 25, scale: 2, double: 0.25),
        DecimalCase(text: "0.1", mantissa: 1, scale: 1, double: 0.1),
        DecimalCase(text: "1.50", mantissa: 15, scale: 1, double: 1.5),
        DecimalCase(text: "1.000", mantissa: 1, scale: 0, double: 1),
        DecimalCase(text: "0.0", mantissa: 0, scale: 0, double: 0),
        DecimalCase(text: "-4.5", mantissa: -45, scale: 1, double: -4.5),
        DecimalCase(text: "-0.50", mantissa: -5, scale: 1, double: -0.5),
        DecimalCase(text: "+7", mantissa: 7, scale: 0, double: 7),
        DecimalCase(text: "0.000001", mantissa: 1, scale: 6, double: 0.000001),
        DecimalCase(text: "1_234.567_8", mantissa: 12_345_678, scale: 4, double: 1234.5678),
        DecimalCase(text: "1e-3", mantissa: 1, scale: 3, double: 0.001),
        DecimalCase(text: "1e3", mantissa: 1000, scale: 0, double: 1000),
        DecimalCase(text: "1.5e2", mantissa: 150, scale: 0, double: 150),
        DecimalCase(text: "2.5E+2", mantissa: 250, scale: 0, double: 250),
        DecimalCase(text: "12.345e1", mantissa: 12345, scale: 2, double: 123.45),
        DecimalCase(text: "2.50e-1", mantissa: 25, scale: 2, double: 0.25),
        DecimalCase(text: "9223372036854775807", mantissa: .max, scale: 0, double: 9223372036854775807),
        DecimalCase(text: "-9223372036854775807", mantissa: -.max, scale: 0, double: -9223372036854775807),
    ])
    func parsesExactly(_ c: DecimalCase) throws {
        let d = try #require(DecimalLiteral(parsing: c.text))
        #expect(d.mantissa == c.mantissa)
        #expect(d.scale == c.scale)
        #expect(d.double == c.double)
    }

    @Test("1.50 == 1.5: trailing zeros are normalised away")
    func normalisation() throws {
        let a = try #require(DecimalLiteral(parsing: "1.50"))
        let b = try #require(DecimalLiteral(parsing: "1.5"))
        let c = try #require(DecimalLiteral(parsing: "15e-1"))
        #expect(a == b)
        #expect(b == c)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b, c]).count == 1)
        #expect(a == DecimalLiteral(mantissa: 15, scale: 1))
        #expect(a.description == "1.5")
        // Whole numbers keep their zeros: 100 stays 100 × 10^0.
        #expect(DecimalLiteral(parsing: "100")?.description == "100")
        #expect(DecimalLiteral(parsing: "100.00")?.description == "100")
    }

    @Test("values beyond an Int64 mantissa keep only the double", arguments: [
        ("9223372036854775808", 9223372036854775808.0),
        ("123456789012345678901234567890", 123456789012345678901234567890.0),
        ("1e30", 1e30),
        ("1e19", 1e19),
        ("0.12345678901234567890", 0.12345678901234567890),
    ])
    func overflow(text: String, double: Double) throws {
        let d = try #require(DecimalLiteral(parsing: text))
        #expect(d.mantissa == nil)
        #expect(d.scale == 0)
        #expect(d.double == double)
        #expect(d.integer == nil)
        #expect(d.description == String(double))
    }

    @Test("1e18 still fits exactly")
    func largestPowerOfTen() throws {
        let d = try #require(DecimalLiteral(parsing: "1e18"))
        #expect(d.mantissa == 1_000_000_000_000_000_000)
        #expect(d.integer == 1_000_000_000_000_000_000)
    }

    @Test("malformed numbers are rejected", arguments: ["", "_", "abc", "1.2.3", "1e", "--1", ".", "1e-", "12abc", "1 000"])
    func malformed(text: String) {
        #expect(DecimalLiteral(parsing: text) == nil)
    }

    @Test("non-decimal spellings are not decimals", arguments: ["nan", "inf", "infinity", "0x10", "0x1p-2"])
    func nonDecimalSpellings(text: String) {
        // Literal.swift DecimalLiteral.init(parsing:) hands the text to Double(_:) first, which
        // also reads "nan", "inf" and hexadecimal floats; the result is a "decimal" with no
        // mantissa and a NaN/infinite/hex value.
        #expect(DecimalLiteral(parsing: text) == nil)
    }

    @Test("integer is the value when it is whole")
    func integer() {
        #expect(DecimalLiteral(parsing: "42")?.integer == 42)
        #expect(DecimalLiteral(parsing: "-42")?.integer == -42)
        #expect(DecimalLiteral(parsing: "4.2")?.integer == nil)
        #expect(DecimalLiteral(parsing: "4.0")?.integer == 4)
        #expect(DecimalLiteral(parsing: "2e3")?.integer == 2000)
        #expect(DecimalLiteral(double: 4).integer == nil)
    }

    @Test("format renders mantissa × 10^-scale without an exponent", arguments: [
        (Int64(0), 0, "0"),
        (5, 0, "5"),
        (-12, 0, "-12"),
        (5, 1, "0.5"),
        (5, 3, "0.005"),
        (-5, 1, "-0.5"),
        (-5, 4, "-0.0005"),
        (12345, 2, "123.45"),
        (100, 2, "1.00"),
        (10, 1, "1.0"),
        (0, 3, "0.000"),
        (Int64.max, 0, "9223372036854775807"),
        (Int64.min, 0, "-9223372036854775808"),
        (Int64.min, 19, "-0.9223372036854775808"),
        (Int64.max, 18, "9.223372036854775807"),
    ])
    func format(mantissa: Int64, scale: Int, expected: String) {
        #expect(DecimalLiteral.format(mantissa: mantissa, scale: scale) == expected)
    }

    @Test("parse(format(m, s)) gives back the same value, normalised (seeded sweep)")
    func formatParseRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED_1234)
        for _ in 0..<5_000 {
            let m = Int64(bitPattern: rng.next()) >> Int64(rng.next() % 60)
            let s = Int(rng.next() % 12)
            if m == .min { continue } // its magnitude has no Int64 mantissa
            let text = DecimalLiteral.format(mantissa: m, scale: s)
            let d = try #require(DecimalLiteral(parsing: text), "\(text)")
            let mantissa = try #require(d.mantissa, "\(text)")
            // Normalisation drops exactly the trailing zeros of the fraction.
            var (em, es) = (m, s)
            while es > 0 && em % 10 == 0 { em /= 10; es -= 1 }
            #expect(mantissa == em && d.scale == es, "\(text)")
            #expect(DecimalLiteral.format(mantissa: mantissa, scale: d.scale) == d.description)
        }
    }

    @Test("init(mantissa:scale:) gives the nearest double, as parsing does")
    func constructedDoubleMatchesParsed() {
        // Literal.swift DecimalLiteral.init(mantissa:scale:) divides by 10 `scale` times; each
        // division rounds, so e.g. 7 × 10^-2 becomes 0.06999999999999999 instead of 0.07.
        #expect(DecimalLiteral(mantissa: 7, scale: 2).double == 0.07)
        #expect(DecimalLiteral(mantissa: 3, scale: 4).double == 0.0003)
        #expect(DecimalLiteral(mantissa: 1, scale: 6).double == 0.000001)
        #expect(DecimalLiteral(mantissa: 7, scale: 2) == DecimalLiteral(parsing: "0.07"))
        // Scales whose power of ten is exact, and single divisions, are fine.
        #expect(DecimalLiteral(mantissa: 15, scale: 1).double == 1.5)
        #expect(DecimalLiteral(mantissa: 25, scale: 2).double == 0.25)
        #expect(DecimalLiteral(mantissa: 1, scale: 1).double == 0.1)
    }

    // MARK: - Durations

    @Test("durations in nanoseconds", arguments: [
        ("3ns", Int64(3)),
        ("250us", 250_000),
        ("250µs", 250_000),
        ("0.5us", 500),
        ("5ms", 5_000_000),
        ("2.50ms", 2_500_000),
        ("1_000ms", 1_000_000_000),
        ("1s", 1_000_000_000),
        ("1.5s", 1_500_000_000),
        ("0.000000001s", 1),
        ("1m", 60_000_000_000),
        ("1.5m", 90_000_000_000),
        ("2min", 120_000_000_000),
        ("1h", 3_600_000_000_000),
        ("1d", 86_400_000_000_000),
        ("0s", 0),
        ("106751d", 9_223_286_400_000_000_000), // 106_751 days, the most that fits
    ])
    func duration(text: String, nanos: Int64) {
        #expect(LiteralParser.duration(text) == nanos)
    }

    @Test("durations that are not whole nanoseconds, overflow or are malformed", arguments: [
        "1.5ns", "0.0001us", "0.0000000001s", "106752d", "99999999999999999999s",
        "5", "5xs", "ms", "", "-5ms", "1.2.3s", "5 ms", "5MS",
    ])
    func badDuration(text: String) {
        #expect(LiteralParser.duration(text) == nil)
    }

    @Test("durations written with an exponent")
    func durationWithExponent() {
        // Lexer.lexNumberLike reads `1e-3s` as one duration token (exponent, then unit), but
        // Literal.swift LiteralParser.duration takes the unit to start at the first character
        // that is not a digit, '.' or '_', i.e. at the 'e': unit "e-3s" is unknown, and the
        // parser reports "'1e-3s' is not a whole number of nanoseconds".
        #expect(LiteralParser.duration("1e-3s") == 1_000_000)
        #expect(LiteralParser.duration("1e3ms") == 1_000_000_000)
        #expect(LiteralParser.duration("2.5e2us") == 250_000)
        #expect(tokenDump("1e-3s") == "duration(1e-3s)")
    }

    // MARK: - Times of day

    @Test("times of day", arguments: [
        ("09:30", 9 * h + 30 * m),
        ("9:30", 9 * h + 30 * m),
        ("00:00", 0),
        ("23:59:59", 23 * h + 59 * m + 59 * s),
        ("10:31:05.250", 10 * h + 31 * m + 5 * s + 250_000_000),
        ("10:31:05.5", 10 * h + 31 * m + 5 * s + 500_000_000),
        ("10:31:05.000000001", 10 * h + 31 * m + 5 * s + 1),
        ("10:31:05.123456789", 10 * h + 31 * m + 5 * s + 123_456_789),
        ("24:00", 24 * h),
        ("47:59:59", 47 * h + 59 * m + 59 * s),
        ("23:59:60", 23 * h + 59 * m + 60 * s),
    ])
    func timeOfDay(text: String, nanos: Int64) {
        #expect(LiteralParser.timeOfDay(text) == nanos)
    }

    @Test("invalid times of day", arguments: [
        "25:61", "48:00", "12:60", "12:00:61", "12:00:00.", "12:00:00.1234567890", "12", "1:2:3:4",
        "ab:cd", "12:00:00.5.5", "", ":", "-1:30", "12:-5", "12:00:5x",
    ])
    func badTimeOfDay(text: String) {
        #expect(LiteralParser.timeOfDay(text) == nil)
    }

    @Test("signs are not digits in a time of day")
    func signedTimeFields() {
        // Literal.swift LiteralParser.timeOfDay converts each field with Int64(_:), which
        // accepts a leading '+': "9:+5" is read as 09:05.
        #expect(LiteralParser.timeOfDay("9:+5") == nil)
        #expect(LiteralParser.timeOfDay("+9:30") == nil)
    }

    // MARK: - Dates

    @Test("valid dates", arguments: [
        ("2024-08-08", 2024, 8, 8), ("2024-02-29", 2024, 2, 29), ("2000-02-29", 2000, 2, 29),
        ("1900-02-28", 1900, 2, 28), ("2023-12-31", 2023, 12, 31), ("1970-01-01", 1970, 1, 1),
        ("2024-04-30", 2024, 4, 30),
    ])
    func validDate(text: String, year: Int, month: Int, day: Int) {
        #expect(LiteralParser.date(text) == CivilDate(year: year, month: month, day: day))
    }

    @Test("invalid dates", arguments: [
        "2023-02-29", "1900-02-29", "2100-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-00",
        "2024-01-32", "2024-08", "abcd-ef-gh", "", "2024-08-08-01",
    ])
    func invalidDate(text: String) {
        #expect(LiteralParser.date(text) == nil)
    }

    @Test("empty fields are not a date")
    func emptyDateFields() {
        // Literal.swift LiteralParser.date splits with split(separator: "-"), which drops
        // empty pieces, so doubled or stray dashes are ignored.
        #expect(LiteralParser.date("2024--08-08") == nil)
        #expect(LiteralParser.date("-2024-08-08") == nil)
        #expect(LiteralParser.date("2024-08-08-") == nil)
    }

    @Test("month lengths follow the Gregorian leap-year rule")
    func monthLengths() {
        for year in 1582...2500 {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            var days = 0
            for month in 1...12 {
                var length = 0
                while CivilDate(year: year, month: month, day: length + 1).isValid { length += 1 }
                #expect(length >= 28 && length <= 31)
                days += length
            }
            #expect(days == (leap ? 366 : 365), "year \(year)")
        }
        #expect(!CivilDate(year: 2024, month: 0, day: 1).isValid)
        #expect(!CivilDate(year: 2024, month: 13, day: 1).isValid)
        #expect(!CivilDate(year: 2024, month: 1, day: 0).isValid)
        #expect(!CivilDate(year: 2024, month: 1, day: -1).isValid)
    }

    @Test("known days since 1970-01-01", arguments: [
        (1970, 1, 1, Int64(0)), (1970, 1, 2, 1), (1969, 12, 31, -1), (2000, 1, 1, 10_957),
        (2000, 3, 1, 11_017), (2024, 1, 1, 19_723), (2024, 2, 29, 19_782), (2024, 8, 8, 19_943),
        (1900, 1, 1, -25_567), (1, 1, 1, -719_162), (2038, 1, 19, 24_855), (0, 3, 1, -719_468),
    ])
    func knownDays(year: Int, month: Int, day: Int, days: Int64) {
        let date = CivilDate(year: year, month: month, day: day)
        #expect(date.daysSinceEpoch == days)
        #expect(CivilDate(daysSinceEpoch: days) == date)
    }

    @Test("days since epoch round-trips and counts every day once, 1600-01-01 to 2400-12-31")
    func dayRoundTrip() {
        var date = CivilDate(year: 1600, month: 1, day: 1)
        var expected = date.daysSinceEpoch
        #expect(expected == -135_140)
        let end = CivilDate(year: 2400, month: 12, day: 31)
        var count = 0
        while date <= end {
            let days = date.daysSinceEpoch
            if days != expected || CivilDate(daysSinceEpoch: days) != date {
                Issue.record("\(date): \(days), expected \(expected)")
                return
            }
            // The next calendar day.
            var next = CivilDate(year: date.year, month: date.month, day: date.day + 1)
            if !next.isValid { next = CivilDate(year: date.year, month: date.month + 1, day: 1) }
            if !next.isValid { next = CivilDate(year: date.year + 1, month: 1, day: 1) }
            if !(next > date) { Issue.record("\(next) is not after \(date)"); return }
            date = next
            expected += 1
            count += 1
        }
        #expect(count == 146_097 * 2 + 366) // two 400-year cycles (1600-2399) plus the leap year 2400
    }

    @Test("days since epoch round-trips for negative and far days")
    func farDays() {
        for days in stride(from: Int64(-3_000_000), through: 3_000_000, by: 997) {
            let date = CivilDate(daysSinceEpoch: days)
            #expect(date.isValid)
            #expect(date.daysSinceEpoch == days)
        }
    }

    @Test("date order and description")
    func orderAndDescription() {
        let a = CivilDate(year: 2024, month: 8, day: 8)
        #expect(a.description == "2024-08-08")
        #expect(CivilDate(year: 2024, month: 12, day: 31).description == "2024-12-31")
        #expect(CivilDate(year: 2023, month: 12, day: 31) < a)
        #expect(CivilDate(year: 2024, month: 7, day: 31) < a)
        #expect(CivilDate(year: 2024, month: 8, day: 7) < a)
        #expect(!(a < a))
    }

    // MARK: - Timestamps

    @Test("timestamps with and without a zone", arguments: [
        ("2024-08-08T09:30:00Z", 9 * h + 30 * m, Optional(0)),
        ("2024-08-08T09:30", 9 * h + 30 * m, nil),
        ("2024-08-08T09:30:00", 9 * h + 30 * m, nil),
        ("2024-08-08T09:30:00.25", 9 * h + 30 * m + 250_000_000, nil),
        ("2024-08-08T09:30:00.25Z", 9 * h + 30 * m + 250_000_000, 0),
        ("2024-08-08T09:30:00+05:30", 9 * h + 30 * m, 19_800),
        ("2024-08-08T09:30:00-04:00", 9 * h + 30 * m, -14_400),
        ("2024-08-08T09:30+01:00", 9 * h + 30 * m, 3_600),
    ])
    func timestamp(text: String, timeOfDay: Int64, offset: Int?) throws {
        let (date, tod, off) = try #require(LiteralParser.timestamp(text))
        #expect(date == CivilDate(year: 2024, month: 8, day: 8))
        #expect(tod == timeOfDay)
        #expect(off == offset)
    }

    @Test("invalid timestamps", arguments: [
        "2024-02-30T09:30", "2024-08-08T25:61", "2024-08-08 09:30", "2024-08-08T", "2024-08-08",
        "2024-08-08T09:30+5:30", "2024-08-08T09:30:00+05:3x", "T09:30",
    ])
    func badTimestamp(text: String) {
        #expect(LiteralParser.timestamp(text) == nil)
    }
}

/// A small deterministic generator (SplitMix64) so sweeps are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
