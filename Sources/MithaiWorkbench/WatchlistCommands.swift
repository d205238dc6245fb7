import Foundation
import MithaiLanguage
import MithaiEngine

/// A named list of instruments: dataset names or instrument symbols of loaded datasets.
final class WatchlistObject: WorkspaceObject {
    let kind = "watchlist"
    let name: String
    let members: [String]

    init(name: String, members: [String]) { self.name = name; self.members = members }

    var summary: String { "watchlist \(name): \(members.joined(separator: ", "))" }
    var display: String { summary }
    var canonical: String { name + "=" + members.joined(separator: ",") }
}

/// `watchlist NAME = SYM, SYM, ...` and `quotes NAME`: per instrument the last trade, the change
/// over the data, bid/ask and spread at the end, traded volume and a sparkline of the last
/// price. Static over loaded datasets; members that are instruments of a live market (its name
/// or a symbol) are read from the workspace's live session at the time of the command.
/// The table function `quotes(DATA)` and the mnemonic `SYMBOL QUOTES` are different syntax
/// (a call, and a dataset name first) and keep working.
enum WatchlistCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("watchlist", aliases: ["wl"], category: "watchlists",
                    summary: "names a list of instruments (dataset names or symbols) for 'quotes NAME'; without a list, shows it",
                    parameters: [Parameter("name", .positional, .name, "the watchlist's name, then = SYM, SYM, ... (without a list: show it)")],
                    examples: ["watchlist crypto = btc, BTCUSDT", "watchlist crypto = btc\nquotes crypto"],
                    details: "Members are dataset names, the instrument symbols of loaded datasets (any case), or live instruments "
                        + "(a market's name or one of its symbols, read from the live session). The list is a "
                        + "workspace value, saved with the session like any other statement.",
                    acceptsExtraOptions: true,
                    handler: { ctx in try define(&ctx) }),
        CommandSpec("quotes", category: "watchlists",
                    summary: "shows a watchlist: last, change, bid/ask, spread, volume and a sparkline per instrument",
                    parameters: [Parameter("name", .positional, .value, required: true, "a watchlist (or a dataset)")],
                    examples: ["watchlist crypto = btc\nquotes crypto", "quotes btc"],
                    details: "Live instruments show the live session's trades so far, its top of book and simulated time. "
                        + "The table function quotes(DATA) (top of book through time) and the mnemonic 'SYMBOL QUOTES' are unaffected.",
                    handler: { ctx in try show(&ctx) }),
    ]

    static func define(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        // `watchlist tech = a, b` binds as the option tech=[a, b].
        let extra = ctx.arguments.extra
        if extra.isEmpty {
            guard let name = try ctx.word("name") else { throw .at(ctx.verbRange, "usage: watchlist NAME = SYM, SYM, ...") }
            guard case .object(let o)? = ctx.workspace[name], let w = o.as(WatchlistObject.self) else {
                throw .at(ctx.range("name"), "no watchlist named '\(name)'", notes: ["define one: watchlist \(name) = SYM, SYM, ..."])
            }
            return .object(ObjectRef(w))
        }
        guard extra.count == 1, !ctx.has("name") else {
            throw .at(ctx.commandRange, "usage: watchlist NAME = SYM, SYM, ...")
        }
        let (name, nameRange, value) = (extra[0].label, extra[0].labelRange, extra[0].value)
        if ctx.session.registry.lookup(name) != nil { throw .at(nameRange, "'\(name)' is a command; choose another name") }
        if let existing = ctx.workspace[name], case .object(let o) = existing, o.as(WatchlistObject.self) == nil {
            throw .at(nameRange, "'\(name)' is already \(existing.kindName); choose another name")
        }
        var items: [Expr] = []
        if case .list(let l, _) = value { items = l } else { items = [value] }
        var members: [String] = []
        for e in items {
            let w: String
            switch e {
            case .name(let n, _): w = n
            case .literal(.string(let s), _): w = s
            default: w = ctx.session.currentSource?.slice(e.range) ?? ""
            }
            // A loaded dataset, or an instrument of a live market (read from its session).
            if AlertCommands.liveInstrument(w, ctx.workspace) == nil || (try? resolve(w, range: e.range, ws: ctx.workspace)) != nil {
                _ = try resolve(w, range: e.range, ws: ctx.workspace)
            }
            if !members.contains(w) { members.append(w) }
        }
        let object = WatchlistObject(name: name, members: members)
        ctx.workspace.define(name, .object(ObjectRef(object)))
        return .object(ObjectRef(object))
    }

    /// A member's dataset: by name, else by instrument symbol (case-insensitive).
    static func resolve(_ member: String, range: SourceRange, ws: Workspace) throws(WorkbenchError) -> DatasetObject {
        if case .object(let o)? = ws[member], let d = o.as(DatasetObject.self) { return d }
        let all = DataCommands.allDatasets(ws)
        if let d = all.first(where: { $0.instrument.symbol.uppercased() == member.uppercased() }) { return d }
        throw .at(range, "'\(member)' is neither a dataset nor the symbol of one",
                  suggestions: Suggest.names(for: member, among: all.map(\.name) + all.map(\.instrument.symbol)),
                  notes: all.isEmpty ? ["load data first: load PATH as NAME"] : ["datasets: " + all.map { "\($0.name) (\($0.instrument.symbol))" }.joined(separator: " ")])
    }

    static func show(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let e = ctx.exprs("name")[0]
        var members: [(String, DatasetObject)] = []
        /// Members read from the live session (index in the table, name).
        var liveMembers: [(Int, String)] = []
        func add(_ m: String, _ r: SourceRange) throws(WorkbenchError) {
            if case .object(let o)? = ctx.workspace[m], o.as(DatasetObject.self) != nil {
                members.append((m, try resolve(m, range: r, ws: ctx.workspace)))
            } else if AlertCommands.liveInstrument(m, ctx.workspace) != nil, (try? resolve(m, range: r, ws: ctx.workspace)) == nil {
                liveMembers.append((members.count + liveMembers.count, m))
            } else {
                members.append((m, try resolve(m, range: r, ws: ctx.workspace)))
            }
        }
        if case .name(let n, let r) = e, ctx.workspace[n] == nil {
            try add(n, r)
        } else {
            let v = try ctx.session.evaluate(e, in: &ctx.workspace)
            guard case .object(let o) = v else { throw .at(e.range, "quotes shows a watchlist, got \(v.kindName)", notes: ["for the top of book through time: quotes(DATA)"]) }
            if let w = o.as(WatchlistObject.self) {
                for m in w.members { try add(m, e.range) }
            } else if let m = o.as(MarketObject.self) {
                try add(m.name, e.range)
            } else if let d = o.as(DatasetObject.self) {
                members = [(d.name, d)]
            } else {
                throw .at(e.range, "quotes shows a watchlist, got \(v.kindName)")
            }
        }
        var symbol: [String] = [], last: [Double] = [], change: [Double] = [], changePct: [Double] = []
        var bid: [Double] = [], ask: [Double] = [], spread: [Double] = [], volume: [Double] = [], spark: [String] = [], asOf: [Int64] = []
        var zone = "UTC"
        for (_, d) in members {
            zone = d.zone
            let row = try staticRow(d, session: ctx.session)
            symbol.append(row.symbol)
            last.append(row.last)
            change.append(row.last - row.first)
            changePct.append(row.first != 0 ? (row.last - row.first) / row.first * 100 : .nan)
            bid.append(row.bid); ask.append(row.ask); spread.append(row.ask - row.bid)
            volume.append(row.volume)
            spark.append(sparkline(row.series, width: 20))
            asOf.append(row.time)
        }
        var names = members.map(\.0)
        for (k, m) in liveMembers {
            let row = try liveRow(m, range: e.range, ctx: ctx)
            zone = row.zone
            symbol.insert(row.symbol, at: k); names.insert(m, at: k)
            last.insert(row.last, at: k); change.insert(row.last - row.first, at: k)
            changePct.insert(row.first != 0 ? (row.last - row.first) / row.first * 100 : .nan, at: k)
            bid.insert(row.bid, at: k); ask.insert(row.ask, at: k); spread.insert(row.ask - row.bid, at: k)
            volume.insert(row.volume, at: k); spark.insert(sparkline(row.series, width: 20), at: k); asOf.insert(row.time, at: k)
        }
        return .table(Table([
            Column("symbol", .text(symbol)),
            Column("name", .text(names)),
            Column("last", .real(last)),
            Column("change", .real(change)),
            Column("change_pct", .real(changePct)),
            Column("bid", .real(bid)),
            Column("ask", .real(ask)),
            Column("spread", .real(spread)),
            Column("volume", .real(volume)),
            Column("trend", .text(spark)),
            Column("as_of", .timestamp(asOf, zone: zone)),
        ]))
    }

    /// A dataset member's row: the last trade (or last close of bar data, or the mid), the
    /// first of the same series, the final bid/ask, the traded volume, the series and its last
    /// time (`Column.null` when none).
    static func staticRow(_ d: DatasetObject, session: Session) throws(WorkbenchError)
        -> (symbol: String, first: Double, last: Double, bid: Double, ask: Double, volume: Double, series: [Double], time: Int64)
    {
        do {
            let t = TableFunctions.trades(d, session: session)
            let q = try TableFunctions.quotes(d, session: session)
            let px = PlotCommand.numbers(t.column(named: "px")!)?.values ?? []
            let qty = PlotCommand.numbers(t.column(named: "qty")!)?.values ?? []
            var series = px
            var times: [Int64] = { if case .timestamp(let v, _)? = t.column(named: "ts")?.data { v } else { [] } }()
            let b = PlotCommand.numbers(q.column(named: "bid")!)?.values ?? []
            let a = PlotCommand.numbers(q.column(named: "ask")!)?.values ?? []
            if series.isEmpty {
                // No trades (bars only, or a book without prints): the close or the mid.
                if !d.dataset.bars.isEmpty {
                    let bars = TableFunctions.bars(d)
                    series = PlotCommand.numbers(bars.column(named: "close")!)?.values ?? []
                    if case .timestamp(let v, _)? = bars.column(named: "ts")?.data { times = v }
                } else {
                    series = zip(b, a).map { ($0 + $1) / 2 }
                    if case .timestamp(let v, _)? = q.column(named: "ts")?.data { times = v }
                }
            }
            let vol = !qty.isEmpty ? qty.reduce(0, +) : (!d.dataset.bars.isEmpty ? (PlotCommand.numbers(TableFunctions.bars(d).column(named: "volume")!)?.values ?? []).reduce(0, +) : .nan)
            let finite = series.filter(\.isFinite)
            let lb = b.last(where: \.isFinite) ?? .nan, la = a.last(where: \.isFinite) ?? .nan
            return (d.instrument.symbol.isEmpty ? d.name : d.instrument.symbol, finite.first ?? .nan, finite.last ?? .nan, lb, la, vol,
                    series, times.last ?? Column.null)
        }
    }

    /// A live instrument's row, from the workspace's live session on its market: trades of the
    /// session so far (last, first, volume, the sparkline), the bot's view of the top of book,
    /// and the session's simulated time. Marks the result volatile while the session runs.
    static func liveRow(_ member: String, range: SourceRange, ctx: CommandContext) throws(WorkbenchError)
        -> (symbol: String, first: Double, last: Double, bid: Double, ask: Double, volume: Double, series: [Double], time: Int64, zone: String)
    {
        guard let (_, instrument) = AlertCommands.liveInstrument(member, ctx.workspace) else { throw .at(range, "'\(member)' is not a live instrument") }
        guard let s = LiveCommands.current(ctx.workspace), let leg = s.legs.first(where: { $0.instrument.symbol == instrument.symbol }) else {
            throw .at(range, "no live session on \(member)", notes: ["start one: live STRATEGY on MARKET"])
        }
        LiveCommands.markVolatileIfRunning(s, ctx)
        let tick = instrument.tickSize.doubleValue, lot = instrument.lotSize.doubleValue
        return s.lock.withLock {
            let v = leg.venue
            let trades = v.recentTrades(Int.max)
            let series = trades.map { Double(v.base + Ticks($0.price)) * tick }
            let book = v.book
            let bid = book.bestBid == Ticks.min ? Double.nan : Double(book.bestBid) * tick
            let ask = book.bestAsk == Ticks.max ? Double.nan : Double(book.bestAsk) * tick
            let zone = instrument.timeZone.isEmpty ? "UTC" : instrument.timeZone
            return (instrument.symbol, series.first ?? .nan, series.last ?? .nan, bid, ask,
                    trades.reduce(0) { $0 + Double($1.quantity) } * lot, series, v.now, zone)
        }
    }

    /// The series in `width` equal slices by position, each slice's last value drawn as one of
    /// ▁▂▃▄▅▆▇█ between the series' min and max.
    static func sparkline(_ values: [Double], width: Int) -> String {
        let v = values.filter(\.isFinite)
        guard !v.isEmpty, width > 0 else { return "" }
        let n = min(width, v.count)
        let points = (0..<n).map { k in v[min(v.count - 1, (k + 1) * v.count / n - 1)] }
        let lo = points.min()!, hi = points.max()!
        let blocks = Array("▁▂▃▄▅▆▇█")
        return String(points.map { p in hi > lo ? blocks[min(7, Int((p - lo) / (hi - lo) * 7.999))] : blocks[3] })
    }
}
