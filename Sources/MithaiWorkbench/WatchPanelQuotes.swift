import Foundation
import MithaiEngine

/// The watchlist band of the `watch` panel (`watch NAME`, or `w` in the panel to cycle through
/// the workspace's watchlists): per member, as `quotes NAME` shows it, the last price, change
/// and change % since the first, bid, ask, spread, traded volume and a sparkline. Live members
/// (instruments of the watched session) are refreshed with every frame; dataset members are
/// static and computed once.
struct PanelQuotes: Equatable {
    struct Row: Equatable {
        var symbol: String
        var first: Double
        var last: Double
        var bid: Double
        var ask: Double
        var volume: Double
        var series: [Double]
        /// Decimals of the instrument's tick (prices are shown with them).
        var decimals: Int
        /// False for a member that is neither a dataset nor an instrument of this session.
        var known = true
    }
    var title: String
    var rows: [Row]

    static func number(_ x: Double, _ decimals: Int, signed: Bool = false) -> String {
        guard x.isFinite else { return "-" }
        return String(format: signed ? "%+.\(decimals)f" : "%.\(decimals)f", x)
    }

    /// Volume in at most 8 characters: 1234, 12.3k, 1.23M.
    static func volume(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let a = abs(v)
        if a >= 1e9 { return String(format: "%.2fG", v / 1e9) }
        if a >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if a >= 1e4 { return String(format: "%.1fk", v / 1e3) }
        return a == a.rounded() ? String(format: "%.0f", v) : String(format: "%.4g", v)
    }

    /// The band in exactly `lines` lines of `width` cells (lines >= 3): a title, the column
    /// header, then one row per member (the last line says how many more when they do not fit).
    /// At 80 columns the sparkline has 9 cells; wider terminals give it the extra width (up to
    /// 60) and the symbol column the rest.
    func render(width W: Int, lines: Int) -> [String] {
        let P = LivePanel.self
        let extra = max(0, W - 80)
        let trend = 9 + min(extra, 51)
        let sym = 9 + max(0, extra - 51)
        var out: [String] = []
        out.append(P.cyan + P.pad(" WATCHLIST \(title)  (\(rows.count) instrument\(rows.count == 1 ? "" : "s"); w: next list)", W) + P.reset)
        let head = " " + P.pad("SYMBOL", sym) + P.lpad("LAST", 10) + P.lpad("CHG", 8) + P.lpad("CHG%", 7) + P.lpad("BID", 10)
            + P.lpad("ASK", 10) + P.lpad("SPRD", 7) + P.lpad("VOLUME", 8) + " " + "TREND"
        out.append(P.white + P.pad(head, W) + P.reset)
        let room = lines - 2
        let shown = rows.count <= room ? rows.count : max(0, room - 1)
        for r in rows.prefix(shown) {
            guard r.known else {
                out.append(P.amber + P.pad(" " + P.pad(r.symbol, sym) + "  not in this session", W) + P.reset)
                continue
            }
            let change = r.last - r.first
            let pct = r.first != 0 ? change / r.first * 100 : .nan
            let line = " " + P.pad(r.symbol, sym) + P.lpad(Self.number(r.last, r.decimals), 10)
                + P.lpad(Self.number(change, r.decimals, signed: true), 8)
                + P.lpad(pct.isFinite ? String(format: "%+.2f", pct) : "-", 7)
                + P.lpad(Self.number(r.bid, r.decimals), 10) + P.lpad(Self.number(r.ask, r.decimals), 10)
                + P.lpad(Self.number(r.ask - r.bid, r.decimals), 7) + P.lpad(Self.volume(r.volume), 8) + " "
                + WatchlistCommands.sparkline(r.series, width: trend)
            out.append((change.isFinite && change < 0 ? P.amber : P.cyan) + P.pad(line, W) + P.reset)
        }
        if shown < rows.count { out.append(P.amber + P.pad(" … \(rows.count - shown) more (a taller terminal shows them)", W) + P.reset) }
        while out.count < lines { out.append(P.amber + P.pad("", W) + P.reset) }
        return Array(out.prefix(lines))
    }
}

