import Foundation
import MithaiLanguage
import MithaiEngine

/// `alert NAME when CONDITION [once|every DURATION] [bell]`, `alert NAME off`, `alerts`,
/// `alerts history`, `alerts on DATA`.
///
/// A condition is an expression over *live values*, compiled once into a pure
/// `MithaiEngine.AlertCondition` whose leaves are value names such as `mid(btc)`:
///
/// | value | meaning |
/// |---|---|
/// | `mid(D)` `bid(D)` `ask(D)` `spread(D)` | top of book of dataset D, or of a live market (by name or instrument symbol) (price units) |
/// | `last(D)` | last trade price of D |
/// | `position(R)` `pnl(R)` `drawdown(R)` `fills(R)` | of run R, or live session R's bot: position (units), equity net of fees, peak-to-now drop (currency), fill count |
/// | `latency.p50` `latency.p99` `latency.p999` | order round trip of the run being replayed (durations) |
///
/// `N ticks` after a comparison converts N to a price with the tick of the condition's dataset;
/// `drawdown(R) > 2%` compares the drawdown as a fraction of the run's capital, taken as
/// max_position × mid (the money held by a full inventory). Alerts are checked at simulated
/// times by every `backtest` (the run and its dataset) and by `alerts on DATA` (a replay of the
/// dataset's quotes and trades); a live session evaluates its copy of the book at every event
/// that changes a price condition's values and on a grid of simulated time (100 ms, or the
/// rule's `check=`) for the others (`LiveSessionObject.checkAlerts`, docs/ALERTS.md).
enum AlertCommands {
    static let dataValues = ["mid", "bid", "ask", "spread", "last"]
    static let runValues = ["position", "pnl", "drawdown", "fills"]

    static let specs: [CommandSpec] = [
        CommandSpec("alert", category: "alerts",
                    summary: "defines an alert on live values (checked during replays, backtests and live sessions), or turns one off",
                    parameters: [
                        Parameter("name", .positional, .name, required: true, "the alert's name"),
                        Parameter("flags", .positional, .choice(["once", "bell", "ticks", "off"]), variadic: true,
                                  "once: fire a single time; bell: ring the terminal bell; ticks: the number compared is in ticks; off: remove the alert"),
                        Parameter("condition", .keyword("when"), .value, "the condition, e.g. mid(btc) > 62000, spread(btc) > 5 ticks, position(r1) >= 4"),
                        Parameter("every", .keyword("every"), .duration, "fire at most once per this much simulated time while the condition holds"),
                        Parameter("check", .option, .value, default: "event for price conditions, else 100ms",
                                  "in live sessions: check on a grid of this much simulated time (check=10ms), or at every event that changes the values (check=event; price conditions only)"),
                    ],
                    examples: ["alert big when mid(btc) > 61800 once", "alert wide when spread(btc) > 5 ticks every 10s bell",
                               "market sim = zi preset=binance:BTCUSDT seed=7\nalert peak when mid(sim) > 60001 once\nalert inv when position(live1) >= 0.05",
                               "alert risk when position(r1) >= 4 or drawdown(r1) > 2%\nalert risk off",
                               "alert inv when position(live1) >= 0.05 check=10ms"],
                    details: "Without once or every, an alert fires each time its condition becomes true. Values: "
                        + "mid(D) bid(D) ask(D) spread(D) last(D) of a dataset or a live market (its name or an instrument symbol), "
                        + "position(R) pnl(R) drawdown(R) fills(R) of a run or of a live session's bot (live1), "
                        + "latency.p50/p99/p999 of the run being replayed or the live bot. Live sessions check a price condition (mid, bid, ask, "
                        + "spread, last only) at every event that changes its values, so it fires at the simulated time of the quote change "
                        + "or print; other conditions every 100 ms of simulated time, or check=DURATION (check=10ms). Either way the same "
                        + "instants at any speed. Fired alerts print one line with the simulated time, "
                        + "are journaled (table alerts) and listed by 'alerts history'.",
                    handler: { ctx in try define(&ctx) }),
        CommandSpec("alerts", category: "alerts",
                    summary: "lists the alerts with how often and when they fired; 'alerts history' lists every firing; 'alerts on DATA' replays a dataset through them",
                    parameters: [
                        Parameter("what", .positional, .choice(["history", "stop"]), "history: every firing, oldest first; stop: end a background replay"),
                        Parameter("data", .keyword("on"), .object("dataset"), "replay this dataset's quotes and trades through the alerts, in simulated time"),
                        Parameter("speed", .option, .number, default: "as fast as possible",
                                  "at a terminal, replay in the background at this many times real time (10x); alerts print above the prompt as they fire"),
                    ],
                    examples: ["alert big when mid(btc) > 61800\nalerts on btc\nalerts", "alerts history",
                               "alert dip when mid(btc) < 61700 once bell\nalerts on btc speed=10x"],
                    handler: { ctx in try list(&ctx) }),
    ]

