import Foundation
import MithaiLanguage
public import MithaiEngine
import MithaiStore

/// The session's risk limits as the user wrote them (for `risk`, run parameters and digests).
public struct RiskSettings: Sendable, Equatable {
    public var limits: RiskLimits
    /// `key=value` pairs in the order of `RiskCommands.keys`.
    public var pairs: [(String, String)]

    public static func == (a: RiskSettings, b: RiskSettings) -> Bool { a.limits == b.limits && a.text == b.text }
    var text: String { pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ") }
}

/// `risk`: limits for subsequent runs; `risk RUN`: limits, usage and breaches of a run.
enum RiskCommands {
    static let spec = CommandSpec(
        "risk", category: "backtests",
        summary: "sets risk limits for the following runs (pre-trade checks, drawdown kill switch, VaR, order rate), shows them, or shows a run's usage and breaches",
        parameters: [
            Parameter("run", .positional, .object("run"), "a run: its limits, usage and breach log"),
            Parameter("max_position", .option, .number, "largest |position| in the instrument's units, counting open orders as filled"),
            Parameter("max_notional", .option, .number, "largest |worst-case position| × price, in settlement currency"),
            Parameter("max_order_qty", .option, .number, "largest quantity of one order (fat-finger check)"),
            Parameter("max_drawdown", .option, .number, "peak-to-trough equity fall (currency) that fires the kill switch"),
            Parameter("on_drawdown", .option, .choice(["halt", "reduce_only"]), default: "halt", "kill switch: halt (cancel all, accept nothing) or reduce_only"),
            Parameter("var_limit", .option, .number, "largest intraday VaR (currency) of the worst-case position"),
            Parameter("var_confidence", .option, .number, default: "0.99", "VaR confidence"),
            Parameter("var_horizon", .option, .duration, default: "1m", "VaR horizon"),
            Parameter("max_order_rate", .option, .integer, "most new orders + modifies per rate_window"),
            Parameter("rate_window", .option, .duration, default: "1s", "window of max_order_rate"),
            Parameter("capital", .option, .number, "account capital (currency): enforces the instrument's initial margin before each order and liquidates at the maintenance margin"),
            Parameter("clear", .option, .bool, "remove every limit"),
        ],
        examples: ["risk max_position=2 max_drawdown=500 on_drawdown=halt", "risk", "risk clear=on", "risk r1"],
        details: "Limits apply to every backtest, sweep and execution run after the command, are stored with each run's parameters, and cost nothing when none is set. Refused orders never reach the exchange; each refusal and each kill-switch action is logged (`risk RUN`, `stats RUN`, table `breaches` of the session database). docs/RISK.md.",
        handler: { ctx in try risk(&ctx) })

    static let keys = ["max_position", "max_notional", "max_order_qty", "max_drawdown", "on_drawdown", "var_limit", "var_confidence",
                       "var_horizon", "max_order_rate", "rate_window", "capital"]

    static func risk(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        if !ctx.exprs("run").isEmpty {
            return try runReport(BacktestCommands.run(ctx.exprs("run")[0], &ctx))
        }
        if try ctx.bool("clear") == true {
            ctx.workspace.risk = nil
            return .message("risk limits cleared")
        }
        let setting = keys.contains { ctx.has($0) }
        if !setting { return limitsTable(ctx.workspace.risk) }
        var s = ctx.workspace.risk ?? RiskSettings(limits: RiskLimits(), pairs: [])
        var pairs = Dictionary(uniqueKeysWithValues: s.pairs)
        func positive(_ name: String) throws(WorkbenchError) -> ExactDecimal? {
            guard let v = try ctx.value(name) else { return nil }
            guard case .number(let n) = v, case .decimal(let m, let sc) = n, m > 0 else {
                throw .at(ctx.range(name), "\(name) must be a positive number")
            }
            pairs[name] = n.description
            return ExactDecimal(mantissa: m, scale: Int8(sc))
        }
        if let q = try positive("max_position") { s.limits.maxPosition = try lotsLimit(q, "max_position", &ctx) }
        if let q = try positive("max_order_qty") { s.limits.maxOrderQuantity = try lotsLimit(q, "max_order_qty", &ctx) }
        if let v = try positive("max_notional") { s.limits.maxNotional = v }
        if let v = try positive("max_drawdown") { s.limits.maxDrawdown = v }
        if let v = try positive("var_limit") { s.limits.varLimit = v }
        if let v = try positive("capital") { s.limits.capital = v }
        if let c = try positive("var_confidence") {
            guard c.doubleValue > 0.5 && c.doubleValue < 1 else { throw .at(ctx.range("var_confidence"), "var_confidence is between 0.5 and 1, e.g. 0.99") }
            s.limits.varConfidence = c.doubleValue
        }
        if let a = try ctx.choice("on_drawdown") { s.limits.onDrawdown = KillSwitchAction(rawValue: a)!; pairs["on_drawdown"] = a }
        for name in ["var_horizon", "rate_window"] {
            guard let v = try ctx.value(name) else { continue }
            guard case .duration(let d) = v, d > 0 else { throw .at(ctx.range(name), "\(name) is a positive duration") }
            if name == "var_horizon" { s.limits.varHorizon = d } else { s.limits.rateWindow = d }
            pairs[name] = Format.duration(d)
        }
        if let n = try ctx.integer("max_order_rate") {
            guard n > 0 else { throw .at(ctx.range("max_order_rate"), "max_order_rate must be at least 1") }
            s.limits.maxOrderRate = n
            pairs["max_order_rate"] = String(n)
        }
        s.pairs = keys.compactMap { k in pairs[k].map { (k, $0) } }
        ctx.workspace.risk = s
        return .message("risk " + s.text)
    }

