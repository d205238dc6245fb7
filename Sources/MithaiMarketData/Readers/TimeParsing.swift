import MithaiEngine

/// Parses the date and time spellings found in tick and bar files into UTC nanoseconds.
struct TimeParser {
    let clock: CivilTime

    /// A date: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, or (`ddMMyy: true`) `ddMMyy`.
    static func date(_ b: Bytes, ddMMyy: Bool = false) -> (Int64, Int64, Int64)? {
        let s = b.trimmed().unquoted()
        func num(_ from: Int, _ to: Int) -> Int64? { to <= s.count ? parseInt64(s.slice(from, to)) : nil }
        var y: Int64?
        var m: Int64?
        var d: Int64?
        if s.count == 10 && (s[4] == 45 || s[4] == 47) && s[7] == s[4] {
            (y, m, d) = (num(0, 4), num(5, 7), num(8, 10))
        } else if s.count == 8 && s.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            (y, m, d) = (num(0, 4), num(4, 6), num(6, 8))
        } else if ddMMyy && s.count == 6 && s.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            // Two-digit years: 70–99 → 19xx, 00–69 → 20xx.
            guard let yy = num(4, 6) else { return nil }
            (y, m, d) = (yy >= 70 ? 1900 + yy : 2000 + yy, num(2, 4), num(0, 2))
        }
        guard let y, let m, let d, CivilTime.isValid(year: y, month: m, day: d) else { return nil }
        return (y, m, d)
    }

    /// A time of day `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fffffffff` → nanoseconds after midnight.
    static func timeOfDay(_ b: Bytes) -> Int64? {
        let s = b.trimmed().unquoted()
        guard s.count >= 5, s[2] == 58, let h = parseInt64(s.slice(0, 2)), let m = parseInt64(s.slice(3, 5)), h < 24, m < 60 else {
            return nil
        }
        var nanos = (h * 3600 + m * 60) * Time.second
        if s.count == 5 { return nanos }
        guard s.count >= 8, s[5] == 58, let sec = parseInt64(s.slice(6, 8)), sec < 61 else { return nil }
        nanos += sec * Time.second
        if s.count == 8 { return nanos }
        guard s[8] == 46, s.count > 9, s.count <= 18, let frac = parseInt64(s.slice(9, s.count)) else { return nil }
        return nanos + frac * ExactDecimal.powerOfTen(9 - (s.count - 9))
    }

    /// A date-time `DATE[ T]TIME[Z|±HH:MM]` (DATE and TIME as above) or a date alone (midnight).
    /// Without an offset, the time is civil time in the parser's zone.
    func dateTime(_ b: Bytes) -> Nanos? {
        let s = b.trimmed().unquoted()
        guard s.count >= 8 else { return nil }
        var split = -1
        for i in 0..<s.count where s[i] == 32 || s[i] == 84 { split = i; break }
        if split < 0 {
            guard let d = TimeParser.date(s) else { return nil }
            return clock.utc(year: d.0, month: d.1, day: d.2, nanosOfDay: 0)
        }
        guard let d = TimeParser.date(s.slice(0, split)) else { return nil }
        var rest = s.slice(split + 1, s.count)
        var offsetSeconds: Int64?
        if rest.last == 90 { offsetSeconds = 0; rest = rest.slice(0, rest.count - 1) }  // Z
        else if rest.count >= 14, rest[rest.count - 6] == 43 || rest[rest.count - 6] == 45, rest[rest.count - 3] == 58,
                let oh = parseInt64(rest.slice(rest.count - 5, rest.count - 3)), let om = parseInt64(rest.slice(rest.count - 2, rest.count))
        {
            offsetSeconds = (rest[rest.count - 6] == 45 ? -1 : 1) * (oh * 3600 + om * 60)
            rest = rest.slice(0, rest.count - 6)
        }
        guard let tod = TimeParser.timeOfDay(rest) else { return nil }
        if let offsetSeconds {
            let days = CivilTime.daysFromCivil(year: d.0, month: d.1, day: d.2)
            return days * Time.day + tod - offsetSeconds * Time.second
        }
        return clock.utc(year: d.0, month: d.1, day: d.2, nanosOfDay: tod)
    }

    /// An epoch number: integers scaled by their digit count (≤10 s, ≤13 ms, ≤16 µs, else ns),
    /// or decimal seconds.
    static func epoch(_ b: Bytes) -> Nanos? {
        let s = b.trimmed().unquoted()
        if let v = parseInt64(s) {
            let digits = s.count - (s.first == 45 ? 1 : 0)
            if digits <= 10 { return v * Time.second }
            if digits <= 13 { return v * Time.millisecond }
            if digits <= 16 { return v * Time.microsecond }
            return v
        }
        if let d = ExactDecimal.parse(s), d.scale <= 9 {
            let (m, o) = d.mantissa.multipliedReportingOverflow(by: ExactDecimal.powerOfTen(9 - Int(d.scale)))
            return o ? nil : m
        }
        return nil
    }

    /// Any of the above.
    func any(_ b: Bytes) -> Nanos? {
        let s = b.trimmed().unquoted()
        if s.contains(45) || s.contains(58) || s.contains(47) { return dateTime(s) }
        if s.count == 8, let d = TimeParser.date(s) { return clock.utc(year: d.0, month: d.1, day: d.2, nanosOfDay: 0) }
        return TimeParser.epoch(s)
    }
}
