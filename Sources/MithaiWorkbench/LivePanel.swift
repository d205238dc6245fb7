import Foundation
import Synchronization
import MithaiLanguage
public import MithaiEngine

/// What the shell provides to draw the live panel: a full-screen terminal in raw mode. The
/// workbench renders frames (text with ANSI colours); the shell owns the terminal. Installed
/// only for interactive sessions on a terminal, so piped output never draws the panel.
public protocol LivePanelTerminal: Sendable {
    /// Takes over the screen until `key` returns false: calls `frame(columns, rows)` a few
    /// times a second and draws what it returns; passes each key byte to `key`. Restores the
    /// terminal (and the screen) before returning.
    func run(frame: (Int, Int) -> String, key: (UInt8) -> Bool)
}

public enum LivePanelHost {
    private static let terminal = Mutex<(any LivePanelTerminal)?>(nil)
    public static func install(_ t: any LivePanelTerminal) { terminal.withLock { $0 = t } }
    static var current: (any LivePanelTerminal)? { terminal.withLock { $0 } }
}

/// The Bloomberg-style panel: amber and cyan on black. Pure: a frame is a function of the
/// snapshot, the history and the size (80x24 and up; more rows give more ladder, more columns
/// give wider sparklines).
enum LivePanel {
    struct Snapshot {
        var title: String
        var time: String
        var state: String
        var speed: String
        var symbol: String
        var tick: ExactDecimal
        var lot: ExactDecimal
        var asks: [BookLevel]
        var bids: [BookLevel]
        var ourBuys: [Ticks: String]
        var ourSells: [Ticks: String]
        var trades: [Event]
        var base: Ticks
        var fills: [(manual: Bool, fill: Fill)]
        var botPosition: Double
        var botPnL: Double
        var manualPosition: Double
        var manualPnL: Double
        var rtt: [Int64?]
        var tickToOrder: [Int64?]
        var events: Int
        /// The watchlist band under the ladder (`watch NAME`, key w), nil when none is shown.
        var quotes: PanelQuotes? = nil
    }

    final class History {
        var mid: [Double] = []
        var equity: [Double] = []
        func add(mid m: Double, equity e: Double) {
            if m.isFinite { mid.append(m) }
            equity.append(e)
            if mid.count > 400 { mid.removeFirst(mid.count - 400) }
            if equity.count > 400 { equity.removeFirst(equity.count - 400) }
        }
    }

    static func snapshot(_ s: LiveSessionObject) -> Snapshot {
        s.lock.withLock {
            let l = s.legs[0]
            let v = l.venue
            let depth = 12
            var buys: [Ticks: String] = [:], sells: [Ticks: String] = [:]
            for o in v.botOrders where !o.status.isFinal {
                if o.side == .buy { buys[o.price, default: ""] += "B" } else { sells[o.price, default: ""] += "B" }
            }
            for o in v.manualOrders where !o.status.isFinal && o.type != .market {
                if o.side == .buy { buys[o.price, default: ""] += "M" } else { sells[o.price, default: ""] += "M" }
            }
            let lot = l.instrument.lotSize.doubleValue
            let tick = s.snapshotTick()
            return Snapshot(title: "\(s.name)  \(s.strategy.strategyKind.name) \(s.strategy.name) on \(s.market.name)",
                            time: LiveCommands.clock(v.now, s), state: tick.state.rawValue.uppercased(),
                            speed: s.speed.map { "\(Format.real($0))x" } ?? "max", symbol: l.instrument.symbol,
                            tick: l.instrument.tickSize, lot: l.instrument.lotSize,
                            asks: v.book.levels(.sell, maxLevels: depth), bids: v.book.levels(.buy, maxLevels: depth),
                            ourBuys: buys, ourSells: sells, trades: v.recentTrades(8), base: v.base, fills: v.recentFills(8),
                            botPosition: Double(v.bot.position) * lot, botPnL: v.valuation.scale.double(v.bot.equity),
                            manualPosition: Double(v.manualAccount.position) * lot,
                            manualPnL: v.valuation.scale.double(v.manualAccount.equity),
                            rtt: [50, 99, 99.9].map { v.roundTrip.percentile($0) },
                            tickToOrder: [50, 99, 99.9].map { v.tickToOrder.percentile($0) }, events: tick.events)
        }
    }

    static let amber = "\u{1B}[38;5;214;48;5;16m"
    static let cyan = "\u{1B}[38;5;51;48;5;16m"
    static let white = "\u{1B}[38;5;255;48;5;16m"
    static let bar = "\u{1B}[38;5;16;48;5;214m"
    static let reset = "\u{1B}[0m"

    /// Sparkline of `values` in `width` cells (the last `width` values).
    static func sparkline(_ values: [Double], width: Int) -> String {
        let marks = Array("▁▂▃▄▅▆▇█")
        let v = Array(values.suffix(width))
        guard let lo = v.min(), let hi = v.max() else { return String(repeating: " ", count: width) }
        let span = hi - lo
        let s = v.map { x -> Character in span > 0 ? marks[min(7, Int((x - lo) / span * 7.999))] : marks[3] }
        return String(s) + String(repeating: " ", count: max(0, width - s.count))
    }

