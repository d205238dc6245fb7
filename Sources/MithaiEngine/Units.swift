/// Integer units used everywhere in the engine. Decimals exist only at the edges
/// (parsing and printing); inside, a price is a count of ticks, a quantity a count of lots
/// and a time a count of nanoseconds.

/// Nanoseconds: since the Unix epoch (UTC) for timestamps, or a span for durations.
public typealias Nanos = Int64
/// A price in ticks of its instrument (price = ticks × tick size).
public typealias Ticks = Int64
/// A quantity in lots of its instrument (quantity = lots × lot size).
public typealias Lots = Int64

/// Handy constants for nanosecond arithmetic.
public enum Time {
    public static let microsecond: Nanos = 1_000
    public static let millisecond: Nanos = 1_000_000
    public static let second: Nanos = 1_000_000_000
    public static let minute: Nanos = 60 * second
    public static let hour: Nanos = 60 * minute
    public static let day: Nanos = 24 * hour
}

/// The side of a book level or order, or the aggressor of a trade.
///
/// `buy` is the bid side of the book (a buy order rests on the bid); `sell` is the ask side.
/// For a trade, the side is the aggressor's (a `buy` trade lifted an ask). `none` means
/// "not applicable or unknown" (a whole-book clear, a trade whose aggressor is not recorded).
public enum Side: Int8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    case sell = -1
    case none = 0
    case buy = 1

    /// The other side; `none` stays `none`.
    @inlinable public var opposite: Side {
        switch self {
        case .buy: return .sell
        case .sell: return .buy
        case .none: return .none
        }
    }

    public var description: String {
        switch self {
        case .buy: return "buy"
        case .sell: return "sell"
        case .none: return "none"
        }
    }
}