    // MARK: - alert

    static func define(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let name = try ctx.word("name") ?? ""
        var flags: [String] = []
        for e in ctx.exprs("flags") {
            let w = try CommandContext.word(of: e)
            guard ["once", "bell", "ticks", "off"].contains(w) else {
                throw .at(e.range, "unexpected word '\(w)'", suggestions: Suggest.names(for: w, among: ["once", "bell", "ticks", "off", "when", "every"]),
                          notes: ["usage: \(specs[0].synopsis)"])
            }
            flags.append(w)
        }
        if flags.contains("off") {
            guard !ctx.has("condition") else { throw .at(ctx.range("condition"), "'alert NAME off' takes no condition") }
            guard ctx.workspace.alerts.remove(name) else {
                throw .at(ctx.range("name"), "no alert named '\(name)'", suggestions: Suggest.names(for: name, among: ctx.workspace.alerts.rules.map(\.name)))
            }
            return .message("alert \(name) off")
        }
        guard let e = ctx.exprs("condition").first else {
            throw .at(ctx.commandRange, "alert \(name) needs a condition: alert \(name) when CONDITION", notes: ["example: \(specs[0].examples[0])"])
        }
        if flags.contains("once") && ctx.has("every") { throw .at(ctx.range("every"), "an alert fires either once or every DURATION, not both") }
        var repeatMode = AlertRule.Repeat.edge
        if flags.contains("once") { repeatMode = .once }
        if ctx.has("every") {
            guard case .duration(let d)? = try ctx.value("every"), d > 0 else { throw .at(ctx.range("every"), "every needs a positive duration, e.g. every 10s") }
            repeatMode = .every(d)
        }
        var check = AlertRule.Check.standard
        if let ce = ctx.exprs("check").first {
            if case .name("event", _) = ce {
                check = .event
            } else {
                guard case .duration(let d)? = try ctx.value("check"), d > 0 else {
                    throw .at(ce.range, "check is a positive duration (check=10ms) or event")
                }
                check = .interval(d)
            }
        }
        var compiler = ConditionCompiler(ws: ctx.workspace, session: ctx.session)
        var condition = try compiler.compile(e)
        guard compiler.isCondition(e) else {
            throw .at(e.range, "an alert needs a condition that is true or false, e.g. mid(btc) > 62000")
        }
        if flags.contains("ticks") {
            guard let tick = compiler.tickSize else { throw .at(e.range, "'ticks' needs a dataset value such as spread(btc) in the condition") }
            guard let scaled = scaleLastConstant(condition, by: tick) else { throw .at(e.range, "'ticks' scales the number compared with, but the condition has none") }
            condition = scaled
        }
        let text = (ctx.session.currentSource?.slice(e.range) ?? "") + (flags.contains("ticks") ? " ticks" : "")
        let rule = AlertRule(name: name, text: text, condition: condition, repeatMode: repeatMode, bell: flags.contains("bell"), check: check)
        if check == .event && !rule.readsPricesOnly {
            let other = condition.valueNames.first { !AlertRule.isPriceValue($0) } ?? ""
            throw .at(ctx.exprs("check")[0].range, "check=event follows prices only (mid, bid, ask, spread, last); \(other) is read on a grid",
                      notes: ["use a grid: check=10ms"])
        }
        ctx.workspace.alerts.define(rule)
        let mode: String
        switch repeatMode {
        case .edge: mode = "each time it becomes true"
        case .once: mode = "once"
        case .every(let d): mode = "at most every \(Format.duration(d))"
        }
        var checked = ""
        if ctx.has("check") { checked = ", checked " + (rule.checkInterval.map { "every \(Format.duration($0))" } ?? "at every change") }
        return .message("alert \(name): \(text) (fires \(mode)\(flags.contains("bell") ? ", with the bell" : "")\(checked))")
    }

