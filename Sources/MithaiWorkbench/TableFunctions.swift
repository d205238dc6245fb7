import Foundation
public import MithaiLanguage
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
        "fills": "a run's fills: ts, local_ts, order_id, side, px, qty, maker, fee, position",
        "orders": "a run's orders: submitted, order_id, side, type, tif, px, qty, filled, status, reason",
        "equity": "a run's equity curve: ts, position, mid, equity, fees",
    ]

    static func call(_ name: String, nameRange: SourceRange, args: [Argument], session: Session,
                     ws: inout Workspace) throws(WorkbenchError) -> Value {
        guard let first = args.first, first.label == nil else {
            throw .at(nameRange, "\(name) needs a dataset: \(name)(DATA)")
        }
        var evaluator = Evaluator(session: session)
        if ["fills", "orders", "equity"].contains(name) {
            guard args.count == 1 else { throw .at(nameRange, "\(name) takes one run: \(name)(r1)") }
            if case .name(let n, let r) = first.value, ws[n] == nil {
                throw .at(r, "no run named '\(n)'", suggestions: Suggest.names(for: n, among: BacktestCommands.allRuns(ws).map(\.name)))
            }
            let run = try BacktestCommands.runObject(try evaluator.evaluate(first.value, in: &ws), range: first.range, ws: ws)
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
            var book = L2Book()
            if d.dataset.counts[.add] > 0 {
                var l3 = L3Book()
                let base = d.dataset.baseTick
                d.dataset.withEvents { e in for i in 0..<end { l3.apply(e[i], base: base) } }
                return DataCommands.ladder(bids: l3.l2.levels(.buy, maxLevels: levels), asks: l3.l2.levels(.sell, maxLevels: levels), d: d)
            }
            ReplayBenchmark.replay(d.dataset, into: &book, range: 0..<end)
            return DataCommands.ladder(bids: book.levels(.buy, maxLevels: levels), asks: book.levels(.sell, maxLevels: levels), d: d)
        }
    }

    static func sideName(_ s: Side) -> String { s == .buy ? "buy" : s == .sell ? "sell" : "" }

    static func trades(_ d: DatasetObject, session: Session) -> Table {
        var ts: [Int64] = [], local: [Int64] = [], px: [Int64] = [], qty: [Int64] = [], side: [String] = []
        let base = d.dataset.baseTick
        d.dataset.withEvents { events in
            let n = d.dataset.counts[.trade] + d.dataset.counts[.execute] + d.dataset.counts[.executeHidden]
            ts.reserveCapacity(n); local.reserveCapacity(n); px.reserveCapacity(n); qty.reserveCapacity(n); side.reserveCapacity(n)
            for e in events where e.kind.isPrint {
                ts.append(e.exchTime)
                local.append(e.localTime)
                px.append(d.priceMantissa(e.ticks(base: base)))
                qty.append(d.quantityMantissa(Lots(e.quantity)))
                // Executions carry the resting side; the aggressor is the other one.
                side.append(sideName(e.kind == .trade ? e.side : e.side.opposite))
            }
        }
        return Table([
            Column("ts", .timestamp(ts, zone: d.zone)),
            Column("px", .decimal(px, scale: d.priceScale)),
            Column("qty", .decimal(qty, scale: d.quantityScale)),
            Column("side", .text(side)),
            Column("local_ts", .timestamp(local, zone: d.zone)),
        ])
    }

    static func quotes(_ d: DatasetObject, session: Session) throws(WorkbenchError) -> Table {
        var ts: [Int64] = [], bid: [Int64] = [], bidQty: [Int64] = [], ask: [Int64] = [], askQty: [Int64] = []
        var lastBid = Ticks.min, lastAsk = Ticks.max, lastBidQty: Lots = -1, lastAskQty: Lots = -1
        let base = d.dataset.baseTick
        let isL3 = d.dataset.counts[.add] > 0
        var l2 = L2Book()
        var l3 = L3Book()
        var cancelled = false
        d.dataset.withEvents { events in
            for i in 0..<events.count {
                if i & 0xFFFF == 0 && session.cancellation.isCancelled { cancelled = true; return }
                let e = events[i]
                let b: Ticks, a: Ticks, bq: Lots, aq: Lots
                if isL3 {
                    l3.apply(e, base: base)
                    b = l3.l2.bestBid; a = l3.l2.bestAsk; bq = l3.l2.bestBidQuantity; aq = l3.l2.bestAskQuantity
                } else {
                    l2.apply(e, base: base)
                    b = l2.bestBid; a = l2.bestAsk; bq = l2.bestBidQuantity; aq = l2.bestAskQuantity
                }
                // Skip rows inside a message or a snapshot: only whole updates are quotes.
                if e.kind == .snapshot && !e.flags.contains(.snapshotEnd) { continue }
                if b == lastBid && a == lastAsk && bq == lastBidQty && aq == lastAskQty { continue }
                if i + 1 < events.count && events[i + 1].exchTime == e.exchTime && events[i + 1].kind.isL2BookUpdate == e.kind.isL2BookUpdate
                    && events[i + 1].localTime == e.localTime && !e.kind.isL3 { continue }
                lastBid = b; lastAsk = a; lastBidQty = bq; lastAskQty = aq
                ts.append(e.exchTime)
                bid.append(b == Ticks.min ? Column.null : d.priceMantissa(b))
                ask.append(a == Ticks.max ? Column.null : d.priceMantissa(a))
                bidQty.append(b == Ticks.min ? Column.null : d.quantityMantissa(bq))
                askQty.append(a == Ticks.max ? Column.null : d.quantityMantissa(aq))
            }
        }
        if cancelled { throw .cancelled }
        return Table([
            Column("ts", .timestamp(ts, zone: d.zone)),
            Column("bid", .decimal(bid, scale: d.priceScale)),
            Column("bid_qty", .decimal(bidQty, scale: d.quantityScale)),
            Column("ask", .decimal(ask, scale: d.priceScale)),
            Column("ask_qty", .decimal(askQty, scale: d.quantityScale)),
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
