import Foundation
import MithaiLanguage
public import MithaiEngine
import MithaiMarketData

/// Execution algorithms inside a running live session: `twap`, `vwap`, `iceberg` without `on`
/// while a session is running or paused start a parent on the session's manual account (first
/// instrument), beside the bot. Engine: Sources/MithaiEngine/Live/LiveAlgorithms.swift.
///
/// The rule: `on DATA|MARKET` always means the dataset form (a run of its own, even while a
/// session runs); without `on`, the parent goes to the current live session when it is not
/// stopped, else the command asks for a target.
enum LiveExecution {
    /// Options of the dataset form that a live parent takes from its venue instead.
    static let datasetOnly = ["latency", "queue", "fill", "maker", "taker", "bin", "from", "to"]

    static let algosSpec = CommandSpec(
        "algos", category: "live",
        summary: "execution algorithms of the live session: each parent's progress (filled, leaves, average price, slippage so far) and, once ended, its report",
        examples: ["algos", "algos | where state = \"working\""],
        details: "Start one with twap/vwap/iceberg without `on` while a session runs; cancel it with `cancel A1`. docs/EXECUTION.md, *In a live session*.",
        handler: { ctx in try algos(&ctx) })

    static func start(_ ctx: inout CommandContext, kind: String, session s: LiveSessionObject) throws(WorkbenchError) -> Value {
        for name in datasetOnly where ctx.has(name) {
            throw .at(ctx.range(name), "\(name)= applies to the dataset form; a parent in \(s.name) uses its venue's",
                      notes: ["work on a dataset or a fresh span of a market instead: \(kind) ... on DATA|MARKET"])
        }
        let leg = s.legs[0]
        guard let host = leg.venue as? any LiveAlgorithmHost else { throw .failed("\(s.name): this venue cannot run execution algorithms") }
        let inst = leg.instrument
        func lots(_ name: String) throws(WorkbenchError) -> Lots { try ParentArguments.lots(name, &ctx, inst) }
        func ticks(_ name: String) throws(WorkbenchError) -> Ticks? { try ParentArguments.ticks(name, &ctx, inst) }
        func duration(_ name: String) throws(WorkbenchError) -> Nanos? { try ParentArguments.duration(name, &ctx) }
        let qty = try lots("qty")
        let side: Side = try ctx.choice("side") == "sell" ? .sell : .buy
        let total = try duration("duration")
        let every = try duration("interval") ?? 0
        let cap = try ParentArguments.participationCap(&ctx)
        let zone = inst.timeZone.isEmpty ? "UTC" : inst.timeZone
        let now = s.now
        var cancelAt: Nanos? = nil
        if let v = try ctx.value("cancel_at") {
            switch v {
            case .timestamp(let t, _): cancelAt = t
            case .time(let tod): cancelAt = QueryEngine.sameDay(now, tod, zone)
            default: throw .at(ctx.range("cancel_at"), "expected a time (10:00, 10:00:00.250) or a timestamp, got \(v.kindName)")
            }
        }
        let (style, limit, _) = try ParentArguments.style(kind, &ctx, inst)
        guard s.currentState != .stopped else { throw .at(ctx.verbRange, "\(s.name) has stopped") }
        let catchUp = try duration("catch_up")
        let aggressive = try ctx.choice("style") == "aggressive"
        let parent = ParentOrder(side: side, quantity: qty, duration: total, limitPrice: limit, maxParticipation: cap, cancelAt: cancelAt)
        LiveCommands.markVolatileIfRunning(s, ctx)
        let (id, at) = s.lock.withLock { () -> (Int, Nanos) in
            (host.startAlgorithm(parent, style: style, every: every, catchUp: catchUp, aggressive: aggressive), leg.venue.now)
        }
        if s.legs.count > 1 {
            ctx.session.print("note: \(s.market.name) has \(s.legs.count) instruments; the parent trades the first, \(inst.symbol)\n", to: .err)
        }
        let q = DecimalLiteral.format(mantissa: qty &* inst.lotSize.mantissa, scale: Int(inst.lotSize.scale))
        let span = total.map { " over \(Format.duration($0))" } ?? ""
        return .message("A\(id): \(style.name) \(side) \(q) \(inst.symbol)\(span) on \(s.name)'s manual account from \(LiveCommands.clock(at, s)); progress: algos; cancel A\(id)")
    }

