/// A venue's trading hours in its own time zone, as minutes after local midnight.
///
/// Invariant: `0 <= open < close <= 1440`. `nil` hours (see `InstrumentPreset.hours`) mean the
/// market trades around the clock (crypto).
public struct TradingHours: Sendable, Hashable, CustomStringConvertible {
    /// Minutes after local midnight of the first trading minute (09:15 IST → 555).
    public var open: Int
    /// Minutes after local midnight at which continuous trading ends (15:30 IST → 930).
    public var close: Int

    public init(open: Int, close: Int) {
        precondition(0 <= open && open < close && close <= 1440, "trading hours out of range")
        self.open = open
        self.close = close
    }

    /// Length of the session in nanoseconds.
    public var lengthNanos: Int64 { Int64(close - open) * 60 * 1_000_000_000 }

    public var description: String {
        func hm(_ m: Int) -> String {
            let h = m / 60, mm = m % 60
            return (h < 10 ? "0" : "") + "\(h):" + (mm < 10 ? "0" : "") + "\(mm)"
        }
        return "\(hm(open))-\(hm(close))"
    }
}

/// What kind of product a preset describes (equity, future, perpetual, ...); drives fees, margin
/// and funding. Not to be confused with `ContractKind` (linear or inverse valuation).
public enum ProductKind: String, Sendable, Hashable, CaseIterable {
    /// Cash equity (delivery or intraday).
    case equity
    /// Dated future with an expiry and a contract multiplier.
    case future
    /// Perpetual swap (crypto): funding instead of expiry.
    case perpetual
    /// Listed option.
    case option
    /// Spot crypto or FX.
    case spot
}

/// A named, realistic instrument definition for the markets the workbench targets: simulated
/// venues (`market`), `instrument` listings, fee tables and watchlists all start from here.
///
/// Keys are `venue:SYMBOL` in lower-case venue, upper-case symbol (`nse:RELIANCE`,
/// `binance:BTCUSDT`). Values are the exchange's published contract specifications; the
/// `reference price` is only a realistic starting level for simulated markets, not market data.
public struct InstrumentPreset: Sendable, Hashable {
    /// `venue:SYMBOL`, e.g. `nse:NIFTY-FUT`.
    public var key: String
    /// Tick, lot, multiplier, currency and time zone.
    public var instrument: Instrument
    public var kind: ProductKind
    /// Continuous-trading hours in the instrument's time zone; nil for 24/7 markets.
    public var hours: TradingHours?
    /// A realistic price level for simulations (exact, a whole number of ticks).
    public var referencePrice: ExactDecimal
    /// One line on what it is and where its numbers come from.
    public var summary: String
    /// Typical order flow for simulated venues (rates, sizes, price range); see docs/LIVE.md.
    public var activity: FlowParameters

    public init(key: String, instrument: Instrument, kind: ProductKind, hours: TradingHours?,
                referencePrice: ExactDecimal, summary: String, activity: FlowParameters? = nil)
    {
        self.activity = activity ?? FlowParameters.typical(kind)
        self.key = key
        self.instrument = instrument
        self.kind = kind
        self.hours = hours
        self.referencePrice = referencePrice
        self.summary = summary
    }
}

/// The built-in presets. Order is the display order of `instrument` listings.
public enum InstrumentPresets {
    private static func d(_ text: String) -> ExactDecimal {
        guard let v = ExactDecimal(text) else { preconditionFailure("bad decimal literal \(text)") }
        return v
    }

    /// NSE/BSE continuous session: 09:15-15:30 IST.
    public static let indianCashHours = TradingHours(open: 9 * 60 + 15, close: 15 * 60 + 30)

    private static func indianEquity(_ venue: String, _ symbol: String, price: String, name: String) -> InstrumentPreset {
        InstrumentPreset(
            key: "\(venue):\(symbol)",
            instrument: Instrument(symbol: symbol, venue: venue.uppercased(), tickSize: d("0.05"), lotSize: d("1"),
                                   currency: "INR", timeZone: "Asia/Kolkata"),
            kind: .equity, hours: indianCashHours, referencePrice: d(price),
            summary: "\(name), \(venue.uppercased()) cash equity: tick 0.05 INR, 1 share, 09:15-15:30 IST")
    }

    public static let all: [InstrumentPreset] = [
        indianEquity("nse", "RELIANCE", price: "1500.00", name: "Reliance Industries"),
        indianEquity("nse", "INFY", price: "1550.00", name: "Infosys"),
        indianEquity("nse", "TCS", price: "3100.00", name: "Tata Consultancy Services"),
        indianEquity("nse", "HDFCBANK", price: "1000.00", name: "HDFC Bank"),
        indianEquity("bse", "RELIANCE", price: "1500.00", name: "Reliance Industries"),
        InstrumentPreset(
            key: "nse:NIFTY-FUT",
            instrument: Instrument(symbol: "NIFTY-FUT", venue: "NSE", tickSize: d("0.05"), lotSize: d("65"),
                                   currency: "INR", timeZone: "Asia/Kolkata"),
            kind: .future, hours: indianCashHours, referencePrice: d("26000.00"),
            summary: "NIFTY 50 index future, NSE: tick 0.05 index points, lot 65 units (lot size revised for 2026 contracts; edit when NSE revises it), INR per point per unit"),
        InstrumentPreset(
            key: "nse:BANKNIFTY-FUT",
            instrument: Instrument(symbol: "BANKNIFTY-FUT", venue: "NSE", tickSize: d("0.05"), lotSize: d("30"),
                                   currency: "INR", timeZone: "Asia/Kolkata"),
            kind: .future, hours: indianCashHours, referencePrice: d("58000.00"),
            summary: "NIFTY BANK index future, NSE: tick 0.05, lot 30 units (2026 contracts)"),
        InstrumentPreset(
            key: "binance:BTCUSDT",
            instrument: Instrument(symbol: "BTCUSDT", venue: "binance-usdm", tickSize: d("0.1"), lotSize: d("0.001"),
                                   currency: "USDT", timeZone: "UTC"),
            kind: .perpetual, hours: nil, referencePrice: d("60000.0"),
            summary: "BTC/USDT linear perpetual, Binance USD-M: tick 0.1 USDT, lot 0.001 BTC, 24/7, funding every 8 h"),
        InstrumentPreset(
            key: "binance:ETHUSDT",
            instrument: Instrument(symbol: "ETHUSDT", venue: "binance-usdm", tickSize: d("0.01"), lotSize: d("0.001"),
                                   currency: "USDT", timeZone: "UTC"),
            kind: .perpetual, hours: nil, referencePrice: d("3000.00"),
            summary: "ETH/USDT linear perpetual, Binance USD-M: tick 0.01 USDT, lot 0.001 ETH, 24/7, funding every 8 h"),
    ] + InstrumentCatalog.presets

    /// The preset for `key` (case-insensitive on both parts), or nil.
    public static func named(_ key: String) -> InstrumentPreset? {
        let k = key.lowercased()
        return all.first { $0.key.lowercased() == k }
    }

    /// All keys, for completion and did-you-mean.
    public static var keys: [String] { all.map(\.key) }
}