    static func pad(_ s: String, _ w: Int) -> String {
        s.count >= w ? String(s.prefix(w)) : s + String(repeating: " ", count: w - s.count)
    }
    static func lpad(_ s: String, _ w: Int) -> String {
        s.count >= w ? String(s.prefix(w)) : String(repeating: " ", count: w - s.count) + s
    }

    static func render(_ p: Snapshot, _ h: History, columns: Int, rows: Int) -> String {
        let W = max(80, columns), H = max(24, rows)
        let left = 36, right = W - left - 1
        // The watchlist band takes the bottom of the body: its rows + 2, at most a third of it.
        let band = p.quotes.map { min($0.rows.count + 2, max(4, (H - 2) / 3)) } ?? 0
        let top = H - 2 - band
        func px(_ t: Ticks) -> String { LiveCommands.priceText(p.tick, t) }
        func qty(_ l: Lots) -> String { ExactDecimal.multiple(l, of: p.lot)?.description ?? String(l) }
        func lat(_ x: Int64?) -> String { x.map { Format.duration($0) } ?? "-" }
        func money(_ d: Double) -> String { String(format: "%.2f", d) }
        // Left: the ladder, asks above bids, our orders marked (B bot, M manual).
        var ladder: [String] = [cyan + pad(" LADDER \(p.symbol)", left) + reset]
        let perSide = band > 0 ? max(3, (top - 2) / 2) : max(4, (top - 4) / 2)
        let asks = Array(p.asks.prefix(perSide).reversed())
        for _ in 0..<(perSide - asks.count) { ladder.append(amber + pad("", left) + reset) }
        for a in asks {
            let ours = p.ourSells[a.price].map { "◀" + $0 } ?? ""
            ladder.append(amber + "  " + lpad(px(a.price), 11) + lpad(qty(a.quantity), 10) + "  " + cyan + pad(ours, left - 25) + reset)
        }
        let spread = (p.asks.first?.price).flatMap { a in p.bids.first.map { a - $0.price } }
        ladder.append(white + pad("  ── spread \(spread.map { "\($0) tick\($0 == 1 ? "" : "s")" } ?? "-") ──", left) + reset)
        for b in p.bids.prefix(perSide) {
            let ours = p.ourBuys[b.price].map { "◀" + $0 } ?? ""
            ladder.append(cyan + "  " + lpad(px(b.price), 11) + lpad(qty(b.quantity), 10) + "  " + amber + pad(ours, left - 25) + reset)
        }
        // Right: position, P&L, sparklines, latency, trades, fills.
        var r: [String] = []
        func line(_ color: String, _ s: String) { r.append(color + pad(s, right) + reset) }
        line(cyan, " POSITION / P&L")
        line(amber, "  bot     pos \(lpad(String(format: "%.4g", p.botPosition), 10))   net \(lpad(money(p.botPnL), 12))")
        line(amber, "  manual  pos \(lpad(String(format: "%.4g", p.manualPosition), 10))   net \(lpad(money(p.manualPnL), 12))")
        line(cyan, " MID     " + sparkline(h.mid, width: right - 10))
        line(cyan, " EQUITY  " + sparkline(h.equity, width: right - 10))
        line(cyan, " LATENCY rtt p50 \(lat(p.rtt[0])) p99 \(lat(p.rtt[1])) p99.9 \(lat(p.rtt[2]))")
        line(amber, "         tick-to-order p50 \(lat(p.tickToOrder[0])) p99 \(lat(p.tickToOrder[1]))")
        line(cyan, " LAST TRADES")
        let tradeRows = max(band > 0 ? 2 : 3, (top - 12) / 2)
        for t in p.trades.suffix(tradeRows) {
            line(t.side == .buy ? cyan : amber, "  \(t.side == .buy ? "BUY " : "SELL") \(lpad(qty(Lots(t.quantity)), 8)) @ \(px(p.base + Ticks(t.price)))")
        }
        for _ in 0..<max(0, tradeRows - p.trades.suffix(tradeRows).count) { line(amber, "") }
        line(cyan, " FILLS")
        for f in p.fills.suffix(tradeRows) {
            line(f.manual ? white : amber, "  \(f.manual ? "manual" : "bot   ") \(f.fill.side == .buy ? "BUY " : "SELL") \(lpad(qty(f.fill.quantity), 8)) @ \(px(f.fill.price))\(f.fill.isMaker ? " maker" : " taker")")
        }
        // Compose.
        var out = "\u{1B}[H"
        out += bar + pad(" MITHAI LIVE  \(p.title)  \(p.time)  \(p.state) \(p.speed)  events \(Renderer.grouped(p.events))", W) + reset + "\u{1B}[K\r\n"
        for i in 0..<top {
            let l = i < ladder.count ? ladder[i] : amber + pad("", left) + reset
            let rr = i < r.count ? r[i] : amber + pad("", right) + reset
            out += l + amber + "│" + reset + rr + "\u{1B}[K\r\n"
        }
        if let q = p.quotes, band > 0 {
            for l in q.render(width: W, lines: band) { out += l + "\u{1B}[K\r\n" }
        }
        // Fits 80 columns; wider terminals say what leaving does.
        let keys = " [p] pause  [r] resume  [f] flatten  [w] watchlist  [q] back to the prompt"
        let footer = W >= keys.count + 28 ? keys + " (the session keeps running)" : keys
        out += bar + pad(footer, W) + reset + "\u{1B}[K"
        return out
    }

