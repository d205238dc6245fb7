import Foundation
@testable import MithaiWorkbench
import MithaiEngine
import Testing

/// The `watch` panel's frame is a pure function of a snapshot, the history and the terminal
/// size: golden frames (colour stripped) at 80x24 and 120x32, with and without a watchlist.
/// Re-record with MITHAI_RECORD=1 (files Transcripts/*.panel).
@Suite struct LivePanelTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

    static func snapshot(quotes: PanelQuotes?) -> LivePanel.Snapshot {
        let asks = (1...12).map { BookLevel(price: 58_000 + Ticks($0), quantity: Lots(10 * $0), orders: Int32($0)) }
        let bids = (0..<12).map { BookLevel(price: 57_999 - Ticks($0), quantity: Lots(15 + 5 * $0), orders: 2) }
        let t0: Nanos = 1_767_571_200 * Time.second
        var trades: [Event] = []
        for k in 0..<6 {
            let t: Nanos = t0 + Nanos(k) * Time.second
            let side: Side = k % 2 == 0 ? .buy : .sell
            trades.append(Event(kind: .trade, side: side, price: Int32(k % 3), quantity: Int32(3 + k), exchTime: t, localTime: t))
        }
        return LivePanel.Snapshot(title: "live1  grid mm on sim", time: "2026-01-05 00:01:00.000", state: "RUNNING", speed: "10x",
                                  symbol: "RELIANCE", tick: ExactDecimal("0.05")!, lot: ExactDecimal("1")!, asks: asks, bids: bids,
                                  ourBuys: [57_999: "B", 57_998: "BM"], ourSells: [58_001: "B"], trades: trades, base: 58_000, fills: [],
                                  botPosition: -20, botPnL: 12.5, manualPosition: 5, manualPnL: -1.25,
                                  rtt: [4_000_000, 4_100_000, nil], tickToOrder: [50_000, 90_000, nil], events: 123_456, quotes: quotes)
    }

    static let quotes = PanelQuotes(title: "desk", rows: [
        .init(symbol: "RELIANCE", first: 2900, last: 2903.55, bid: 2903.5, ask: 2903.6, volume: 1_234_567, series: [2900, 2901, 2899, 2902, 2903.55],
              decimals: 2),
        .init(symbol: "INFY", first: 1500, last: 1497.25, bid: 1497.2, ask: 1497.3, volume: 45_000, series: [1500, 1499, 1497.25], decimals: 2),
        .init(symbol: "BTCUSDT", first: 60000, last: 60012.5, bid: .nan, ask: .nan, volume: 12.345, series: [], decimals: 1),
        .init(symbol: "ghost", first: .nan, last: .nan, bid: .nan, ask: .nan, volume: .nan, series: [], decimals: 2, known: false),
    ])

    static func frame(_ q: PanelQuotes?, _ columns: Int, _ rows: Int) -> String {
        let h = LivePanel.History()
        for k in 0..<50 { h.add(mid: 2900 + Double(k % 7), equity: Double(k) * 0.5) }
        let f = LivePanel.stripColour(LivePanel.render(snapshot(quotes: q), h, columns: columns, rows: rows))
        // One line per screen row, without the cursor and erase sequences.
        return f.replacingOccurrences(of: "\u{1B}[H", with: "").replacingOccurrences(of: "\u{1B}[K", with: "")
            .replacingOccurrences(of: "\r\n", with: "\n") + "\n"
    }

    @Test(arguments: [("plain", 80, 24), ("watchlist", 80, 24), ("watchlist", 120, 32)])
    func goldenFrames(_ kind: String, _ columns: Int, _ rows: Int) throws {
        let text = Self.frame(kind == "plain" ? nil : Self.quotes, columns, rows)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == rows, "the frame fills the screen")
        #expect(lines.allSatisfy { $0.count == columns }, "every line is exactly as wide as the terminal")
        let file = Self.folder.appendingPathComponent("watch-\(kind)-\(columns)x\(rows).panel")
        if ProcessInfo.processInfo.environment["MITHAI_RECORD"] == "1" {
            try text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        #expect(text == golden, "frame differs from \(file.lastPathComponent); re-record with MITHAI_RECORD=1 if intended")
    }

    @Test func aLongWatchlistSaysHowManyMoreRowsThereAre() {
        var q = Self.quotes
        for k in 0..<20 { q.rows.append(.init(symbol: "S\(k)", first: 1, last: 1, bid: 1, ask: 1, volume: 1, series: [1], decimals: 2)) }
        let text = Self.frame(q, 80, 24)
        #expect(text.contains("WATCHLIST desk  (24 instruments"))
        #expect(text.contains("more (a taller terminal shows them)"))
        #expect(text.contains("[q] back to the prompt"))
    }
}
