/// Costs and contract terms of the presets: fee tables (with their sources and dates), margin,
/// expiry, funding and option terms, keyed by preset key. Kept beside `InstrumentPresets`
/// (which holds tick, lot, hours) so each catalog stays small; `InstrumentPreset.terms` joins
/// them. Every fee table is the text form of `ChargeSchedule`, so `instrument DATA fees=FILE`
/// reads exactly what is written here, and a user edits a copy (docs/INSTRUMENTS.md).
///
/// The numbers are the venues' and regulators' published schedules as of the date on each
/// table; they change (NSE revised its transaction charges on 2024-10-01, STT on F&O changed
/// the same day): check the source before trusting a backtest's costs to the paisa.
public struct InstrumentTerms: Sendable, Equatable {
    /// The fee table a run uses by default.
    public var fees: ChargeSchedule
    /// Where to check it (the venue's fee page).
    public var feeLink: String
    /// Other tables a user can pick with `product=` or `tier=` (name → table).
    public var variants: [(name: String, fees: ChargeSchedule)]
    /// Initial and maintenance margin as fractions of notional (nil: fully paid cash).
    public var initialMargin: ExactDecimal?
    public var maintenanceMargin: ExactDecimal?
    /// Expiry rule in words (nil: none) and a concrete expiry date (ISO) for options.
    public var expiry: String?
    /// Funding interval of a perpetual (nil: none).
    public var fundingInterval: Nanos?
    /// Mark price rule in words (perpetuals).
    public var markPrice: String?
    public var option: OptionTerms?
    public var notes: String

    public static func == (a: InstrumentTerms, b: InstrumentTerms) -> Bool {
        a.fees == b.fees && a.feeLink == b.feeLink && a.variants.map(\.name) == b.variants.map(\.name)
            && a.initialMargin == b.initialMargin && a.expiry == b.expiry && a.fundingInterval == b.fundingInterval
            && a.option == b.option && a.notes == b.notes
    }

    /// The table named `name` (`default` or a variant), or nil.
    public func table(_ name: String) -> ChargeSchedule? {
        if name == "default" { return fees }
        return variants.first { $0.name == name }?.fees
    }
}

/// An option preset: what it is written on and how it is priced.
public struct OptionTerms: Sendable, Equatable {
    public var kind: BlackScholes.Kind
    public var underlying: String
    public var strike: ExactDecimal
    /// Expiry date, ISO (yyyy-mm-dd), at the venue's close.
    public var expiryDate: String
    /// European (NSE index options) or American.
    public var style: String
    /// Defaults for the model columns of `instrument`: volatility, rate, yield (annual).
    public var volatility: Double
    public var rate: Double
    public var yield: Double
}

extension InstrumentPreset {
    /// Costs and contract terms of this preset.
    public var terms: InstrumentTerms? { InstrumentCatalog.terms(for: key) }
}

/// The fee tables and terms (see `InstrumentTerms`).
public enum InstrumentCatalog {
    static func table(_ text: String) -> ChargeSchedule {
        do { return try ChargeSchedule(parsing: text) } catch { preconditionFailure("built-in fee table: \(error)") }
    }
    static func d(_ s: String) -> ExactDecimal { ExactDecimal(s)! }

    // MARK: NSE / BSE (INR). Statutory: STT (Finance (No. 2) Act 2024, from 2024-10-01 for F&O),
    // stamp duty (Indian Stamp Act as amended, from 2020-07-01), SEBI turnover fee ₹10 per crore,
    // GST 18% on brokerage + exchange transaction charge + SEBI fee. Exchange transaction charges:
    // NSE's uniform rates from 2024-10-01 (SEBI's "true to label" circular of 2024-07-01).

    public static let nseEquityIntraday = table("""
        name = NSE cash equity, intraday
        source = NSE transaction charge 0.00297% (₹2.97 per lakh, from 2024-10-01; checked 2026-11-27 against reports of the exchanges' circulars of 2024-09-27 and brokers' charge lists); STT 0.025% sell; stamp duty 0.003% buy; SEBI ₹10/crore; GST 18%; brokerage as configured (default 0.03% capped at ₹20 per order)
        as_of = 2024-10-01
        charge brokerage basis=value rate=0.0003 cap=20
        charge stt basis=value rate=0.00025 side=sell
        charge exchange basis=value rate=0.0000297
        charge sebi basis=value rate=0.000001
        charge stamp basis=value rate=0.00003 side=buy
        charge gst basis=tax rate=0.18 on=brokerage,exchange,sebi
        """)