    /// Multiplies the right-most constant of the condition (the `5` of `spread(btc) > 5 ticks`).
    static func scaleLastConstant(_ c: AlertCondition, by k: Double) -> AlertCondition? {
        switch c {
        case .constant(let d): return .constant(d * k)
        case .value: return nil
        case .compare(let op, let a, let b):
            if let nb = scaleLastConstant(b, by: k) { return .compare(op, a, nb) }
            return scaleLastConstant(a, by: k).map { .compare(op, $0, b) }
        case .arithmetic(let op, let a, let b):
            if let nb = scaleLastConstant(b, by: k) { return .arithmetic(op, a, nb) }
            return scaleLastConstant(a, by: k).map { .arithmetic(op, $0, b) }
        case .and(let a, let b):
            if let nb = scaleLastConstant(b, by: k) { return .and(a, nb) }
            return scaleLastConstant(a, by: k).map { .and($0, b) }
        case .or(let a, let b):
            if let nb = scaleLastConstant(b, by: k) { return .or(a, nb) }
            return scaleLastConstant(a, by: k).map { .or($0, b) }
        case .not(let a): return scaleLastConstant(a, by: k).map { .not($0) }
        }
    }

    /// Expression -> AlertCondition, checking the names it refers to.
    struct ConditionCompiler {
        let ws: Workspace
        let session: Session
        /// Tick size of the first dataset named (for `N ticks`).
        var tickSize: Double?

        init(ws: Workspace, session: Session) { self.ws = ws; self.session = session }

        func isCondition(_ e: Expr) -> Bool {
            switch e {
            case .binary(let op, _, _, _): return [.less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual, .and, .or].contains(op)
            case .unary(.not, _, _): return true
            default: return false
            }
        }

        mutating func compile(_ e: Expr) throws(WorkbenchError) -> AlertCondition {
            switch e {
            case .literal(let lit, let r):
                switch Evaluator.value(of: lit, zone: ws.settings.timeZone) {
                case .number(let n): return .constant(n.double)
                case .duration(let d): return .constant(Double(d))
                default: throw .at(r, "alert conditions compare numbers, durations and percentages")
                }
            case .unary(.negate, let a, _):
                return .arithmetic(.subtract, .constant(0), try compile(a))
            case .unary(.not, let a, _):
                return .not(try compile(a))
            case .binary(let op, let a, let b, let r):
                switch op {
                case .and: return .and(try compile(a), try compile(b))
                case .or: return .or(try compile(a), try compile(b))
                case .add, .subtract, .multiply, .divide:
                    let map: [BinaryOperator: AlertCondition.Arithmetic] = [.add: .add, .subtract: .subtract, .multiply: .multiply, .divide: .divide]
                    return .arithmetic(map[op]!, try compile(a), try compile(b))
                case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual:
                    let map: [BinaryOperator: AlertCondition.Comparison] = [.less: .less, .lessEqual: .lessEqual, .greater: .greater,
                                                                            .greaterEqual: .greaterEqual, .equal: .equal, .notEqual: .notEqual]
                    var left = try compile(a)
                    // drawdown(R) against a percentage: the drawdown as a fraction of capital.
                    if case .literal(.percent, _) = b, case .value(let n) = left, n.hasPrefix("drawdown(") {
                        left = .value("drawdown%" + n.dropFirst("drawdown".count))
                    }
                    return .compare(map[op]!, left, try compile(b))
                default:
                    throw .at(r, "'\(op.rawValue)' is not allowed in an alert condition")
                }
            case .call(let name, let nameRange, let args, _):
                guard dataValues.contains(name) || runValues.contains(name) else {
                    throw .at(nameRange, "unknown live value '\(name)'", suggestions: Suggest.names(for: name, among: dataValues + runValues),
                              notes: ["values: " + (dataValues + runValues).map { "\($0)(...)" }.joined(separator: " ") + " latency.p50 latency.p99 latency.p999"])
                }
                guard args.count == 1, args[0].label == nil, case .name(let target, let tr) = args[0].value else {
                    throw .at(nameRange, "\(name) takes one \(dataValues.contains(name) ? "dataset" : "run") name: \(name)(\(dataValues.contains(name) ? "btc" : "r1"))")
                }
                if dataValues.contains(name) {
                    if case .object(let o)? = ws[target], let d = o.as(DatasetObject.self) {
                        if tickSize == nil { tickSize = d.instrument.tickSize.doubleValue }
                    } else if let instrument = AlertCommands.liveInstrument(target, ws) {
                        // A market (its first instrument) or an instrument symbol of a market:
                        // values of live sessions.
                        if tickSize == nil { tickSize = instrument.instrument.tickSize.doubleValue }
                        return .value("\(name)(\(instrument.name))")
                    } else {
                        let known = DataCommands.allDatasets(ws).map(\.name) + AlertCommands.marketNames(ws)
                        throw .at(tr, "no dataset, market or instrument named '\(target)'", suggestions: Suggest.names(for: target, among: known))
                    }
                } else {
                    // A run that exists, or one a later backtest will make (r1, r2, ...); a
                    // live session (live1, ...), running or to come: its bot.
                    let isFutureRun = (target.hasPrefix("r") && Int(target.dropFirst()) != nil
                        || target.hasPrefix("live") && Int(target.dropFirst(4)) != nil) && ws[target] == nil
                    var isLive = false
                    if case .object(let o)? = ws[target], o.as(LiveSessionObject.self) != nil { isLive = true }
                    if !isFutureRun && !isLive {
                        guard case .object(let o)? = ws[target], o.as(RunObject.self) != nil else {
                            throw .at(tr, "no run named '\(target)'", suggestions: Suggest.names(for: target, among: BacktestCommands.allRuns(ws).map(\.name)))
                        }
                    }
                }
                return .value("\(name)(\(target))")
            case .member(.name("latency", _), let field, let fr, _):
                guard ["p50", "p99", "p999"].contains(field) else {
                    throw .at(fr, "latency has p50, p99 and p999", suggestions: Suggest.names(for: field, among: ["p50", "p99", "p999"]))
                }
                return .value("latency.\(field)")
            case .name(let n, let r):
                if case .number(let v)? = ws[n] { return .constant(v.double) }
                if case .duration(let d)? = ws[n] { return .constant(Double(d)) }
                throw .at(r, "'\(n)' is not a live value", notes: ["values: mid(D) bid(D) ask(D) spread(D) last(D) of a dataset or market, position(R) pnl(R) drawdown(R) fills(R) of a run or live session, latency.p99"])
            default:
                throw .at(e.range, "not allowed in an alert condition", notes: ["example: mid(btc) > 62000 and position(r1) >= 4"])
            }
        }
    }