    static let spec = CommandSpec("watch", category: "live",
                                  summary: "full-screen live panel: ladder with our orders, last trades, position, P&L, sparklines, fills, latency, a watchlist; keys p r f w q",
                                  parameters: [Parameter("list", .positional, .word, "a watchlist to show under the ladder, refreshed with the panel")],
                                  examples: ["watch", "live mm on sim speed=10x\nwatch", "watchlist desk = sim\nwatch desk"],
                                  details: "Terminal only (never drawn when output is piped). Amber and cyan on black; uses the whole terminal (80x24 and up). With a watchlist (watch NAME, or w in the panel to cycle through the workspace's watchlists and none), a band under the ladder shows per instrument last, change, change %, bid, ask, spread, volume and a sparkline, like quotes NAME: live instruments refresh with the panel, datasets are static. q or Esc returns to the prompt with the session still running.",
                                  handler: { ctx in try watch(&ctx) })

    static func watch(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try LiveCommands.session(ctx)
        guard let terminal = LivePanelHost.current, ctx.session.options.mode == .interactive else {
            throw .at(ctx.verbRange, "watch draws on a terminal only", notes: ["use status, orders and pnl in scripts and pipes"])
        }
        // The watchlists, in workspace order, and the one shown first.
        var lists: [WatchlistObject] = []
        for n in ctx.workspace.names {
            if case .object(let o)? = ctx.workspace[n], let w = o.as(WatchlistObject.self) { lists.append(w) }
        }
        var shown: Int? = nil
        if let n = try ctx.word("list") {
            guard let k = lists.firstIndex(where: { $0.name == n }) else {
                throw .at(ctx.range("list"), "no watchlist named '\(n)'", suggestions: Suggest.names(for: n, among: lists.map(\.name)),
                          notes: ["define one: watchlist \(n) = SYM, SYM, ..."])
            }
            shown = k
        }
        ctx.session.markResultVolatile()
        let history = History()
        let color = ctx.session.style.color
        let workspace = ctx.workspace, session = ctx.session
        var tracker = shown.map { PanelQuoteTracker(lists[$0], live: s, workspace: workspace, session: session) }
        terminal.run(frame: { columns, rows in
            var snap = snapshot(s)
            snap.quotes = tracker?.quotes(s)
            let mid = s.lock.withLock { s.legs[0].venue.markHalfTicks }
            h(history, mid: mid == 0 ? .nan : Double(mid) / 2 * snap.tick.doubleValue, equity: snap.botPnL)
            let frame = render(snap, history, columns: columns, rows: rows)
            return color ? frame : stripColour(frame)
        }, key: { byte in
            switch byte {
            case UInt8(ascii: "p"): s.pause()
            case UInt8(ascii: "r"): s.resume()
            case UInt8(ascii: "f"): s.lock.withLock { for l in s.legs { l.venue.flatten() } }
            case UInt8(ascii: "w") where !lists.isEmpty:
                // none → each watchlist in turn → none.
                let next = shown.map { $0 + 1 < lists.count ? $0 + 1 : nil } ?? 0
                shown = next
                tracker = next.map { PanelQuoteTracker(lists[$0], live: s, workspace: workspace, session: session) }
            case UInt8(ascii: "q"), 27, 3: return false
            default: break
            }
            return true
        })
        return .message("\(s.name): \(s.currentState.rawValue) at \(LiveCommands.clock(s.now, s))")
    }

    /// The frame without SGR colour sequences (NO_COLOR); cursor and erase sequences stay.
    static func stripColour(_ s: String) -> String {
        var out = ""
        var it = s.unicodeScalars.makeIterator()
        var pending: [Unicode.Scalar] = []
        while let c = it.next() {
            if c == "\u{1B}" {
                pending = [c]
                while let d = it.next() {
                    pending.append(d)
                    if d.properties.isAlphabetic || d == "~" { break }
                }
                if pending.last != "m" { out.unicodeScalars.append(contentsOf: pending) }
                pending = []
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private static func h(_ history: History, mid: Double, equity: Double) { history.add(mid: mid, equity: equity) }
}