    public static let nseEquityDelivery = table("""
        name = NSE cash equity, delivery
        source = NSE transaction charge 0.00297% (₹2.97 per lakh, from 2024-10-01; checked 2026-11-27 against reports of the exchanges' circulars of 2024-09-27 and brokers' charge lists); STT 0.1% buy and sell; stamp duty 0.015% buy; SEBI ₹10/crore; GST 18%; brokerage as configured (default 0: discount brokers charge none on delivery)
        as_of = 2024-10-01
        charge brokerage basis=value rate=0
        charge stt basis=value rate=0.001
        charge exchange basis=value rate=0.0000297
        charge sebi basis=value rate=0.000001
        charge stamp basis=value rate=0.00015 side=buy
        charge gst basis=tax rate=0.18 on=brokerage,exchange,sebi
        """)

    public static let bseEquityIntraday = table("""
        name = BSE cash equity (group A/B), intraday
        source = BSE transaction charge 0.00375% (₹375 per crore, groups A, B, from 2024-10-01; checked 2026-11-27 against reports of the exchanges' circulars of 2024-09-27 and brokers' charge lists); STT 0.025% sell; stamp duty 0.003% buy; SEBI ₹10/crore; GST 18%; brokerage as configured
        as_of = 2024-10-01
        charge brokerage basis=value rate=0.0003 cap=20
        charge stt basis=value rate=0.00025 side=sell
        charge exchange basis=value rate=0.0000375
        charge sebi basis=value rate=0.000001
        charge stamp basis=value rate=0.00003 side=buy
        charge gst basis=tax rate=0.18 on=brokerage,exchange,sebi
        """)

    public static let nseFutures = table("""
        name = NSE index and stock futures
        source = NSE transaction charge 0.00173% (₹1.73 per lakh, from 2024-10-01; BSE charges none on futures; checked 2026-11-27 against reports of the exchanges' circulars of 2024-09-27 and brokers' charge lists); STT 0.02% sell (Finance (No. 2) Act 2024, from 2024-10-01); stamp duty 0.002% buy; SEBI ₹10/crore; GST 18%; brokerage as configured (default 0.03% capped at ₹20 per order)
        as_of = 2024-10-01
        charge brokerage basis=value rate=0.0003 cap=20
        charge stt basis=value rate=0.0002 side=sell
        charge exchange basis=value rate=0.0000173
        charge sebi basis=value rate=0.000001
        charge stamp basis=value rate=0.00002 side=buy
        charge gst basis=tax rate=0.18 on=brokerage,exchange,sebi
        """)

    public static let nseOptions = table("""
        name = NSE index options (on premium)
        source = NSE transaction charge 0.03503% of premium (₹35.03 per lakh of premium, from 2024-10-01; checked 2026-11-27 against reports of the exchanges' circulars of 2024-09-27 and brokers' charge lists); STT 0.1% of premium sell (from 2024-10-01); stamp duty 0.003% buy; SEBI ₹10/crore; GST 18%; brokerage as configured (default ₹20 per order)
        as_of = 2024-10-01
        charge brokerage basis=fill rate=20
        charge stt basis=value rate=0.001 side=sell
        charge exchange basis=value rate=0.0003503
        charge sebi basis=value rate=0.000001
        charge stamp basis=value rate=0.00003 side=buy
        charge gst basis=tax rate=0.18 on=brokerage,exchange,sebi
        """)

    // MARK: CME-style per-contract fees (USD per contract per side).

    public static let cmeEquityIndexFutures = table("""
        name = CME E-mini equity index futures, non-member, per contract
        source = CME Group clearing and Globex fees for non-member E-mini S&P 500 (about $1.38 per side, 2024); NFA assessment $0.02; brokerage as configured (default $0.85); illustrative: check the current schedule
        as_of = 2024-10-01
        charge brokerage basis=unit rate=0.85
        charge exchange basis=unit rate=1.38
        charge nfa basis=unit rate=0.02
        """)

    // MARK: Binance (fraction of notional; maker/taker by VIP tier).

    /// USD-M futures maker/taker by tier (no BNB discount), and the 30-day futures volume (USD)
    /// a tier needs.
    public static let binanceUSDMTiers: [(tier: String, volume30d: String, maker: String, taker: String)] = [
        ("vip0", "0", "0.0002", "0.0005"), ("vip1", "15000000", "0.00016", "0.0004"),
        ("vip2", "50000000", "0.00014", "0.00035"), ("vip3", "100000000", "0.00012", "0.00032"),
        ("vip4", "600000000", "0.0001", "0.0003"), ("vip5", "1000000000", "0.00008", "0.00027"),
        ("vip6", "3000000000", "0.00006", "0.00025"), ("vip7", "5000000000", "0.00004", "0.00022"),
        ("vip8", "12500000000", "0.00002", "0.0002"), ("vip9", "25000000000", "0", "0.00017"),
    ]