    /// A quantity limit as given, in millionths of a unit: the lot size is known only when a
    /// run starts (`limits(_:lot:)` converts it, rounding down to whole lots).
    static func lotsLimit(_ q: ExactDecimal, _ name: String, _ ctx: inout CommandContext) throws(WorkbenchError) -> Lots {
        guard let micro = q.rescaled(to: 6) else { throw .at(ctx.range(name), "\(name) has more than 6 decimals") }
        return micro.mantissa
    }

    /// The limits for a run on an instrument with `lot` size (quantity limits are kept in
    /// micro-units until the lot is known; rounded down to whole lots).
    /// The limits with the margin rates of the instrument's preset when capital is set (no
    /// preset or no rates: fully paid, no liquidation).
    static func limits(_ s: RiskSettings, lot: ExactDecimal, presetKey: String?) -> RiskLimits {
        var l = limits(s, lot: lot)
        if l.capital != nil, let key = presetKey, let terms = InstrumentPresets.named(key)?.terms {
            l.initialMargin = terms.initialMargin
            l.maintenanceMargin = terms.maintenanceMargin
        }
        return l
    }

    static func limits(_ s: RiskSettings, lot: ExactDecimal) -> RiskLimits {
        var l = s.limits
        let lotMicro = lot.rescaled(to: 6)?.mantissa ?? 1
        l.maxPosition = l.maxPosition.map { $0 / max(1, lotMicro) }
        l.maxOrderQuantity = l.maxOrderQuantity.map { $0 / max(1, lotMicro) }
        return l
    }

    static func limitsTable(_ s: RiskSettings?) -> Value {
        let pairs = Dictionary(uniqueKeysWithValues: s?.pairs ?? [])
        let defaults = ["on_drawdown": "halt", "var_confidence": "0.99", "var_horizon": "1m", "rate_window": "1s"]
        return .table(Table([
            Column("limit", .text(keys)),
            Column("value", .text(keys.map { pairs[$0] ?? (s != nil ? defaults[$0] ?? "" : "") })),
            Column("meaning", .text(keys.map { k in spec.parameters.first { $0.name == k }?.summary ?? "" })),
        ]))
    }

