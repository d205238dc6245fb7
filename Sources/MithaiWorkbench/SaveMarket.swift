import Foundation
import MithaiLanguage
public import MithaiEngine
import MithaiMarketData

/// `save market NAME to FILE`: a simulated venue's event feed as a dataset file that `load`
/// reads back.
///
/// - `format=l3` (the default): the order-by-order feed, every event of the venue (adds,
///   cancels, executions, trade prints) with its order id and both timestamps, as an
///   hftbacktest `.npz` (`NpzWriter`, which `load` reads): the loaded dataset is L3 and gives
///   the same book at every instant as the live session saw, and the same backtest. A partial
///   cancel is stored as hftbacktest's MODIFY with the remaining quantity (its CANCEL deletes
///   an order): the same book, the same count of events.
/// - `format=l2`: the L2 view as the benchmark CSV (`exch_ts,local_ts,side,kind,price,qty`):
///   after each event, the new total of the level it touched (`depth`), and every print
///   (`trade`). Queue positions are lost.
enum SaveMarket {
    static let spec = CommandSpec("save", category: "live",
        summary: "writes a market's event feed as a dataset file loadable with load (L3 .npz, or the L2 view as CSV)",
        parameters: [
            Parameter("what", .positional, .choice(["market"]), required: true, "market"),
            Parameter("name", .positional, .object("market"), required: true, "the market"),
            Parameter("file", .keyword("to"), .path, required: true, "the file to write (.npz for l3, .csv for l2)"),
            Parameter("format", .option, .choice(["l3", "l2"]), default: "l3",
                      "l3: every order event with its id (hftbacktest .npz); l2: the L2 view (bench CSV)"),
            Parameter("for", .option, .duration, default: "1h", "simulated time to generate when no live session ran on the market"),
        ],
        examples: ["save market sim to out/sim.npz for=10m",
                   "save market sim to out/sim.npz for=1m\nload out/sim.npz as simdata tick=0.05 lot=1",
                   "save market sim to out/sim.csv format=l2 for=1m"],
        details: "The feed of the last live session on the market (first instrument) when there is one, else `for=` of fresh flow from the market's seed (no bot). The default L3 file keeps every order event with its id, so `book` at any instant and a backtest on the loaded file see the book the session saw; format=l2 writes the older L2 view (levels and prints only).",
        handler: { ctx in try save(&ctx) })

    static func save(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        guard let ne = ctx.exprs("name").first, case .object(let o) = try ctx.session.evaluate(ne, in: &ctx.workspace),
              let market = o.as(MarketObject.self) else { throw .at(ctx.range("name"), "expected a market") }
        guard let path = try ctx.path("file") else { throw .at(ctx.verbRange, "save market NAME to FILE") }
        let format = try ctx.choice("format") ?? "l3"
        let ext = (path as NSString).pathExtension.lowercased()
        if format == "l3" && ext != "npz" {
            throw .at(ctx.range("file"), "the L3 feed is written as an hftbacktest .npz file, not .\(ext.isEmpty ? "(none)" : ext)",
                      notes: ["save market \(market.name) to \(((path as NSString).deletingPathExtension)).npz",
                              "or the L2 view as CSV: save market \(market.name) to \(path) format=l2"])
        }
        var events = ContiguousArray<Event>()
        var instrument: Instrument
        var base: Ticks
        var session: LiveSessionObject?
        for n in ctx.workspace.names.reversed() {
            if case .object(let x) = ctx.workspace[n], let s = x.as(LiveSessionObject.self), s.market === market { session = s; break }
        }
        if let s = session {
            (events, base) = s.lock.withLock { (s.legs[0].venue.recorded, s.legs[0].venue.base) }
            instrument = s.legs[0].instrument
        } else if let d = market.replay {
            throw .at(ctx.range("name"), "\(market.name) replays \(d.name), which is already a file", notes: ["its sources: " + d.dataset.sources.joined(separator: " ")])
        } else {
            let l = market.legs[0]
            var span: Nanos = Time.hour
            if let v = try ctx.value("for") {
                guard case .duration(let d) = v, d > 0 else { throw .at(ctx.range("for"), "for is a positive duration") }
                span = d
            }
            events = market.freshFlow(span)
            instrument = l.instrument
            base = l.reference
        }
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        let load = "load it with: load \(path) tick=\(instrument.tickSize) lot=\(instrument.lotSize)"
        if format == "l3" {
            let data = Dataset.simulated(events, instrument: instrument, baseTick: base, source: "market \(market.name)")
            let rows: Int
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                rows = try NpzWriter.write(data, to: url.path)
            } catch {
                throw .at(ctx.range("file"), "cannot write \(path): \(error)")
            }
            ctx.session.recordArtifact(kind: "dataset", path: path)
            return .message("\(market.name): \(Renderer.grouped(events.count)) order events (\(Renderer.grouped(rows)) rows, L3) written to \(path); \(load)")
        }
        var text = "exch_ts,local_ts,side,kind,price,qty\n"
        var book = L3Book()
        var rows = 0
        func px(_ t: Ticks) -> String { LiveCommands.priceText(instrument.tickSize, t) }
        func qty(_ l: Lots) -> String { ExactDecimal.multiple(l, of: instrument.lotSize)?.description ?? String(l) }
        for e in events {
            let p = base + Ticks(e.price)
            let side = e.side == .buy ? "buy" : "sell"
            if e.kind == .trade {
                text += "\(e.exchTime),\(e.localTime),\(side),trade,\(px(p)),\(qty(Lots(e.quantity)))\n"
                rows += 1
                continue
            }
            book.apply(e, base: base)
            if e.kind.isL3 {
                text += "\(e.exchTime),\(e.localTime),\(side),depth,\(px(p)),\(qty(book.l2.quantity(e.side, at: p)))\n"
                rows += 1
            }
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw .at(ctx.range("file"), "cannot write \(path): \(error.localizedDescription)")
        }
        ctx.session.recordArtifact(kind: "dataset", path: path)
        return .message("\(market.name): \(Renderer.grouped(rows)) rows (\(Renderer.grouped(events.count)) events) written to \(path) (L2 view); \(load)")
    }
}