    static func binance(_ product: String, _ page: String, _ tier: (tier: String, volume30d: String, maker: String, taker: String)) -> ChargeSchedule {
        table("""
            name = Binance \(product), \(tier.tier.uppercased()) (30-day volume >= \(tier.volume30d) USD)
            source = https://www.binance.com/en/fee/\(page) (no BNB discount; rates and the VIP1 volume threshold checked 2026-11-27 against copies of the schedule and Binance's VIP programme announcement)
            as_of = 2024-10-01
            charge maker basis=value rate=\(tier.maker) liquidity=maker
            charge taker basis=value rate=\(tier.taker) liquidity=taker
            """)
    }

    public static let binanceUSDM: [(name: String, fees: ChargeSchedule)] = binanceUSDMTiers.map { ($0.tier, binance("USD-M futures", "futureFee", $0)) }
    /// COIN-M (inverse) futures maker/taker by tier, no BNB discount. Makers pay less than on
    /// USD-M (0.0100% at VIP0). Only the tiers whose rates were checked (2026-11-27, against a
    /// published copy of Binance's COIN-M schedule) are listed; above VIP2, write a fee file
    /// (`instrument DATA fees=FILE`) from the venue's page.
    public static let binanceCOINMTiers: [(tier: String, volume30d: String, maker: String, taker: String)] = [
        ("vip0", "0", "0.0001", "0.0005"), ("vip1", "15000000", "0.00008", "0.0004"), ("vip2", "50000000", "0.00007", "0.00035"),
    ]
    public static let binanceCOINM: [(name: String, fees: ChargeSchedule)] = binanceCOINMTiers.map { ($0.tier, binance("COIN-M futures", "deliveryFee", $0)) }

    /// The tier a 30-day volume (USD) qualifies for.
    public static func binanceTier(volume30d: Double) -> String {
        var t = "vip0"
        for row in binanceUSDMTiers where Double(row.volume30d)! <= volume30d { t = row.tier }
        return t
    }

    // MARK: Terms by preset

    static let nseLink = "https://www.nseindia.com/ (Trade > Charges; circulars of 2024-07 and 2024-09)"

    public static func terms(for key: String) -> InstrumentTerms? {
        let k = key.lowercased()
        let equityNote = "Delivery STT 0.1% both sides, intraday 0.025% sell; DP charges on delivery sells (per scrip per day) are not per fill and not modelled."
        switch k {
        case "nse:reliance", "nse:infy", "nse:tcs", "nse:hdfcbank":
            return InstrumentTerms(fees: nseEquityIntraday, feeLink: nseLink, variants: [("intraday", nseEquityIntraday), ("delivery", nseEquityDelivery)],
                                   initialMargin: nil, maintenanceMargin: nil, expiry: nil, fundingInterval: nil, markPrice: nil,
                                   option: nil, notes: equityNote)
        case "bse:reliance":
            return InstrumentTerms(fees: bseEquityIntraday, feeLink: "https://www.bseindia.com/ (transaction charges)",
                                   variants: [("intraday", bseEquityIntraday)], initialMargin: nil, maintenanceMargin: nil, expiry: nil,
                                   fundingInterval: nil, markPrice: nil, option: nil, notes: equityNote)
        case "nse:nifty-fut", "nse:banknifty-fut", "nse:reliance-fut":
            return InstrumentTerms(fees: nseFutures, feeLink: nseLink, variants: [], initialMargin: d("0.12"), maintenanceMargin: d("0.09"),
                                   expiry: "monthly, last Tuesday of the month (NSE F&O expiry day from 2025-09), cash settled (index) or physically settled (stock)",
                                   fundingInterval: nil, markPrice: nil, option: nil,
                                   notes: "Margin is indicative (SPAN + exposure, about 12% of notional); brokers publish it daily.")
        case "nse:nifty-26000-ce", "nse:nifty-26000-pe":
            return InstrumentTerms(fees: nseOptions, feeLink: nseLink, variants: [], initialMargin: d("0.12"), maintenanceMargin: nil,
                                   expiry: "monthly, last Tuesday (this series: 2026-12-29), European, cash settled",
                                   fundingInterval: nil, markPrice: nil,
                                   option: OptionTerms(kind: k.hasSuffix("ce") ? .call : .put, underlying: "NIFTY 50 index",
                                                       strike: d("26000"), expiryDate: "2026-12-29", style: "european",
                                                       volatility: 0.13, rate: 0.065, yield: 0.012),
                                   notes: "Buyers pay the premium; writers post margin (indicative 12% of the underlying's notional).")
        case "cme:es-fut":
            return InstrumentTerms(fees: cmeEquityIndexFutures, feeLink: "https://www.cmegroup.com/company/clearing-fees.html", variants: [],
                                   initialMargin: d("0.07"), maintenanceMargin: d("0.065"),
                                   expiry: "quarterly (Mar, Jun, Sep, Dec), third Friday, cash settled",
                                   fundingInterval: nil, markPrice: nil, option: nil,
                                   notes: "Fees are per contract per side; margin indicative (CME publishes it in USD per contract).")
        case "binance:btcusdt", "binance:ethusdt":
            return InstrumentTerms(fees: binanceUSDM[0].fees, feeLink: "https://www.binance.com/en/fee/futureFee", variants: binanceUSDM,
                                   initialMargin: d("0.008"), maintenanceMargin: d("0.004"), expiry: nil, fundingInterval: 8 * Time.hour,
                                   markPrice: "index price + time-decayed basis (Binance mark price); the run uses the mid or the funding file's mark",
                                   option: nil, notes: "Funding at 00:00, 08:00, 16:00 UTC: rate > 0, longs pay shorts. Margin: lowest notional bracket (125x).")
        case "binance:btcusd_perp":
            return InstrumentTerms(fees: binanceCOINM[0].fees, feeLink: "https://www.binance.com/en/fee/deliveryFee", variants: binanceCOINM,
                                   initialMargin: d("0.008"), maintenanceMargin: d("0.004"), expiry: nil, fundingInterval: 8 * Time.hour,
                                   markPrice: "index price + time-decayed basis (Binance mark price); the run uses the mid or the funding file's mark",
                                   option: nil, notes: "Inverse: 1 contract = 100 USD, P&L and fees in BTC.")
        default:
            return nil
        }
    }