    /// `cancel A1`: nil when `text` is not a parent's name.
    static func cancel(_ text: String, _ s: LiveSessionObject, range: SourceRange) throws(WorkbenchError) -> Value? {
        guard text.first == "A" || text.first == "a", let id = Int(text.dropFirst()), id > 0 else { return nil }
        guard let host = s.legs[0].venue as? any LiveAlgorithmHost else { return nil }
        let ok = s.lock.withLock { host.cancelAlgorithm(id) }
        guard ok else {
            let known = s.lock.withLock { host.algorithms.parents.first { $0.id == id }?.state }
            throw .at(range, known.map { "A\(id) has already ended (\($0))" } ?? "no execution parent A\(id)", notes: ["parents: algos"])
        }
        return .message("A\(id) cancelled: its open children are cancelled at the next decision time")
    }

    /// Cancels every working parent of the session (`cancel all`).
    static func cancelAll(_ s: LiveSessionObject) -> Int {
        s.lock.withLock {
            guard let host = s.legs[0].venue as? any LiveAlgorithmHost else { return 0 }
            return host.algorithms.parents.filter { !$0.isDone && $0.cancelTime == nil }.reduce(0) { $0 + (host.cancelAlgorithm($1.id) ? 1 : 0) }
        }
    }

    static func parents(_ s: LiveSessionObject) -> [LiveParent] {
        s.lock.withLock { (s.legs[0].venue as? any LiveAlgorithmHost)?.algorithms.parents ?? [] }
    }

    /// Rows of working parents for `orders` (account `algo`).
    static func orderRows(_ s: LiveSessionObject) -> [(id: Int64, side: String, what: String, quantity: Double, filled: Double, status: String)] {
        let inst = s.legs[0].instrument
        return parents(s).filter { !$0.isDone }.map { p in
            let a = p.algorithm
            let what = a.style.name + (a.parent.duration.map { " " + Format.duration($0) } ?? "")
            let pct = Format.real(Double(p.filled) / Double(a.parent.quantity) * 100)
            return (Int64(p.id), a.parent.side.description, what, Double(a.parent.quantity) * inst.lotSize.doubleValue,
                    Double(p.filled) * inst.lotSize.doubleValue, "\(p.state) \(pct)%")
        }
    }

    static func algos(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try LiveCommands.session(ctx)
        LiveCommands.markVolatileIfRunning(s, ctx)
        let ps = parents(s)
        let inst = s.legs[0].instrument
        let lot = inst.lotSize.doubleValue, tick = inst.tickSize.doubleValue
        func price(_ t: Double?) -> String { t.map { Format.real($0 * tick) } ?? "" }
        func opt(_ x: Double?) -> String { x.map { Format.real($0) } ?? "" }
        let open: [Double] = s.lock.withLock {
            let orders = s.legs[0].venue.manualOrders
            return ps.map { p in Double(orders.filter { p.children.contains($0.id) && !$0.status.isFinal }.reduce(0) { $0 + $1.leaves }) * lot }
        }
        return .table(Table([
            Column("algo", .text(ps.map { "A\($0.id)" })),
            Column("symbol", .text(ps.map { _ in inst.symbol })),
            Column("algorithm", .text(ps.map(\.algorithm.style.name))),
            Column("side", .text(ps.map(\.algorithm.parent.side.description))),
            Column("quantity", .real(ps.map { Double($0.algorithm.parent.quantity) * lot })),
            Column("filled", .real(ps.map { Double($0.filled) * lot })),
            Column("leaves", .real(ps.map { Double($0.algorithm.parent.quantity - $0.filled) * lot })),
            Column("open", .real(open)),
            Column("completion_pct", .real(ps.map { Double($0.filled) / Double($0.algorithm.parent.quantity) * 100 })),
            Column("avg_price", .text(ps.map { price($0.averagePriceTicks) })),
            Column("arrival_mid", .text(ps.map { price($0.arrivalMidTicks) })),
            Column("interval_vwap", .text(ps.map { price($0.intervalVWAPTicks) })),
            Column("slippage_vs_arrival_bps", .text(ps.map { opt($0.slippageVsArrivalBps) })),
            Column("slippage_vs_vwap_bps", .text(ps.map { p in
                guard let a = p.averagePriceTicks, let v = p.intervalVWAPTicks, v != 0 else { return "" }
                return Format.real((p.algorithm.parent.side == .buy ? 1.0 : -1.0) * (a - v) / v * 10_000)
            })),
            Column("participation_pct", .text(ps.map { p in
                let r = p.reportSoFar(at: 0)
                return r.participation.map { Format.real($0 * 100) } ?? ""
            })),
            Column("child_orders", .int(ps.map { Int64($0.algorithm.childOrders) })),
            Column("fills", .int(ps.map { Int64($0.fills.count) })),
            Column("start", .text(ps.map { $0.algorithm.startTime == 0 ? "" : LiveCommands.clock($0.algorithm.startTime, s) })),
            Column("state", .text(ps.map(\.state))),
        ]))
    }