    static func runReport(_ r: RunObject) -> Value {
        guard let g = r.result.risk else {
            return .message("\(r.name) ran without risk limits")
        }
        let lot = r.valuation.lotSize.doubleValue
        func q(_ l: Lots?) -> String { l.map { Format.real(Double($0) * lot) } ?? "" }
        func d(_ x: ExactDecimal?) -> String { x?.description ?? "" }
        let l = g.limits
        let currency = r.data.instrument.currency
        let rows: [(String, String, String, String)] = [
            ("mode", "", g.mode.description, g.killTime > 0 ? "kill switch at " + Format.timestamp(g.killTime, zone: r.data.zone) : ""),
            ("max_position", q(l.maxPosition), Format.real(Double(g.peakPosition) * lot), String(g.rejections(.maxPosition))),
            ("max_notional", d(l.maxNotional), Format.real(g.peakNotional), String(g.rejections(.maxNotional))),
            ("max_order_qty", q(l.maxOrderQuantity), "", String(g.rejections(.maxOrderQuantity))),
            ("max_drawdown", d(l.maxDrawdown) + (l.maxDrawdown == nil ? "" : " (\(l.onDrawdown.rawValue))"), Format.real(g.peakDrawdown),
             g.killTime > 0 ? "fired" : ""),
            ("var_limit", d(l.varLimit), Format.real(g.peakVaR), String(g.rejections(.varLimit))),
            ("max_order_rate", l.maxOrderRate.map { "\($0) per \(Format.duration(l.rateWindow))" } ?? "", String(g.peakOrderRate),
             String(g.rejections(.maxOrderRate))),
            ("halted", "", "", String(g.rejections(.halted))),
            ("reduce_only", "", "", String(g.rejections(.reduceOnly))),
        ] + marginRows(g)
        // One table: the limits with their usage, then the breach log.
        var kind = rows.map { _ in "limit" }, name = rows.map(\.0), set = rows.map(\.1), usage = rows.map(\.2), refused = rows.map(\.3)
        var ts = rows.map { _ in "" }, action = rows.map { _ in "" }, value = rows.map { _ in "" }
        for b in g.breaches {
            kind.append("breach"); name.append("\(b.limit)")
            set.append(b.limit == .halted || b.limit == .reduceOnly ? "" : Format.real(b.threshold)); usage.append("")
            refused.append(b.action == .rejected ? String(b.count) : ""); ts.append(Format.timestamp(b.time, zone: r.data.zone)
                + (b.lastTime > b.time ? ".." + String(Format.timestamp(b.lastTime, zone: r.data.zone).dropFirst(11)) : ""))
            action.append("\(b.action)"); value.append(Format.real(b.value))
        }
        _ = currency
        return .table(Table([Column("row", .text(kind)), Column("limit", .text(name)), Column("set", .text(set)),
                             Column("peak_usage", .text(usage)), Column("refused", .text(refused)), Column("ts", .text(ts)),
                             Column("action", .text(action)), Column("value", .text(value))]))
    }

    /// The margin rows of `risk RUN` (with a capital): capital and rates, peak initial margin,
    /// refusals and margin calls.
    static func marginRows(_ g: RiskGuard) -> [(String, String, String, String)] {
        let l = g.limits
        guard let capital = l.capital else { return [] }
        let initial: String = "\(capital) capital, rate " + (l.initialMargin?.description ?? "1")
        let calls: String = g.marginCalls == 0 ? "" : "\(g.marginCalls) margin call" + (g.marginCalls == 1 ? "" : "s")
        return [("initial_margin", initial, Format.real(g.peakMargin), String(g.rejections(.initialMargin))),
                ("maintenance_margin", l.maintenanceMargin?.description ?? "", "", calls)]
    }

    static func breachTable(_ r: RunObject, _ g: RiskGuard) -> Table {
        let br = Array(g.breaches)
        return Table([
            Column("ts", .timestamp(br.map(\.time), zone: r.data.zone)), Column("limit", .text(br.map { "\($0.limit)" })),
            Column("action", .text(br.map { "\($0.action)" })), Column("order_id", .int(br.map { Int64($0.orderID) })),
            Column("value", .real(br.map(\.value))), Column("limit_value", .real(br.map(\.threshold))),
            Column("count", .int(br.map { Int64($0.count) })),
        ])
    }
}

// MARK: - Run statistics and storage of costs, risk and execution

extension BacktestCommands {
    /// Totals of each charge of the run's fee table over its fills, in table order.
    static func chargeTotals(_ r: RunObject) -> [(String, Money)]? {
        guard var table = r.configuration.charges else { return nil }
        table.bind(to: r.valuation)
        var totals = [Money](repeating: .zero, count: table.charges.count)
        for f in r.result.fills {
            let parts = table.breakdown(value: f.value, quantity: f.quantity, isMaker: f.isMaker, side: f.side)
            for i in parts.indices { totals[i] += parts[i] }
        }
        return zip(table.chargeNames, totals).map { ($0, $1) }
    }

