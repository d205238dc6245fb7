/// One OHLCV bar.
///
/// Units: `time` is the timestamp the source gives the bar (usually its start), in nanoseconds
/// since the Unix epoch (UTC); a daily bar without a time of day is stamped at midnight of that
/// day in the venue's time zone. Prices are absolute
/// `Ticks`; `volume` and `openInterest` are in lots. Counts are 0 when the source does not
/// give them.
///
/// Invariants: `low <= min(open, close)`, `high >= max(open, close)`, `volume >= 0`.
public struct Bar: Sendable, Equatable, BitwiseCopyable {
    public var time: Nanos
    public var open: Ticks
    public var high: Ticks
    public var low: Ticks
    public var close: Ticks
    /// Traded quantity in lots (0 when the source has none, e.g. an index).
    public var volume: Lots
    /// Number of trades (0 = unknown).
    public var trades: Int64
    /// Open interest in lots (0 = unknown).
    public var openInterest: Lots

    public init(time: Nanos, open: Ticks, high: Ticks, low: Ticks, close: Ticks, volume: Lots = 0,
                trades: Int64 = 0, openInterest: Lots = 0)
    {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.trades = trades
        self.openInterest = openInterest
    }

    /// True when high/low bound open and close and the volume is not negative.
    public var isConsistent: Bool {
        low <= open && low <= close && high >= open && high >= close && low <= high && volume >= 0
    }
}
