import Foundation
import MithaiLanguage
public import MithaiEngine

/// What a dataset's runs are charged beyond plain maker/taker rates: a fee table, funding, and
/// the preset they came from. Set with `instrument DATA preset=... fees=FILE funding=...`.
public struct InstrumentCosts: Sendable, Equatable {
    /// The preset whose terms apply (nil when only a fee file or funding was given).
    public var presetKey: String?
    /// Fee table (replaces maker=/taker= rates when set) and its label (`intraday`, `vip3`, a file).
    public var charges: ChargeSchedule?
    public var chargesLabel: String
    public var funding: FundingSchedule?

    var canonical: String {
        "\(presetKey ?? "")|\(chargesLabel)|\(charges?.text ?? "")|\(funding.map { "\($0.source),\($0.interval),\($0.constantRate),\($0.times.count)" } ?? "")"
    }
}

/// `instrument`: presets (list, full specification) and a dataset's instrument, fees and funding.
enum InstrumentCommands {
    static let parameters: [Parameter] = [
        Parameter("data", .positional, .value, "a dataset, or a preset key such as nse:RELIANCE (nothing: list the presets)"),
        Parameter("tick", .option, .number, "tick size: fixed at load (load ... tick=); must equal the current one"),
        Parameter("lot", .option, .number, "lot size: fixed at load (load ... lot=); must equal the current one"),
        Parameter("multiplier", .option, .number, "contract multiplier"),
        Parameter("currency", .option, .word, "quote currency"),
        Parameter("tz", .option, .word, "time zone for display (IANA)"),
        Parameter("venue", .option, .word, "venue name"),
        Parameter("inverse", .option, .bool, "inverse contract (P&L in the base currency)"),
        Parameter("maker", .option, .number, "maker fee rate for backtests, e.g. -0.5bp"),
        Parameter("taker", .option, .number, "taker fee rate for backtests, e.g. 7bp"),
        Parameter("preset", .option, .word, "apply a preset's fee table and terms (funding interval, ...) to the dataset"),
        Parameter("fees", .option, .path, "a fee table file (docs/INSTRUMENTS.md), or the name of one of the preset's tables (intraday, delivery, vip3, ...)"),
        Parameter("brokerage", .option, .number, "brokerage rate replacing the table's, e.g. 0.03% (or 3bp)"),
        Parameter("brokerage_cap", .option, .number, "largest brokerage per fill (currency), e.g. 20"),
        Parameter("funding", .option, .value, "perpetual funding: a constant rate per interval (0.0001 or 1bp), a CSV file (time,rate[,mark]), or off"),
        Parameter("funding_interval", .option, .duration, default: "8h", "time between funding events for a constant rate (from 00:00 UTC)"),
    ]

    static func instrument(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        guard let e = ctx.exprs("data").first else { return presetList() }
        if case .name(let n, let r) = e, ctx.workspace[n] == nil {
            if let p = InstrumentPresets.named(n) { return specification(p) }
            let datasets = ctx.workspace.names.filter { if case .object(let o) = ctx.workspace[$0], o.object is DatasetObject { true } else { false } }
            throw .at(r, n.contains(":") ? "no preset '\(n)'" : "no dataset or preset named '\(n)'",
                      suggestions: Suggest.names(for: n, among: datasets + InstrumentPresets.keys),
                      notes: ["presets: instrument (no arguments)"])
        }
        let d = try DataCommands.dataset(&ctx)
        var costs = d.costs ?? InstrumentCosts(presetKey: nil, charges: nil, chargesLabel: "", funding: nil)
        var changed = false
        var terms: InstrumentTerms? = costs.presetKey.flatMap { InstrumentPresets.named($0)?.terms }
        if let key = try ctx.word("preset") {
            guard let p = InstrumentPresets.named(key) else {
                throw .at(ctx.range("preset"), "no preset '\(key)'", suggestions: Suggest.names(for: key, among: InstrumentPresets.keys))
            }
            guard let t = p.terms else { throw .at(ctx.range("preset"), "\(p.key) has no fee table") }
            terms = t
            costs.presetKey = p.key
            costs.charges = t.fees
            costs.chargesLabel = t.variants.first?.name ?? "default"
            // Funding starts only with a rate or a file (`funding=`); the preset gives its interval.
            changed = true
        }
        if let f = try ctx.path("fees") {
            if let t = terms, let table = t.table(f) {
                costs.charges = table
                costs.chargesLabel = f
            } else if f.contains("/") || f.contains(".") || FileManager.default.fileExists(atPath: f) {
                costs.charges = try readFeeFile(f, range: ctx.range("fees"))
                costs.chargesLabel = f
            } else {
                let names = (terms?.variants.map(\.name) ?? [])
                throw .at(ctx.range("fees"), "no fee table '\(f)'", suggestions: Suggest.names(for: f, among: names),
                          notes: [names.isEmpty ? "give a file: fees=Datasets/fees/my.fees" : "tables of \(costs.presetKey ?? ""): " + names.joined(separator: " ")])
            }
            changed = true
        }
        if ctx.has("brokerage") || ctx.has("brokerage_cap") {
            guard let table = costs.charges else {
                throw .at(ctx.range("brokerage"), "no fee table to change", notes: ["first: instrument \(d.name) preset=nse:RELIANCE (or fees=FILE)"])
            }
            var b = table.charges.first { $0.name == "brokerage" } ?? ChargeSchedule.Charge("brokerage", .value, rate: .zero)
            if let v = try ctx.value("brokerage") {
                guard case .number(let n) = v, case .decimal(let m, let s) = n, m >= 0 else {
                    throw .at(ctx.range("brokerage"), "brokerage is a rate such as 0.03% or 3bp")
                }
                b.basis = .value
                b.rate = ExactDecimal(mantissa: m, scale: Int8(s))
            }
            if ctx.has("brokerage_cap") { b.cap = try DataCommands.exact(&ctx, "brokerage_cap") }
            costs.charges = table.replacing(b)
            if !costs.chargesLabel.hasSuffix("+brokerage") { costs.chargesLabel += "+brokerage" }
            changed = true
        }
        if let e = ctx.exprs("funding").first {
            costs.funding = try funding(e, &ctx, d: d, terms: terms)
            changed = true
        }
        // The plain metadata options (tick, lot, currency, ...) and the display.
        var base = try DataCommands.instrument(&ctx, costs: changed ? costs : d.costs)
        guard let c = changed ? costs : d.costs else { return base }
        if case .table(let t) = base {
            var fields = t.column(named: "field").map { col in (0..<t.rowCount).map { col.value(at: $0).display } } ?? []
            var values = t.column(named: "value").map { col in (0..<t.rowCount).map { col.value(at: $0).display } } ?? []
            fields += ["preset", "fees", "funding"]
            values += [c.presetKey ?? "", c.charges.map { "\($0.name) (\(c.chargesLabel))" } ?? "",
                       c.funding.map { fundingText($0) } ?? ""]
            for ch in c.charges?.charges ?? [] {
                fields.append("fee." + ch.name)
                values.append(chargeText(ch))
            }
            base = .table(Table([Column("field", .text(fields)), Column("value", .text(values))]))
        }
        return base
    }

