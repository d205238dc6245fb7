import Foundation
import MithaiEngine

/// Wall-clock (civil) date-times in an IANA time zone → nanoseconds since the Unix epoch (UTC).
/// Offsets come from the system's tz database through Foundation's `TimeZone`, cached per day.
final class CivilTime {
    let zoneName: String
    private let zone: TimeZone
    private var cache: [Int64: Int64] = [:]  // days since epoch (local) -> UTC offset seconds at local noon

    init(zone name: String, file: String) throws {
        guard let zone = TimeZone(identifier: name) else {
            throw DataError(file: file, "unknown time zone '\(name)' (use an IANA name such as America/New_York or Asia/Kolkata)")
        }
        zoneName = name
        self.zone = zone
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = month
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// True for a valid calendar date.
    static func isValid(year: Int64, month: Int64, day: Int64) -> Bool {
        guard month >= 1 && month <= 12 && day >= 1 else { return false }
        let lengths: [Int64] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var length = lengths[Int(month - 1)]
        if month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) { length = 29 }
        return day <= length
    }

    /// UTC nanoseconds of `nanosOfDay` after local midnight of the given date. DST transitions:
    /// the offset in force at the local time itself is used (computed from a first guess).
    func utc(year: Int64, month: Int64, day: Int64, nanosOfDay: Int64) -> Nanos {
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let localSeconds = days * 86_400 + nanosOfDay / Time.second
        // First guess with the offset at local noon, then the offset at the resulting instant.
        let noonOffset = offset(atUTCSeconds: days * 86_400 + 43_200)
        let guess = localSeconds - noonOffset
        let exact = offset(atUTCSeconds: guess)
        return (days * 86_400 - exact) * Time.second + nanosOfDay
    }

    private func offset(atUTCSeconds s: Int64) -> Int64 {
        let hourKey = s / 3600
        if let o = cache[hourKey] { return o }
        let o = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(s))))
        if cache.count > 100_000 { cache.removeAll() }
        cache[hourKey] = o
        return o
    }
}