    /// Names of the workspace's markets.
    static func marketNames(_ ws: Workspace) -> [String] {
        ws.names.filter { if case .object(let o)? = ws[$0], o.as(MarketObject.self) != nil { true } else { false } }
    }

    /// `target` as a live instrument: a market's name (its first instrument) or the symbol of
    /// an instrument of a market (any case); `name` is the value name's argument the live
    /// session publishes (the market's name, or the symbol as the preset spells it).
    static func liveInstrument(_ target: String, _ ws: Workspace) -> (name: String, instrument: Instrument)? {
        var markets: [MarketObject] = []
        for n in ws.names { if case .object(let o)? = ws[n], let m = o.as(MarketObject.self) { markets.append(m) } }
        if let m = markets.first(where: { $0.name == target }) {
            if let d = m.replay { return (m.name, d.instrument) }
            if let l = m.legs.first { return (m.name, l.instrument) }
        }
        for m in markets {
            for i in m.legs.map(\.instrument) + (m.replay.map { [$0.instrument] } ?? []) where i.symbol.lowercased() == target.lowercased() {
                return (i.symbol, i)
            }
        }
        return nil
    }

    // MARK: - alerts

    static func list(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        if ctx.has("data") {
            guard let v = try ctx.value("data") else { throw .internal("alerts on") }
            let d = try DataCommands.datasetObject(v, range: ctx.range("data"))
            guard !ctx.workspace.alerts.rules.isEmpty else { throw .at(ctx.range("data"), "no alerts to check: define one with alert NAME when CONDITION") }
            if let speedValue = try ctx.value("speed") {
                guard case .number(let n) = speedValue, n.double > 0, n.double <= 1e6 else { throw .at(ctx.range("speed"), "speed is a positive multiple of real time, e.g. 10x") }
                if ctx.session.options.mode == .interactive {
                    let tl = try AlertReplay.timeline(book: ctx.workspace.alerts, data: d, run: nil, session: ctx.session)
                    guard let first = tl.times.first, let last = tl.times.last else { return .message("alerts on \(d.name): nothing to replay") }
                    ctx.session.alertInbox.startReplay(book: ctx.workspace.alerts, timeline: tl, speed: n.double, zone: d.zone)
                    ctx.session.markResultVolatile()
                    let seconds = Double(last - first) / 1e9 / n.double
                    return .message("replaying \(d.name) through \(ctx.workspace.alerts.rules.count) alert\(ctx.workspace.alerts.rules.count == 1 ? "" : "s") at \(Format.real(n.double))x in the background (\(Format.real((seconds * 10).rounded() / 10)) s); 'alerts stop' ends it")
                }
                // Scripts and pipes replay at once: the same alerts at the same simulated times.
            }
            let fired = try AlertReplay.run(book: &ctx.workspace.alerts, data: d, run: nil, session: ctx.session)
            ctx.session.announce(fired, zone: d.zone)
            return .message("alerts on \(d.name): \(fired.count) fired")
        }
        let book = ctx.workspace.alerts
        let zone = ctx.workspace.settings.timeZone
        if try ctx.choice("what") == "stop" {
            return .message(ctx.session.alertInbox.stopReplay() ? "background replay stopped" : "no background replay is running")
        }
        if try ctx.choice("what") == "history" {
            let h = book.history
            return .table(Table([
                Column("time", .timestamp(h.map(\.time), zone: zone)),
                Column("alert", .text(h.map(\.name))),
                Column("condition", .text(h.map(\.text))),
                Column("values", .text(h.map(observed))),
            ]))
        }
        let rules = book.rules
        let fired = rules.map { r in book.history.filter { $0.name == r.name } }
        return .table(Table([
            Column("alert", .text(rules.map(\.name))),
            Column("condition", .text(rules.map(\.text))),
            Column("fires", .text(rules.map { r in
                switch r.repeatMode {
                case .edge: "on change"
                case .once: "once"
                case .every(let d): "every \(Format.duration(d))"
                }
            })),
            Column("check", .text(rules.map { r in r.checkInterval.map { Format.duration($0) } ?? "event" })),
            Column("bell", .bool(rules.map(\.bell))),
            Column("armed", .bool(rules.map { book.isArmed($0.name) })),
            Column("fired", .int(fired.map { Int64($0.count) })),
            Column("last_fired", .timestamp(fired.map { $0.last?.time ?? Column.null }, zone: zone)),
        ]))
    }

