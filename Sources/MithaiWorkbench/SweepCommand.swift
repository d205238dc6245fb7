import Foundation
import MithaiLanguage
import MithaiEngine

/// `sweep STRAT on DATA key=v1,v2 key=a..b/n ... [jobs=N]`: the grid of parameter sets, run in
/// parallel, each run deterministic and identical to the same `backtest` alone.
enum SweepCommand {
    static let spec = CommandSpec(
        "sweep", category: "backtests",
        summary: "runs a strategy over a grid of parameter values on all cores; returns one row per run",
        parameters: [
            Parameter("strategy", .positional, .object("strategy"), required: true, "the strategy whose parameters vary"),
            Parameter("data", .keyword("on"), .object("dataset"), required: true, "the dataset, or several (on perp, spot): each run is a multi-instrument run"),
            Parameter("jobs", .option, .integer, default: "the number of cores", "runs at once"),
        ] + BacktestCommands.specs[0].parameters.filter { $0.form == .option },
        examples: ["strategy mm = grid\nsweep mm on btc half_spread=10,20,40 levels=5,10 | sort pnl_net desc",
                   "sweep mm on btc step=5..20/4 jobs=2 maker=-0.5bp taker=7bp"],
        details: "Each strategy parameter given as a list (a,b,c) or a range (a..b/n: n values from a to b) is a dimension; the runs are its cartesian product. Ctrl-C stops starting new runs and keeps the finished ones. Every run is stored and named (r3, r4, ...).",
        acceptsExtraOptions: true,
        handler: { ctx in try sweep(&ctx) })

    /// Values of one dimension from a list or a range literal.
    static func values(_ v: Value, parameter p: StrategyParameter, range: SourceRange) throws(WorkbenchError) -> [Value] {
        switch v {
        case .list(let items): return items
        case .range(.number(let a), .number(let b), let count):
            let n = count ?? (a.integer != nil && b.integer != nil ? Int(abs((b - a).double)) + 1 : 5)
            guard n >= 1, n <= 1000 else { throw .at(range, "a range gives 1...1000 values") }
            if n == 1 { return [.number(a)] }
            let step = (b - a) / Number(n - 1)
            return (0..<n).map { i -> Value in
                let x = a + step * Number(i)
                if case .number(let d) = p.defaultValue, d.integer != nil, p.name == "levels" || p.unit == "ticks" {
                    return .number(Number(Int64(x.double.rounded())))
                }
                return .number(x)
            }
        case .range(.duration(let a), .duration(let b), let count):
            let n = max(1, count ?? 5)
            return (0..<n).map { i in .duration(n == 1 ? a : a + (b - a) * Int64(i) / Int64(n - 1)) }
        default: return [v]
        }
    }

    static let mergeSpec = CommandSpec(
        "merge", category: "backtests",
        summary: "brings the runs of sweep shards (mithai --shard I/N --out FILE.db) into the session store",
        parameters: [Parameter("files", .positional, .path, required: true, variadic: true, "the shard databases")],
        examples: ["merge shard1.db shard2.db", "merge out/shard-*.db | sort pnl_net desc"],
        details: "Refuses shards of different sweeps and repeated grid positions; copies runs, fills, orders, equity and statistics in one transaction.",
        handler: { ctx in try merge(&ctx) })

    static func merge(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        var paths: [String] = []
        for e in ctx.exprs("files") {
            let items: [Expr] = { if case .list(let l, _) = e { l } else { [e] } }()
            for i in items {
                let p: String
                switch i {
                case .path(let t, _), .name(let t, _): p = t
                case .literal(.string(let t), _): p = t
                default: p = ctx.session.currentSource?.slice(i.range) ?? ""
                }
                guard FileManager.default.fileExists(atPath: (p as NSString).expandingTildeInPath) else {
                    throw .at(i.range, "no such file '\(p)'")
                }
                paths.append((p as NSString).expandingTildeInPath)
            }
        }
        guard let store = ctx.session.runStore else {
            throw .failed("merge needs the session store (run without --no-journal)")
        }
        let merged: [(name: String, index: Int64, id: Int64)]
        do { merged = try store.merge(shards: paths) } catch { throw .failed("merge: \(error)") }
        let names = ["pnl_net", "pnl_gross", "fees", "fills", "final_position", "sharpe", "max_drawdown", "win_rate", "inventory_mean_abs"]
        var columns = [Column("run", .text(merged.map(\.name))), Column("sweep_index", .int(merged.map(\.index)))]
        var values = Array(repeating: [Double](), count: names.count)
        for m in merged {
            let stats = (try? store.stats(runID: m.id)) ?? []
            for (j, n) in names.enumerated() { values[j].append(stats.first { $0.name == n }?.value ?? .nan) }
        }
        for (j, n) in names.enumerated() { columns.append(Column(n, .real(values[j]))) }
        return .table(Table(columns))
    }

    final class Shared: @unchecked Sendable {
        // @unchecked: guarded by `lock`; runs are written to distinct slots.
        let lock = NSLock()
        var results: [RunObject?]
        var failures: [String] = []
        var finished = 0
        init(_ n: Int) { results = Array(repeating: nil, count: n) }
    }

