import Foundation
import MithaiLanguage
import MithaiEngine
import MithaiMarketData

/// Views of datasets as tables, usable wherever a table is: `trades(btc)`, `quotes(btc)`,
/// `depth(btc, at=10:00, levels=5)`, `events(btc)`, `bars(nifty)`.
/// Prices and quantities are exact decimals; times are timestamps in the instrument's zone.
enum TableFunctions {
    static let names: [String: String] = [
        "trades": "trade prints: ts, px, qty, side (aggressor), local_ts",
        "quotes": "top of book through time: ts, bid, bid_qty, ask, ask_qty (one row per change)",
        "depth": "the L2 ladder at a time: depth(DATA, at=TIME, levels=N)",
        "events": "every event: ts, local_ts, kind, side, px, qty, order_id",
        "bars": "OHLCV bars: ts, open, high, low, close, volume",
        "fills": "a run's fills: ts, local_ts, order_id, side, px, qty, maker, fee, position (several instruments: an instrument column first; fills(r1, perp) keeps one)",
        "orders": "a run's orders: submitted, order_id, side, type, tif, px, qty, filled, status, reason (instrument first for several; orders(r1, perp))",
        "equity": "a run's equity curve: ts, position, mid, equity, fees (several instruments: instrument, currency, equity_base and the total's rows; equity(r1, total))",
    ]

    static func call(_ name: String, nameRange: SourceRange, args: [Argument], session: Session,
                     ws: inout Workspace) throws(WorkbenchError) -> Value {
        guard let first = args.first, first.label == nil else {
            throw .at(nameRange, "\(name) needs a dataset: \(name)(DATA)")
        }
        var evaluator = Evaluator(session: session)
        if ["fills", "orders", "equity"].contains(name) {
            guard args.count <= 2 else { throw .at(nameRange, "\(name) takes one run and optionally one of its instruments: \(name)(r1) or \(name)(r1, btc)") }
            if case .name(let n, let r) = first.value, ws[n] == nil {
                throw .at(r, "no run named '\(n)'", suggestions: Suggest.names(for: n, among: BacktestCommands.allRuns(ws).map(\.name)))
            }
            let run = try BacktestCommands.runObject(try evaluator.evaluate(first.value, in: &ws), range: first.range, ws: ws)
            if args.count == 2 {
                // One instrument of a multi-instrument run: fills(r1, btc).
                let a = args[1]
                let names = run.isMulti ? run.legs.map(\.data.name) + (name == "equity" ? ["total"] : []) : [run.data.name]
                guard a.label == nil, case .name(let n, _) = a.value, names.contains(n) else {
                    throw .at(a.range, "\(run.name) trades \(names.joined(separator: ", ")): \(name)(\(run.name), \(names[0]))",
                              suggestions: { if case .name(let n, _) = a.value { Suggest.names(for: n, among: names) } else { [] } }())
                }
                if run.isMulti { return .table(MultiInstrument.table(name, run, only: n)) }
            }
            return .table(name == "fills" ? BacktestCommands.fills(run) : name == "orders" ? BacktestCommands.orders(run) : BacktestCommands.equity(run))
        }
        if case .name(let n, let r) = first.value, ws[n] == nil {
            let known = DataCommands.allDatasets(ws).map(\.name)
            throw .at(r, "no dataset named '\(n)'", suggestions: Suggest.names(for: n, among: known),
                      notes: known.isEmpty ? ["load one with: load PATH as NAME"] : ["datasets: " + known.joined(separator: " ")])
        }
        let d = try DataCommands.datasetObject(try evaluator.evaluate(first.value, in: &ws), range: first.range)
        var options: [String: (Value, SourceRange)] = [:]
        for a in args.dropFirst() {
            guard let label = a.label else { throw .at(a.range, "\(name) takes one dataset, then key=value options") }
            options[label] = (try evaluator.evaluate(a.value, in: &ws), a.range)
        }
        let allowed: Set<String> = name == "depth" ? ["at", "levels"] : []
        for (k, (_, r)) in options where !allowed.contains(k) {
            throw .at(r, "\(name) has no option '\(k)'", suggestions: Suggest.names(for: k, among: Array(allowed)))
        }
        switch name {
        case "trades": return .table(trades(d, session: session))
        case "quotes": return .table(try quotes(d, session: session))
        case "events": return .table(events(d))
        case "bars": return .table(bars(d))
        default:
            var end = d.dataset.eventCount
            if let (v, r) = options["at"] { end = DataCommands.eventsUpTo(try DataCommands.instant(v, for: d, range: r), in: d.dataset) }
            var levels = 10
            if let (v, r) = options["levels"] {
                guard case .number(let n) = v, let i = n.integer, (1...1000).contains(i) else { throw .at(r, "levels must be 1...1000") }
                levels = Int(i)
            }
            let book = d.dataset.l2Book(upTo: end)
            return DataCommands.ladder(bids: book.levels(.buy, maxLevels: levels), asks: book.levels(.sell, maxLevels: levels), d: d)
        }
    }