    /// A value for the alert line: durations as durations, fractions as percentages.
    static func valueText(_ name: String, _ v: Double) -> String {
        if name.hasPrefix("latency.") { return Format.duration(Int64(v.rounded())) }
        if name.hasPrefix("drawdown%") { return Format.real(v * 100) + "%" }
        return Format.real(v)
    }

    /// `alert big fired at 2024-08-08 23:57:01.123 UTC: mid(btc) > 61800  [mid(btc)=61800.1]`.
    static func observed(_ f: AlertFiring) -> String {
        f.values.map { "\($0.name.replacingOccurrences(of: "drawdown%", with: "drawdown"))=\(valueText($0.name, $0.value))" }.joined(separator: " ")
    }

    static func line(_ f: AlertFiring, zone: String) -> String {
        let values = observed(f)
        return "alert \(f.name) fired at \(Value.timestamp(f.time, zone: zone).display): \(f.text)" + (values.isEmpty ? "" : "  [\(values)]")
    }
}

/// Drives an `AlertBook` through a dataset (and a run on it) in simulated time: quote changes,
/// trades and the run's equity points, merged by time; the book is evaluated once per distinct
/// instant after every update at that instant.
enum AlertReplay {
    /// The updates of every value the book's armed rules read, from the dataset (and run).
    static func timeline(book: AlertBook, data d: DatasetObject, run: RunObject?, session: Session) throws(WorkbenchError) -> Timeline {
        let wanted = Set(book.valueNames)
        guard !wanted.isEmpty else { return Timeline() }
        // (time, slot, value) updates from each source.
        var updates: [(time: Int64, name: String, value: Double)] = []
        func want(_ n: String) -> Bool { wanted.contains(n) }
        let quoteNames = ["mid", "bid", "ask", "spread"].map { "\($0)(\(d.name))" }
        if quoteNames.contains(where: want) {
            let q = try TableFunctions.quotes(d, session: session)
            if case .timestamp(let ts, _)? = q.column(named: "ts")?.data, let bid = PlotCommand.numbers(q.column(named: "bid")!)?.values,
               let ask = PlotCommand.numbers(q.column(named: "ask")!)?.values {
                updates.reserveCapacity(ts.count * 2)
                for i in ts.indices {
                    let b = bid[i], a = ask[i]
                    if want(quoteNames[1]) { updates.append((ts[i], quoteNames[1], b)) }
                    if want(quoteNames[2]) { updates.append((ts[i], quoteNames[2], a)) }
                    if want(quoteNames[0]) { updates.append((ts[i], quoteNames[0], b.isNaN || a.isNaN ? .nan : (a + b) / 2)) }
                    if want(quoteNames[3]) { updates.append((ts[i], quoteNames[3], b.isNaN || a.isNaN ? .nan : a - b)) }
                }
            }
        }
        if want("last(\(d.name))") {
            let t = TableFunctions.trades(d, session: session)
            // Receive times, as for quotes and the run's equity: one clock for every value.
            if case .timestamp(let ts, _)? = t.column(named: "local_ts")?.data, let px = PlotCommand.numbers(t.column(named: "px")!)?.values {
                for i in ts.indices { updates.append((ts[i], "last(\(d.name))", px[i])) }
            }
        }
        if let r = run {
            let names = ["position", "pnl", "drawdown", "drawdown%", "fills"].map { "\($0)(\(r.name))" }
            if names.contains(where: want) {
                let lot = r.data.instrument.lotSize.doubleValue, tick = r.data.instrument.tickSize.doubleValue
                let maxPosition: Double? = r.strategy.values.first { $0.name == "max_position" }.flatMap { if case .number(let n) = $0.value { n.double } else { nil } }
                var peak = -Double.infinity
                for p in r.result.equity {
                    let equity = r.valuation.scale.double(p.equity)
                    peak = max(peak, equity)
                    let mid = Double(p.markHalfTicks) / 2 * tick
                    updates.append((p.time, names[0], Double(p.position) * lot))
                    updates.append((p.time, names[1], equity))
                    updates.append((p.time, names[2], peak - equity))
                    if let m = maxPosition, mid > 0 { updates.append((p.time, names[3], (peak - equity) / (m * mid))) }
                    updates.append((p.time, names[4], Double(p.fills)))
                }
            }
            if let rt = r.statistics.orderRoundTrip, let end = r.result.equity.last?.time {
                updates.append((end, "latency.p50", Double(rt.p50)))
                updates.append((end, "latency.p99", Double(rt.p99)))
                updates.append((end, "latency.p999", Double(rt.p999)))
            }
        }
        // Stable by time: sources keep their order within an instant.
        let order = updates.indices.sorted { updates[$0].time != updates[$1].time ? updates[$0].time < updates[$1].time : $0 < $1 }
        var timeline = Timeline()
        var k = 0
        while k < order.count {
            let t = updates[order[k]].time
            var group: [Timeline.Update] = []
            while k < order.count && updates[order[k]].time == t {
                let u = updates[order[k]]
                group.append(Timeline.Update(name: u.name, value: u.value))
                k += 1
            }
            timeline.times.append(t)
            timeline.updates.append(group)
        }
        return timeline
    }

    /// Replays `timeline` through `book` as fast as it goes; returns what fired, in order.
    static func run(book: inout AlertBook, data d: DatasetObject, run: RunObject?, session: Session) throws(WorkbenchError) -> [AlertFiring] {
        let tl = try timeline(book: book, data: d, run: run, session: session)
        guard !tl.times.isEmpty else { return [] }
        book.beginTimeline()
        var values: [String: Double] = [:]
        var fired: [AlertFiring] = []
        let cancel = session.cancellation
        for i in tl.times.indices {
            if i & 0xFFFF == 0 && cancel.isCancelled { throw .cancelled }
            for u in tl.updates[i] { values[u.name] = u.value }
            fired += book.evaluate(AlertSnapshot(time: tl.times[i], values: values))
        }
        return fired
    }
}

/// The values a replay feeds the alerts, grouped by instant (ascending simulated time).
struct Timeline: Sendable {
    struct Update: Sendable { var name: String; var value: Double }
    var times: [Int64] = []
    var updates: [[Update]] = []
}
