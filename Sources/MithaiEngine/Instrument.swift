/// A tradable instrument: how its integer ticks and lots map to real prices and sizes.
///
/// Invariants: `tickSize > 0`, `lotSize > 0`, `contractMultiplier > 0`. Prices inside the
/// engine are `Ticks` (price = ticks × tickSize) and quantities `Lots` (size = lots × lotSize);
/// the conversions here are exact and fail rather than round.
public struct Instrument: Sendable, Hashable, CustomStringConvertible {
    /// Symbol as the venue spells it, e.g. `BTCUSDT`, `GOOG`.
    public var symbol: String
    /// Venue or data source, e.g. `binance-usdm`, `NASDAQ`.
    public var venue: String
    /// Smallest price increment, exact (e.g. `0.1`, `0.0001`).
    public var tickSize: ExactDecimal
    /// Smallest quantity increment, exact (e.g. `0.001` BTC, `1` share).
    public var lotSize: ExactDecimal
    /// Value of one unit of quantity at price 1, in `currency` (1 for spot and linear contracts).
    public var contractMultiplier: ExactDecimal
    /// Quote (settlement) currency, e.g. `USDT`, `USD`, `INR`.
    public var currency: String
    /// IANA time zone name of the venue's trading day, e.g. `America/New_York`, `Asia/Kolkata`, `UTC`.
    public var timeZone: String
    /// True for inverse contracts (quantity is in quote currency, P&L in base currency).
    public var isInverse: Bool

    /// Errors raised by the exact conversions.
    public enum ConversionError: Error, Equatable, CustomStringConvertible {
        case notAMultiple(value: ExactDecimal, step: ExactDecimal, what: String)
        case overflow(value: String, what: String)
        case invalidStep(ExactDecimal, what: String)

        public var description: String {
            switch self {
            case let .notAMultiple(value, step, what):
                return "\(what) \(value) is not a whole number of \(what == "price" ? "ticks" : "lots") of \(step)"
            case let .overflow(value, what):
                return "\(what) \(value) overflows 64-bit integer units"
            case let .invalidStep(step, what):
                return "\(what) step \(step) must be positive"
            }
        }
    }

    public init(symbol: String, venue: String = "", tickSize: ExactDecimal, lotSize: ExactDecimal,
                contractMultiplier: ExactDecimal = .one, currency: String = "",
                timeZone: String = "UTC", isInverse: Bool = false)
    {
        self.symbol = symbol
        self.venue = venue
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.contractMultiplier = contractMultiplier
        self.currency = currency
        self.timeZone = timeZone
        self.isInverse = isInverse
    }

    /// Throws unless tick, lot and multiplier are positive.
    public func validate() throws {
        guard tickSize.mantissa > 0 else { throw ConversionError.invalidStep(tickSize, what: "tick") }
        guard lotSize.mantissa > 0 else { throw ConversionError.invalidStep(lotSize, what: "lot") }
        guard contractMultiplier.mantissa > 0 else {
            throw ConversionError.invalidStep(contractMultiplier, what: "contract multiplier")
        }
    }

    /// The exact tick count of `price`; throws when it is not a whole number of ticks.
    public func ticks(_ price: ExactDecimal) throws -> Ticks {
        guard let t = price.multiple(of: tickSize) else {
            throw ConversionError.notAMultiple(value: price, step: tickSize, what: "price")
        }
        return t
    }

    /// The exact lot count of `size`; throws when it is not a whole number of lots.
    public func lots(_ size: ExactDecimal) throws -> Lots {
        guard let l = size.multiple(of: lotSize) else {
            throw ConversionError.notAMultiple(value: size, step: lotSize, what: "quantity")
        }
        return l
    }

    /// The price of `ticks`, with the tick size's scale (e.g. 616597 × 0.1 → `61659.7`).
    public func price(_ ticks: Ticks) -> ExactDecimal {
        ExactDecimal.multiple(ticks, of: tickSize) ?? ExactDecimal(mantissa: ticks, scale: 0)
    }

    /// The size of `lots`, with the lot size's scale (e.g. 1486 × 0.001 → `1.486`).
    public func quantity(_ lots: Lots) -> ExactDecimal {
        ExactDecimal.multiple(lots, of: lotSize) ?? ExactDecimal(mantissa: lots, scale: 0)
    }

    public var description: String {
        "\(symbol)\(venue.isEmpty ? "" : "@" + venue) tick \(tickSize) lot \(lotSize) \(currency) \(timeZone)"
    }
}