    /// When the session stops: each parent becomes a run (after the bot's), stored like the
    /// dataset form's, and its report is printed. Parents still working are cancelled first
    /// (their report says so). `data`: the bot's run's dataset (the session's recorded flow).
    static func storeParents(_ s: LiveSessionObject, data: DatasetObject, configuration: BacktestConfiguration,
                             ctx: inout CommandContext) throws(WorkbenchError) -> [RunObject]
    {
        let leg = s.legs[0]
        guard let host = leg.venue as? any LiveAlgorithmHost else { return [] }
        let (ps, mark) = s.lock.withLock { (host.algorithms.parents, leg.venue.markHalfTicks) }
        var made: [RunObject] = []
        let inst = leg.instrument
        for p in ps {
            let a = p.algorithm
            var r = p.result(valuation: leg.venue.valuation, settings: configuration.settings, markHalfTicks: mark, stoppedEarly: !p.isDone)
            // Still working at the stop: what filled, as a cancelled parent.
            if r.execution == nil { r.execution = p.reportSoFar(at: s.now) }
            let values: [(name: String, value: Value)] = [
                ("qty", .number(Number.decimal(a.parent.quantity &* inst.lotSize.mantissa, scale: Int(inst.lotSize.scale)))),
                ("side", .string(a.parent.side == .buy ? "buy" : "sell")),
                ("duration", a.parent.duration.map { .duration($0) } ?? .none), ("slices", .number(Number(a.slices))),
                ("limit", a.parent.limitPrice.map { .number(Number.decimal($0 &* inst.tickSize.mantissa, scale: Int(inst.tickSize.scale))) } ?? .none),
                ("max_participation", a.parent.maxParticipation.map { .number(.real($0)) } ?? .none),
                ("style", .string(a.aggressive ? "aggressive" : "passive")), ("interval", .duration(a.decisionInterval)),
            ]
            let strategy = StrategyObject(name: a.style.name, strategyKind: StrategyKind(name: a.style.name, summary: "execution algorithm",
                                                                                         reference: "docs/EXECUTION.md", parameters: []),
                                          values: values)
            let stats = RunStatistics(r, options: .init(binLength: Time.day, inventoryLimit: nil))
            let text: [(String, String)] = [("live", s.name), ("algo", "A\(p.id)"), ("account", "manual"), ("market", s.market.name),
                                            ("requested", String(p.requested)), ("from", String(r.startTime)), ("to", String(r.endTime))]
            let name = BacktestCommands.nextRunName(ctx.workspace)
            let run = RunObject(name: name, strategy: strategy, data: data, configuration: configuration, configurationText: text,
                                result: r, statistics: stats, status: r.execution!.cancelled ? "cancelled" : "complete", seconds: 0)
            try BacktestCommands.store(run, session: ctx.session)
            ctx.workspace.define(name, .object(ObjectRef(run)))
            made.append(run)
            let table = ExecutionCommands.report(run)
            let format = ctx.workspace.settings.format
            ctx.session.print("A\(p.id) (\(name)):\n" + Renderer.render(.table(table), format: format, style: ctx.session.style) + "\n",
                              to: format.isMachineReadable ? .err : .out)
        }
        return made
    }
}
