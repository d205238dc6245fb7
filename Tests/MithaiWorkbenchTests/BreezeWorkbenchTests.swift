import Foundation
import Testing

/// `load` of the real Breeze NSE futures file, then `book` at an instant and time-bucketed
/// queries, through a session as a user types them. The file lives in `../shared` (not shipped:
/// no licence), so this is a test that skips rather than a golden transcript.
@Suite struct BreezeWorkbenchTests {
    static let path = "../shared/datasets/india/nse_breeze_futures_ticks/all_ticks_FUTURES_2025-11-17.csv"

    @Test("load a Breeze file by symbol, book at 12:20 IST, trades in 10-minute buckets")
    func loadBookBuckets() throws {
        guard FileManager.default.fileExists(atPath: Self.path) else {
            print("../shared/datasets is absent (fresh clone): test skipped"); return
        }
        let out = try Transcript.run([
            "load \(Self.path) cache=off",
            "load \(Self.path) symbol=RELIND cache=off",
            "book relind at 12:20 depth 3",
            "select first px, last px, sum qty, count() by 10m from trades(relind)",
            "select n: count(), qty: sum qty by side from trades(relind)",
            "instrument relind | where field in (\"lot\", \"preset\", \"fees\")",
        ])
        #expect(out[0].hasSuffix("4 symbols in one file (MCX 1,256, RELIND 1,524, TCS 1,309, TRENT 1,446): choose one with symbol=, e.g. load FILE symbol=MCX"))
        let load = out[1].split(separator: "\n").map(String.init)
        #expect(load.first == "relind: 3,808 events (145 trade, 1,221 clear, 2,442 snapshot), 2025-11-17 12:07:57.652606..13:08:03.772600 Asia/Kolkata; RELIND on NSE, tick 0.1, lot 500, preset nse:RELIANCE-FUT")
        #expect(load.contains("  warning: 1 unreadable row(s) skipped: all_ticks_FUTURES_2025-11-17.csv:184: expected 29 columns, found 1 ('5')"))
        #expect(load.contains("  19 row(s) went back in exchange time: sorted by exchange time (stable)"))
        #expect(load.contains("  303 exact duplicate row(s) dropped; 1,221 ticks kept"))
        // The last tick at or before 12:20 IST is 12:19:59.684156: bid 1518.9 × 500, ask (bid_price_2) 1519.2 × 7000.
        #expect(out[2] == """
            level  bid_qty     bid     ask  ask_qty
            ─────  ───────  ──────  ──────  ───────
                1      500  1518.9  1519.2     7000
            """)
        // 12:30-13:00 is empty: the recorder was away from 12:25 to 13:03.
        #expect(out[3] == """
            ts                   first_px  last_px  sum_qty  count
            ───────────────────  ────────  ───────  ───────  ─────
            2025-11-17 12:00:00    1518.8   1518.4    57500     21
            2025-11-17 12:10:00    1518.4   1519.0    53500     63
            2025-11-17 12:20:00    1519.2   1519.0    20500     28
            2025-11-17 13:00:00    1517.6   1517.0    23000     33
            """)
        #expect(out[4] == """
            side   n    qty
            ────  ──  ─────
            buy   60  75000
            sell  85  79500
            """)
        #expect(out[5].contains("preset  nse:RELIANCE-FUT") && out[5].contains("NSE index and stock futures"))
    }
}