    static func fundingText(_ f: FundingSchedule) -> String {
        f.isSeries ? "\(f.times.count) events from \(f.source)" : "\(f.constantRate) every \(Format.duration(f.interval))"
    }

    static func chargeText(_ c: ChargeSchedule.Charge) -> String {
        var s: String
        switch c.basis {
        case .value: s = "\(c.rate) of value"
        case .unit: s = "\(c.rate) per unit"
        case .fill: s = "\(c.rate) per fill"
        case .tax: s = "\(c.rate) of " + c.on.joined(separator: "+")
        }
        if c.side != .both { s += ", \(c.side.rawValue) only" }
        if c.liquidity != .both { s += ", \(c.liquidity.rawValue) only" }
        if let x = c.cap { s += ", cap \(x)" }
        if let x = c.minimum { s += ", min \(x)" }
        return s
    }

    static func readFeeFile(_ path: String, range: SourceRange) throws(WorkbenchError) -> ChargeSchedule {
        let expanded = (path as NSString).expandingTildeInPath
        guard let text = try? String(contentsOfFile: expanded, encoding: .utf8) else {
            throw .at(range, "cannot read the fee table '\(path)'")
        }
        do { return try ChargeSchedule(parsing: text) } catch {
            throw .failed("\(path):\(error.line): \(error.message)")
        }
    }

    static func funding(_ e: Expr, _ ctx: inout CommandContext, d: DatasetObject, terms: InstrumentTerms?) throws(WorkbenchError) -> FundingSchedule? {
        let range = ctx.range("funding")
        if case .name(let w, _) = e, w == "off" { return nil }
        var file: String?
        if case .path(let p, _) = e { file = p }
        if case .literal(.string(let p), _) = e { file = p }
        if let file { return try fundingFile(file, d: d, range: range) }
        guard case .number(let n) = try ctx.session.evaluate(e, in: &ctx.workspace), case .decimal(let m, let s) = n else {
            throw .at(range, "funding is a rate per interval (0.0001, 1bp), a CSV file, or off")
        }
        guard abs(n.double) < 0.05 else { throw .at(range, "a funding rate of \(n) per interval is over 5%: write e.g. 1bp or 0.0001") }
        var interval = terms?.fundingInterval ?? 8 * Time.hour
        if let v = try ctx.value("funding_interval") {
            guard case .duration(let i) = v, i > 0 else { throw .at(ctx.range("funding_interval"), "funding_interval is a positive duration, e.g. 8h") }
            interval = i
        }
        return FundingSchedule(rate: ExactDecimal(mantissa: m, scale: Int8(s)), interval: interval, source: "constant")
    }

