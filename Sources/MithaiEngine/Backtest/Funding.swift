/// Funding of a perpetual swap: at each funding time the holder of a position pays or receives
/// `rate × position value at the mark price` (rate > 0: longs pay shorts).
///
/// Funding times are either the entries of a series (time, rate, optional mark) or, with a
/// constant rate, every multiple of `interval` since the Unix epoch plus `offset` (Binance
/// USD-M: every 8 h at 00:00, 08:00 and 16:00 UTC).
///
/// *Known limitation*: in a backtest a funding event is settled at the first decision at or
/// after its time, with the position and (without a mark in the series) the mid the strategy
/// sees then; with the default 100 ms decisions the difference is one decision interval.
public struct FundingSchedule: Sendable, Equatable {
    /// Time between funding events (ns) when the rate is constant.
    public var interval: Nanos
    public var offset: Nanos
    /// The rate per funding event when there is no series.
    public var constantRate: ExactDecimal
    /// A series: funding times (ns, increasing), rates, and marks in half ticks (0 = use the mid).
    public var times: [Nanos]
    public var rates: [ExactDecimal]
    public var markHalfTicks: [Int64]
    /// Where the numbers come from (for display).
    public var source: String

    /// A constant rate every `interval`.
    public init(rate: ExactDecimal, interval: Nanos = 8 * Time.hour, offset: Nanos = 0, source: String = "constant") {
        precondition(interval > 0, "funding interval must be positive")
        self.interval = interval
        self.offset = offset
        constantRate = rate
        times = []
        rates = []
        markHalfTicks = []
        self.source = source
    }

    /// A series of funding events.
    public init(times: [Nanos], rates: [ExactDecimal], markHalfTicks: [Int64]? = nil, source: String) {
        precondition(times.count == rates.count, "one rate per funding time")
        precondition(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "funding times must increase")
        interval = times.count > 1 ? times[1] - times[0] : 8 * Time.hour
        offset = 0
        constantRate = .zero
        self.times = times
        self.rates = rates
        self.markHalfTicks = markHalfTicks ?? Array(repeating: 0, count: times.count)
        self.source = source
    }

    public var isSeries: Bool { !times.isEmpty }

    /// The first funding event strictly after `time`: its time, rate and mark (0 = mid), or nil.
    public func next(after time: Nanos) -> (time: Nanos, rate: ExactDecimal, markHalfTicks: Int64)? {
        if isSeries {
            var lo = 0, hi = times.count
            while lo < hi { let m = (lo + hi) / 2; if times[m] <= time { lo = m + 1 } else { hi = m } }
            return lo < times.count ? (times[lo], rates[lo], markHalfTicks[lo]) : nil
        }
        let k = (time - offset) >= 0 ? (time - offset) / interval + 1 : (time - offset) / interval
        return (offset + k * interval, constantRate, 0)
    }

    /// The signed funding cash flow (received positive) of `position` lots at a mark of
    /// `halfTicks` and `rate`, in the valuation's money units, rounded half to even.
    public static func payment(position: Lots, markHalfTicks: Int64, rate: ExactDecimal, valuation v: Valuation) -> Money {
        if position == 0 || rate.mantissa == 0 { return .zero }
        // Value of |position| at the mark (currency units of the valuation), always positive.
        var value = v.mark(position: abs(position), halfTicks: markHalfTicks)
        if value < .zero { value = -value }
        let amount = divideRoundingHalfEven(value.units * Int128(rate.mantissa), pow10(Int(rate.scale)))
        // rate > 0: a long pays, a short receives.
        return Money(units: position > 0 ? -amount : amount)
    }
}