/// Keeps one watchlist's rows for the panel. Dataset members are computed once; live members
/// (an instrument of the watched session, by market name or symbol) accumulate the session's
/// trade prints incrementally: each frame reads only the feed recorded since the last one.
final class PanelQuoteTracker {
    private enum Member {
        case fixed(PanelQuotes.Row)
        case live(leg: Int, symbol: String, decimals: Int)
        case missing(String)
    }
    private struct LegState {
        var cursor = 0
        var first = Double.nan
        var last = Double.nan
        var volume: Lots = 0
        var series: [Double] = []
    }
    let name: String
    private var members: [Member] = []
    private var legs: [Int: LegState] = [:]

    init(_ list: WatchlistObject, live s: LiveSessionObject, workspace ws: Workspace, session: Session) {
        name = list.name
        for m in list.members {
            if let (_, instrument) = AlertCommands.liveInstrument(m, ws),
               let k = s.legs.firstIndex(where: { $0.instrument.symbol == instrument.symbol }),
               (try? WatchlistCommands.resolve(m, range: .empty, ws: ws)) == nil
            {
                members.append(.live(leg: k, symbol: instrument.symbol, decimals: Int(instrument.tickSize.scale)))
                legs[k] = LegState()
            } else if let d = try? WatchlistCommands.resolve(m, range: .empty, ws: ws), let r = try? WatchlistCommands.staticRow(d, session: session) {
                members.append(.fixed(PanelQuotes.Row(symbol: r.symbol, first: r.first, last: r.last, bid: r.bid, ask: r.ask, volume: r.volume,
                                                      series: r.series, decimals: Int(d.instrument.tickSize.scale))))
            } else {
                members.append(.missing(m))
            }
        }
    }

    /// The rows now: reads the new trades of the live members' legs under the session's lock.
    func quotes(_ s: LiveSessionObject) -> PanelQuotes {
        var tops: [Int: (bid: Double, ask: Double)] = [:]
        s.lock.withLock {
            for k in legs.keys.sorted() {
                let l = s.legs[k], v = l.venue
                let tick = l.instrument.tickSize.doubleValue
                var st = legs[k]!
                let recorded = v.recorded
                if st.cursor < recorded.count {
                    for i in st.cursor..<recorded.count where recorded[i].kind == .trade {
                        let e = recorded[i]
                        let p = Double(v.base + Ticks(e.price)) * tick
                        if st.first.isNaN { st.first = p }
                        st.last = p
                        st.volume += Lots(e.quantity)
                        st.series.append(p)
                    }
                    st.cursor = recorded.count
                }
                legs[k] = st
                let book = v.book
                tops[k] = (book.bestBid == Ticks.min || book.bestBid == Ticks.max ? .nan : Double(book.bestBid) * tick,
                           book.bestAsk == Ticks.min || book.bestAsk == Ticks.max ? .nan : Double(book.bestAsk) * tick)
            }
        }
        let rows = members.map { m -> PanelQuotes.Row in
            switch m {
            case .fixed(let r): return r
            case .missing(let n): return PanelQuotes.Row(symbol: n, first: .nan, last: .nan, bid: .nan, ask: .nan, volume: .nan, series: [],
                                                         decimals: 2, known: false)
            case .live(let k, let symbol, let decimals):
                let st = legs[k]!
                let lot = s.legs[k].instrument.lotSize.doubleValue
                return PanelQuotes.Row(symbol: symbol, first: st.first, last: st.last, bid: tops[k]?.bid ?? .nan, ask: tops[k]?.ask ?? .nan,
                                       volume: Double(st.volume) * lot, series: st.series, decimals: decimals)
            }
        }
        return PanelQuotes(title: name, rows: rows)
    }
}