    /// `time,rate[,mark]` per line (a header is allowed): time as ns since the epoch or an ISO
    /// timestamp (UTC), rate a decimal fraction, mark a price (optional).
    static func fundingFile(_ path: String, d: DatasetObject, range: SourceRange) throws(WorkbenchError) -> FundingSchedule {
        let expanded = (path as NSString).expandingTildeInPath
        guard let text = try? String(contentsOfFile: expanded, encoding: .utf8) else { throw .at(range, "cannot read the funding file '\(path)'") }
        var times: [Nanos] = [], rates: [ExactDecimal] = [], marks: [Int64] = []
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let isoPlain = ISO8601DateFormatter()
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if f.isEmpty || f == [""] || f[0].hasPrefix("#") { continue }
            let time: Nanos? = Int64(f[0]) ?? (iso.date(from: f[0]) ?? isoPlain.date(from: f[0])).map { Nanos(($0.timeIntervalSince1970 * 1000).rounded()) * 1_000_000 }
            guard f.count >= 2, let t = time, let rate = ExactDecimal(f[1]) else {
                if i == 0 { continue }
                throw .failed("\(path):\(i + 1): expected time,rate[,mark], got '\(line)'")
            }
            if let last = times.last, t <= last { throw .failed("\(path):\(i + 1): funding times must increase") }
            var mark: Int64 = 0
            if f.count >= 3, !f[2].isEmpty {
                guard let mp = ExactDecimal(f[2]) else { throw .failed("\(path):\(i + 1): '\(f[2])' is not a price") }
                // Half ticks, rounded to the nearest half tick.
                mark = Int64((mp.doubleValue / d.instrument.tickSize.doubleValue * 2).rounded())
            }
            times.append(t); rates.append(rate); marks.append(mark)
        }
        guard !times.isEmpty else { throw .failed("\(path): no funding rows") }
        return FundingSchedule(times: times, rates: rates, markHalfTicks: marks, source: (path as NSString).lastPathComponent)
    }

    static func presetList() -> Value {
        let all = InstrumentPresets.all
        return .table(Table([
            Column("preset", .text(all.map(\.key))), Column("kind", .text(all.map(\.kind.rawValue))),
            Column("tick", .text(all.map { $0.instrument.tickSize.description })),
            Column("lot", .text(all.map { $0.instrument.lotSize.description })),
            Column("multiplier", .text(all.map { $0.instrument.contractMultiplier.description })),
            Column("currency", .text(all.map(\.instrument.currency))),
            Column("hours", .text(all.map { $0.hours.map { "\($0)" } ?? "24/7" })),
            Column("fees", .text(all.map { $0.terms?.fees.name ?? "" })),
            Column("fee_schedule", .text(all.map { $0.terms?.feeLink ?? "" })),
        ]))
    }

    /// Every field of a preset, its fee table line by line, and for options the model values at
    /// the preset's defaults.
    static func specification(_ p: InstrumentPreset) -> Value {
        var rows: [(String, String)] = [
            ("preset", p.key), ("summary", p.summary), ("kind", p.kind.rawValue), ("symbol", p.instrument.symbol),
            ("venue", p.instrument.venue), ("tick", p.instrument.tickSize.description), ("lot", p.instrument.lotSize.description),
            ("multiplier", p.instrument.contractMultiplier.description), ("currency", p.instrument.currency),
            ("contract", p.instrument.isInverse ? "inverse" : "linear"), ("tz", p.instrument.timeZone),
            ("hours", p.hours.map { "\($0)" } ?? "24/7"), ("reference_price", p.referencePrice.description),
        ]
        if let t = p.terms {
            if let e = t.expiry { rows.append(("expiry", e)) }
            if let m = t.initialMargin { rows.append(("initial_margin", "\(m) of notional")) }
            if let m = t.maintenanceMargin { rows.append(("maintenance_margin", "\(m) of notional")) }
            if let f = t.fundingInterval { rows.append(("funding_interval", Format.duration(f))) }
            if let m = t.markPrice { rows.append(("mark_price", m)) }
            rows.append(("fees", t.fees.name))
            rows.append(("fees_source", t.fees.source))
            rows.append(("fees_as_of", t.fees.asOf))
            rows.append(("fee_schedule", t.feeLink))
            for c in t.fees.charges { rows.append(("fee." + c.name, chargeText(c))) }
            if !t.variants.isEmpty { rows.append(("fee_tables", t.variants.map(\.name).joined(separator: " "))) }
            if let o = t.option {
                rows += [("option", "\(o.style) \(o.kind.rawValue) on \(o.underlying)"), ("strike", o.strike.description),
                         ("expiry_date", o.expiryDate)]
                let spot = o.strike.doubleValue
                let years = 30.0 / 365
                let g = BlackScholes.evaluate(o.kind, spot: spot, strike: spot, years: years, rate: o.rate, volatility: o.volatility, yield: o.yield)
                let inputs = "spot \(o.strike), 30 days, vol \(Format.real(o.volatility)), r \(Format.real(o.rate)), q \(Format.real(o.yield))"
                rows += [("model", "Black-Scholes at " + inputs), ("bs_price", Format.real(g.price)), ("bs_delta", Format.real(g.delta)),
                         ("bs_gamma", Format.real(g.gamma)), ("bs_vega", Format.real(g.vega)), ("bs_theta", Format.real(g.theta))]
            }
            rows.append(("notes", t.notes))
        }
        return .table(Table([Column("field", .text(rows.map(\.0))), Column("value", .text(rows.map(\.1)))]))
    }
}