    /// Presets added for costs and contract types (futures on other venues, inverse perpetuals,
    /// options, a stock future); `InstrumentPresets.all` lists them after the core ones.
    static let presets: [InstrumentPreset] = [
        InstrumentPreset(
            key: "nse:RELIANCE-FUT",
            instrument: Instrument(symbol: "RELIANCE-FUT", venue: "NSE", tickSize: d("0.05"), lotSize: d("500"),
                                   currency: "INR", timeZone: "Asia/Kolkata"),
            kind: .future, hours: InstrumentPresets.indianCashHours, referencePrice: d("1510.00"),
            summary: "Reliance Industries stock future, NSE: tick 0.05, lot 500 shares (NSE revises stock lots twice a year; edit when it does)"),
        InstrumentPreset(
            key: "nse:NIFTY-26000-CE",
            instrument: Instrument(symbol: "NIFTY-26000-CE", venue: "NSE", tickSize: d("0.05"), lotSize: d("65"),
                                   currency: "INR", timeZone: "Asia/Kolkata"),
            kind: .option, hours: InstrumentPresets.indianCashHours, referencePrice: d("470.00"),
            summary: "NIFTY 50 call, strike 26000, expiry 2026-12-29, European: tick 0.05, lot 65"),
        InstrumentPreset(
            key: "nse:NIFTY-26000-PE",
            instrument: Instrument(symbol: "NIFTY-26000-PE", venue: "NSE", tickSize: d("0.05"), lotSize: d("65"),
                                   currency: "INR", timeZone: "Asia/Kolkata"),
            kind: .option, hours: InstrumentPresets.indianCashHours, referencePrice: d("330.00"),
            summary: "NIFTY 50 put, strike 26000, expiry 2026-12-29, European: tick 0.05, lot 65"),
        InstrumentPreset(
            key: "cme:ES-FUT",
            instrument: Instrument(symbol: "ES-FUT", venue: "CME", tickSize: d("0.25"), lotSize: d("1"),
                                   contractMultiplier: d("50"), currency: "USD", timeZone: "America/Chicago"),
            kind: .future, hours: TradingHours(open: 8 * 60 + 30, close: 15 * 60),
            referencePrice: d("6000.00"),
            summary: "E-mini S&P 500 future, CME: tick 0.25 points ($12.50), $50 per point, 1 contract; hours are the regular session (Globex trades nearly 24 h)"),
        InstrumentPreset(
            key: "binance:BTCUSD_PERP",
            instrument: Instrument(symbol: "BTCUSD_PERP", venue: "binance-coinm", tickSize: d("0.1"), lotSize: d("1"),
                                   contractMultiplier: d("100"), currency: "BTC", timeZone: "UTC", isInverse: true),
            kind: .perpetual, hours: nil, referencePrice: d("60000.0"),
            summary: "BTC/USD inverse perpetual, Binance COIN-M: 1 contract = 100 USD, tick 0.1, P&L in BTC, funding every 8 h"),
    ]
}