    static func sweep(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let base = try BacktestCommands.strategyObject(&ctx)
        let setup = try BacktestCommands.setup(&ctx)
        var dimensions: [(name: String, values: [Value])] = []
        for extra in ctx.arguments.extra {
            guard let p = base.strategyKind.parameter(extra.label) else {
                let names = base.strategyKind.parameters.map(\.name)
                throw .at(extra.labelRange, "\(base.strategyKind.name) has no parameter '\(extra.label)'",
                          suggestions: Suggest.names(for: extra.label, among: names), notes: ["parameters: " + names.joined(separator: " ")])
            }
            let v = try ctx.session.evaluate(extra.value, in: &ctx.workspace)
            let vs = try values(v, parameter: p, range: extra.value.range)
            for x in vs { try Strategies.check(x, for: p, range: extra.value.range) }
            dimensions.append((p.name, vs))
        }
        guard !dimensions.isEmpty else {
            throw .at(ctx.verbRange, "sweep what? give strategy parameters with several values, e.g. half_spread=10,20,40")
        }
        // The cartesian product, first dimension slowest.
        var sets: [[(String, Value)]] = [[]]
        for dim in dimensions { sets = sets.flatMap { s in dim.values.map { s + [(dim.name, $0)] } } }
        guard sets.count <= 10_000 else { throw .at(ctx.verbRange, "\(sets.count) runs: at most 10,000 per sweep") }
        let strategies = sets.map { set -> StrategyObject in
            var values = base.values
            for (n, v) in set { values[values.firstIndex { $0.name == n }!].value = v }
            return StrategyObject(name: base.name, strategyKind: base.strategyKind, values: values)
        }
        let jobs = max(1, min(try ctx.integer("jobs") ?? ProcessInfo.processInfo.activeProcessorCount, 64))
        // Names are fixed before the runs start, so the result does not depend on timing.
        var assigned: [String] = []
        var probe = ctx.workspace
        for _ in strategies {
            let n = BacktestCommands.nextRunName(probe)
            assigned.append(n)
            probe.define(n, .object(ObjectRef(base)))
        }
        let names = assigned
        // The sweep's identity: strategy, grid, data and settings. Shards of one sweep share it.
        // Several instruments (`on a, b`): every dataset, its window and fees, and the FX rates.
        let legs = setup.others.map { "\($0.data.dataset.contentHash)|\($0.window)|\($0.maker)|\($0.taker)" } + (setup.fx.map { [$0.description] } ?? [])
        let key = Session.digest(of: .string(([base.summary, setup.data.dataset.contentHash, setup.latencyText, setup.queue.description,
                                               setup.fill, setup.maker.description, setup.taker.description, String(setup.fifo),
                                               "\(setup.window)"] + legs + dimensions.map { "\($0.name)=\($0.values.map(\.canonical))" })
                                               .joined(separator: "|")))
        // With --shard I/N, only grid positions k with k mod N = I - 1 run here.
        let selected = strategies.indices.filter { k in ctx.session.options.shard.map { k % $0.count == $0.index - 1 } ?? true }
        let shared = Shared(strategies.count)
        let cancellation = ctx.session.cancellation
        nonisolated(unsafe) let session = ctx.session
        let next = NSLock()
        nonisolated(unsafe) var cursor = 0
        let total = selected.count
        let label = "sweep \(base.name) on \(([setup.data] + setup.others.map(\.data)).map(\.name).joined(separator: ", "))"
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            while true {
                next.lock()
                let slot = cursor
                cursor += 1
                next.unlock()
                if slot >= total || cancellation.isCancelled { return }
                let i = selected[slot]
                do {
                    let run = try BacktestCommands.simulate(setup, strategies[i], name: names[i], sweep: (key, i)) { _ in
                        !cancellation.isCancelled
                    }
                    shared.lock.lock()
                    shared.results[i] = run.status == "complete" ? run : nil
                    shared.finished += 1
                    let done = shared.finished
                    shared.lock.unlock()
                    if Thread.isMainThread { session.progress?.update(label, fraction: Double(done) / Double(total)) }
                } catch {
                    shared.lock.lock()
                    shared.failures.append("\(names[i]): \(error)")
                    shared.lock.unlock()
                }
            }
        }
        if let failure = shared.failures.first { throw .failed("sweep run \(failure)") }
        let runs = shared.results.compactMap { $0 }
        let cancelled = runs.count < total
        if cancelled { cancellation.reset() }
        for r in runs {
            try BacktestCommands.store(r, session: ctx.session)
            ctx.workspace.define(r.name, .object(ObjectRef(r)))
        }
        // One row per finished run: its parameters, then the headline statistics.
        let kept = sets.indices.filter { shared.results[$0] != nil }
        var columns = [Column("run", .text(runs.map(\.name))), Column("sweep_index", .int(kept.map(Int64.init)))]
        for (d, dim) in dimensions.enumerated() {
            columns.append(QueryEngine.makeColumn(dim.name, kept.map { sets[$0][d].1 }, zone: "UTC"))
        }
        func stat(_ name: String) -> Column {
            Column(name, .real(runs.map { r in BacktestCommands.statisticsRows(r).first { $0.0 == name }?.2 ?? .nan }))
        }
        columns += ["pnl_net", "pnl_gross", "fees", "fills", "final_position", "sharpe", "max_drawdown", "win_rate",
                    "inventory_mean_abs"].map(stat)
        if cancelled {
            ctx.session.print("sweep stopped: \(runs.count) of \(total) runs finished and kept\n", to: .err)
        }
        return .table(Table(columns))
    }
}