    static func sideName(_ s: Side) -> String { s == .buy ? "buy" : s == .sell ? "sell" : "" }

    /// Trade prints (and L3 executions, aggressor = the side opposite the resting order).
    static func trades(_ d: DatasetObject, session: Session) -> Table {
        let t = d.dataset.trades()
        return Table([
            Column("ts", .timestamp(t.time, zone: d.zone)),
            Column("px", .decimal(t.price.map(d.priceMantissa), scale: d.priceScale)),
            Column("qty", .decimal(t.quantity.map(d.quantityMantissa), scale: d.quantityScale)),
            Column("side", .text(t.aggressor.map(sideName))),
            Column("local_ts", .timestamp(t.localTime, zone: d.zone)),
        ])
    }

    /// Best bid and ask through time: the venue's quote feed when the dataset has one,
    /// otherwise the book rebuilt event by event (one row per change, by local time).
    static func quotes(_ d: DatasetObject, session: Session) throws(WorkbenchError) -> Table {
        let q = d.dataset.topOfBook()
        if session.cancellation.isCancelled { throw .cancelled }
        func px(_ v: [Ticks], missing: Ticks) -> [Int64] { v.map { $0 == missing ? Column.null : d.priceMantissa($0) } }
        func qty(_ v: [Lots], _ p: [Ticks], missing: Ticks) -> [Int64] {
            zip(v, p).map { $1 == missing ? Column.null : d.quantityMantissa($0) }
        }
        return Table([
            Column("ts", .timestamp(q.time, zone: d.zone)),
            Column("bid", .decimal(px(q.bidPrice, missing: Ticks.min), scale: d.priceScale)),
            Column("bid_qty", .decimal(qty(q.bidSize, q.bidPrice, missing: Ticks.min), scale: d.quantityScale)),
            Column("ask", .decimal(px(q.askPrice, missing: Ticks.max), scale: d.priceScale)),
            Column("ask_qty", .decimal(qty(q.askSize, q.askPrice, missing: Ticks.max), scale: d.quantityScale)),
        ])
    }

    static func events(_ d: DatasetObject) -> Table {
        var ts: [Int64] = [], local: [Int64] = [], kind: [String] = [], side: [String] = []
        var px: [Int64] = [], qty: [Int64] = [], order: [Int64] = []
        let base = d.dataset.baseTick
        d.dataset.withEvents { events in
            for e in events {
                ts.append(e.exchTime); local.append(e.localTime); kind.append(e.kind.description); side.append(sideName(e.side))
                px.append(d.priceMantissa(e.ticks(base: base))); qty.append(d.quantityMantissa(Lots(e.quantity)))
                order.append(e.kind.isL3 || e.kind == .executeHidden ? Int64(bitPattern: d.dataset.originalOrderID(e.orderID)) : Column.null)
            }
        }
        return Table([
            Column("ts", .timestamp(ts, zone: d.zone)), Column("local_ts", .timestamp(local, zone: d.zone)),
            Column("kind", .text(kind)), Column("side", .text(side)),
            Column("px", .decimal(px, scale: d.priceScale)), Column("qty", .decimal(qty, scale: d.quantityScale)),
            Column("order_id", .int(order)),
        ])
    }

    static func bars(_ d: DatasetObject) -> Table {
        let b = d.dataset.bars
        return Table([
            Column("ts", .timestamp(b.map(\.time), zone: d.zone)),
            Column("open", .decimal(b.map { d.priceMantissa($0.open) }, scale: d.priceScale)),
            Column("high", .decimal(b.map { d.priceMantissa($0.high) }, scale: d.priceScale)),
            Column("low", .decimal(b.map { d.priceMantissa($0.low) }, scale: d.priceScale)),
            Column("close", .decimal(b.map { d.priceMantissa($0.close) }, scale: d.priceScale)),
            Column("volume", .decimal(b.map { d.quantityMantissa($0.volume) }, scale: d.quantityScale)),
        ])
    }
}