    /// `fee_<charge>` rows when the run used a fee table; funding rows when it had funding.
    static func costRows(_ r: RunObject) -> [(String, (String, Double))] {
        var rows: [(String, (String, Double))] = []
        let v = r.valuation
        func m(_ x: Money) -> (String, Double) { (v.scale.format(x, fractionDigits: min(v.scale.unitScale, 6)), v.scale.double(x)) }
        for (name, total) in chargeTotals(r) ?? [] { rows.append(("fee_" + name, m(total))) }
        // Initial margin of the largest position held (at each decision's mid), from the preset's rate.
        if let key = r.data.costs?.presetKey, let rate = InstrumentPresets.named(key)?.terms?.initialMargin {
            var peak = Money.zero
            for e in r.result.equity where e.markHalfTicks > 0 {
                var x = v.mark(position: abs(e.position), halfTicks: e.markHalfTicks)
                if x < .zero { x = -x }
                if x > peak { peak = x }
            }
            let margin = v.scale.double(peak) * rate.doubleValue
            rows.append(("margin_initial_peak", (Format.real(margin), margin)))
        }
        if r.configuration.settings.funding != nil {
            rows += [("funding_paid", m(r.result.fundingPaid)), ("funding_received", m(r.result.fundingReceived)),
                     ("funding_net", m(r.result.funding)), ("funding_events", (String(r.result.fundingEvents), Double(r.result.fundingEvents)))]
        }
        return rows
    }

    static func riskRows(_ r: RunObject) -> [(String, (String, Double))] {
        guard let g = r.result.risk else { return [] }
        let n = g.totalRejections
        var rows: [(String, (String, Double))] = [
            ("risk_mode", (g.mode.description, Double(g.mode.rawValue))),
            ("risk_rejections", (String(n), Double(n))),
            ("risk_breaches", (String(g.breaches.count), Double(g.breaches.count))),
        ]
        for k in RiskLimitKind.allCases where g.rejections(k) > 0 {
            rows.append(("risk_rejected_\(k)", (String(g.rejections(k)), Double(g.rejections(k)))))
        }
        if g.killTime > 0 { rows.append(("risk_kill_time", (Format.timestamp(g.killTime, zone: r.data.zone), Double(g.killTime)))) }
        rows.append(("risk_peak_drawdown", (Format.real(g.peakDrawdown), g.peakDrawdown)))
        if g.limits.varLimit != nil { rows.append(("risk_peak_var", (Format.real(g.peakVaR), g.peakVaR))) }
        if g.limits.capital != nil {
            rows.append(("margin_peak", (Format.real(g.peakMargin), g.peakMargin)))
            rows.append(("margin_calls", (String(g.marginCalls), Double(g.marginCalls))))
        }
        return rows
    }

    static func executionRows(_ r: RunObject) -> [(String, (String, Double))] {
        guard let e = r.result.execution else { return UnwindBinding.rows(r) }
        let tick = r.valuation.tickSize.doubleValue, lot = r.valuation.lotSize.doubleValue
        func d(_ x: Double?) -> (String, Double) { x.map { (Format.real($0), $0) } ?? ("", .nan) }
        return [("exec_filled", d(Double(e.filled) * lot)), ("exec_completion", d(e.completion)),
                ("exec_avg_price", d(e.averagePriceTicks.map { $0 * tick })), ("exec_arrival_mid", d(e.arrivalMidTicks * tick)),
                ("exec_interval_vwap", d(e.intervalVWAPTicks.map { $0 * tick })),
                ("exec_slippage_arrival_bps", d(e.slippageVsArrivalBps)), ("exec_slippage_vwap_bps", d(e.slippageVsVWAPBps)),
                ("exec_participation", d(e.participation)), ("exec_child_orders", d(Double(e.childOrders)))]
    }

    static func breachRecords(_ r: RunObject) -> RunRecord.Breaches {
        var b = RunRecord.Breaches()
        guard let g = r.result.risk else { return b }
        for x in g.breaches {
            b.time.append(x.time); b.limit.append("\(x.limit)"); b.action.append("\(x.action)"); b.orderID.append(Int64(x.orderID))
            b.value.append(x.value); b.threshold.append(x.threshold); b.merged.append(Int64(x.count))
            b.detail.append(x.action == .rejected ? "\(x.count) order\(x.count == 1 ? "" : "s") refused by \(x.limit) until \(x.lastTime)" + (x.threshold > 0 ? ": \(Format.real(x.value)) > \(Format.real(x.threshold))" : "")
                : "\(x.limit) \(Format.real(x.value)) > \(Format.real(x.threshold)): \(x.action)")
        }
        return b
    }
}
