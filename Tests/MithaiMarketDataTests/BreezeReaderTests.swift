import MithaiEngine
@testable import MithaiMarketData
import Testing

/// ICICI Direct Breeze tick files: a synthetic file with every quirk of the recorder, and the
/// real NSE futures file of `../shared/datasets` when present (it is not shipped: no licence).
@Suite("Breeze NSE futures ticks")
struct BreezeReaderTests {
    static let header = "Symbol,exchange_timestamp,last_price,volume_traded,last_traded_quantity,open_interest,change_in_oi,"
        + "bid_price_1,bid_qty_1,bid_price_2,bid_qty_2,bid_price_3,bid_qty_3,bid_price_4,bid_qty_4,bid_price_5,bid_qty_5,"
        + "ask_price_1,ask_qty_1,ask_price_2,ask_qty_2,ask_price_3,ask_qty_3,ask_price_4,ask_qty_4,ask_price_5,ask_qty_5,total_buy_qty,total_sell_qty"

    /// A row in the recorder's layout: best bid in bid_1, best ask in bid_2, ask_* zero.
    static func row(_ symbol: String, _ time: String, last: String, volume: Int, ltq: Int = 500,
                    bid: (String, Int), ask: (String, Int), ask1: (String, Int) = ("0.0", 0)) -> String
    {
        "\(symbol),2025-11-17 \(time),\(last),\(volume),\(ltq),100700000,0,\(bid.0),\(bid.1),\(ask.0),\(ask.1),"
            + "0.0,0,0.0,0,0.0,0,\(ask1.0),\(ask1.1),0.0,0,0.0,0,0.0,0,0.0,0,348500,867500"
    }

    /// Line numbers are in the comments: the header is line 1.
    static let synthetic = [
        header,
        row("RELIND", "09:15:00.000000", last: "1500.0", volume: 1_000_000, bid: ("1499.9", 1000), ask: ("1500.1", 1500)),  // 2
        row("TRENT", "09:15:00.500000", last: "4400.0", volume: 5_000, ltq: 100, bid: ("4399.5", 100), ask: ("4400.5", 200)),  // 3
        row("RELIND", "09:15:02.000000", last: "1500.1", volume: 1_001_000, bid: ("1500.0", 500), ask: ("1500.2", 1000)),  // 4
        "5",  // 5: junk
        row("RELIND", "09:15:01.000000", last: "1499.9", volume: 1_000_500, bid: ("1499.9", 500), ask: ("1500.1", 1500)),  // 6: back in time
        row("RELIND", "09:15:02.000000", last: "1500.1", volume: 1_001_000, bid: ("1500.0", 500), ask: ("1500.2", 1000)),  // 7: duplicate of 4
        row("RELIND", "09:15:03.000000", last: "1500.1", volume: 1_001_000, bid: ("1500.1", 2000), ask: ("1500.3", 500)),  // 8: quote only
        row("RELIND", "09:15:04.000000", last: "1500.1", volume: 1_000_500, bid: ("1500.1", 2000), ask: ("1500.3", 500)),  // 9: volume falls
        row("RELIND", "09:15:05.000000", last: "1500.1", volume: 1_000_000, bid: ("1500.1", 1500), ask: ("1500.3", 500)),  // 10: still below
        row("RELIND", "09:15:06.000000", last: "1500.2", volume: 1_002_000, bid: ("1500.1", 1000), ask: ("1500.3", 500)),  // 11: at the mid
        row("RELIND", "09:17:00.000000", last: "1500.4", volume: 1_003_000, bid: ("1500.3", 500), ask: ("1500.5", 500)),  // 12: after a gap
    ].joined(separator: "\n") + "\n"

    static let nineFifteenIST: Nanos = 1_763_351_100_000_000_000

    @Test("synthetic file: detection, bad line, order, duplicates, cumulative volume, bid_2 as the ask")
    func synthetic() throws {
        let path = TestData.write(Self.synthetic, name: "ticks.csv")
        #expect(try DatasetLoader.detectFormat(path: path) == .breeze)

        // Several symbols and none chosen: an error listing them with their row counts.
        #expect {
            try DatasetLoader.load(path: path)
        } throws: { ($0 as? DataError)?.message == "2 symbols in one file (RELIND 9, TRENT 1): choose one with symbol=, e.g. load FILE symbol=RELIND" }
        #expect {
            try DatasetLoader.load(path: path, symbol: "TCS")
        } throws: { ($0 as? DataError)?.message == "no rows for symbol TCS; the file has: RELIND 9, TRENT 1" }

        let (builder, stats) = try BreezeReader(file: InputFile(path: path), options: ReadOptions(symbol: "RELIND"), control: .none).readWithStats()
        #expect(stats.malformed.map(\.line) == [5])
        #expect(stats.outOfOrder == 1 && stats.duplicatesDropped == 1 && stats.kept == 8 && stats.sameTimeDifferent == 0)
        #expect(stats.decreases.map(\.line) == [9, 10])
        #expect(!stats.headerLayout && stats.crossed == 0 && stats.locked == 0)
        #expect(stats.presetKey == "nse:RELIANCE-FUT")
        #expect(stats.gaps.map(\.line) == [12] && stats.gapVolume == 2)
        #expect(builder.notes.first == "warning: 1 unreadable row(s) skipped: ticks.csv:5: expected 29 columns, found 1 ('5')")

        let d = try DatasetLoader.load(path: path, symbol: "RELIND")
        #expect(d.format == .breeze)
        #expect(d.instrument.symbol == "RELIND" && d.instrument.venue == "NSE" && d.instrument.timeZone == "Asia/Kolkata")
        #expect(d.instrument.tickSize == "0.1" && d.instrument.lotSize == "500")  // tick from the data, lot from the preset
        #expect(d.notes.contains("tick 0.1 = GCD of RELIND's prices (preset nse:RELIANCE-FUT says 0.05; pass tick= to use it)"))
        #expect(d.notes.contains { $0.hasPrefix("warning: cumulative volume fell 2 time(s) (ticks.csv:9: 1,001,000 → 1,000,500; ticks.csv:10: 1,001,000 → 1,000,000)") })
        #expect(d.counts[.clear] == 8 && d.counts[.snapshot] == 16 && d.counts[.trade] == 3)
        #expect(d.notes.contains("warning: 1 recording gap(s) over 60 s (ticks.csv:12: 09:15:06.000000 → 09:17:00.000000, 1,000): the volume traded meanwhile is not emitted as a print"))

        // Trades from the increase of the cumulative volume, with the inferred aggressor:
        // 09:15:01 at the bid before it (sell), 09:15:02 at the ask (buy), 09:15:06 at the mid
        // after an up-tick (tick rule: buy). 09:15:03 (unchanged volume), the fall and the volume
        // of the recording gap before 09:17 are not trades.
        let t = d.trades()
        #expect(t.time == [1, 2, 6].map { Self.nineFifteenIST + $0 * Time.second })
        #expect(t.price.map { d.instrument.price($0).description } == ["1499.9", "1500.1", "1500.2"])
        #expect(t.quantity == [1, 1, 2])  // lots of 500: 500, 500, 1,000
        #expect(t.aggressor == [.sell, .buy, .buy])
        #expect((t.quantity.reduce(0, +) + stats.gapVolume) * 500 == 1_003_000 - 1_000_000)

        // Time never decreases; the first event is 09:15 IST in UTC.
        d.withEvents { events in
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.exchTime <= $1.exchTime && $0.localTime <= $1.localTime })
            #expect(events.first?.exchTime == Self.nineFifteenIST)
        }
        // bid_price_2 is the ask: the book at 09:15:02 is 1500.0 × 500 / 1500.2 × 1000.
        let book = d.l2Book(upTo: d.eventCount(upTo: Self.nineFifteenIST + 2 * Time.second))
        #expect(d.instrument.price(book.bestBid).description == "1500.0" && book.bestBidQuantity == 1)
        #expect(d.instrument.price(book.bestAsk).description == "1500.2" && book.bestAskQuantity == 2)
        #expect(book.levelCount(.buy) == 1 && book.levelCount(.sell) == 1)
        let top = d.topOfBook()
        #expect(top.time.count == 7)  // one row per change: 09:15:04 repeats 09:15:03

        // The NSE name of a known ICICI code selects it too; the other symbol has no preset.
        #expect(try DatasetLoader.load(path: path, symbol: "RELIANCE").instrument.symbol == "RELIND")
        let trent = try DatasetLoader.load(path: path, symbol: "trent", tick: "0.05")
        #expect(trent.instrument.tickSize == "0.05" && trent.instrument.lotSize == "100" && trent.counts[.trade] == 0)
        #expect(trent.notes.contains("lot 100 = GCD of TRENT's quantities"))
    }

    @Test("a file whose ask columns are filled follows its header")
    func headerLayout() throws {
        let text = [Self.header,
                    Self.row("TCS", "10:00:00.000000", last: "3110.0", volume: 700, ltq: 175, bid: ("3109.5", 175), ask: ("3109.8", 350), ask1: ("3110.5", 525)),
                    Self.row("TCS", "10:00:01.000000", last: "3110.5", volume: 875, ltq: 175, bid: ("3109.5", 175), ask: ("3109.8", 350), ask1: ("3110.5", 350))]
            .joined(separator: "\n")
        let d = try DatasetLoader.load(path: TestData.write(text, name: "tcs.csv"))
        #expect(d.instrument.symbol == "TCS" && d.instrument.lotSize == "175" && d.instrument.tickSize == "0.5")
        let book = d.l2Book(upTo: d.eventCount)
        #expect(d.instrument.price(book.bestAsk).description == "3110.5" && book.bestAskQuantity == 2)
        #expect(d.trades().aggressor == [.buy] && d.trades().quantity == [1])
        #expect(d.notes.contains("quote: bid_price_1/bid_qty_1 and ask_price_1/ask_qty_1 (as the header says)"))
    }

    static let realFile = "india/nse_breeze_futures_ticks/all_ticks_FUTURES_2025-11-17.csv"

    @Test("the real file: counts after de-duplication, RELIND's quotes, volume, order (shared datasets)")
    func realFile() throws {
        guard let path = TestData.shared(Self.realFile) else { print(TestData.sharedMissing); return }
        #expect(try DatasetLoader.detectFormat(path: path) == .breeze)
        #expect {
            try DatasetLoader.load(path: path)
        } throws: { ($0 as? DataError)?.message == "4 symbols in one file (MCX 1,256, RELIND 1,524, TCS 1,309, TRENT 1,446): choose one with symbol=, e.g. load FILE symbol=MCX" }

        // symbol: kept ticks, out-of-order rows, trades, tick, lot
        let expected: [(String, Int, Int, Int, String, String)] = [
            ("RELIND", 1_221, 19, 145, "0.1", "500"), ("TRENT", 1_160, 19, 91, "0.1", "100"),
            ("TCS", 1_010, 19, 101, "0.1", "175"), ("MCX", 1_008, 18, 67, "0.5", "125"),
        ]
        var backwards = 0
        for (symbol, kept, outOfOrder, trades, tick, lot) in expected {
            let (_, stats) = try BreezeReader(file: InputFile(path: path), options: ReadOptions(symbol: symbol), control: .none).readWithStats()
            #expect(stats.malformed.map(\.line) == [184] && stats.rowsRead == 5_535)
            #expect(stats.kept == kept && stats.outOfOrder == outOfOrder && stats.sameTimeDifferent == 0, "\(symbol)")
            #expect(stats.duplicatesDropped == stats.rowsBySymbol.first { $0.0 == symbol }!.1 - kept, "\(symbol)")
            #expect(stats.crossed == 0 && stats.locked == 0 && stats.oneSided == 0 && !stats.headerLayout, "\(symbol)")
            backwards += stats.outOfOrder

            let d = try DatasetLoader.load(path: path, symbol: symbol)
            #expect(d.counts[.clear] == kept && d.counts[.snapshot] == 2 * kept && d.counts[.trade] == trades, "\(symbol)")
            #expect(d.instrument.tickSize.description == tick && d.instrument.lotSize.description == lot, "\(symbol)")
            // The derived prints and the volume of the recording gap (12:25 → 13:02: the recorder
            // was away) add up to the change of the cumulative volume.
            #expect(stats.gaps.count == 1, "\(symbol)")
            #expect(d.trades().quantity.reduce(0, +) + stats.gapVolume == stats.lastVolume - stats.firstVolume, "\(symbol)")
            #expect(stats.decreases.count == (symbol == "RELIND" ? 1 : 0), "\(symbol)")
            // Sorted: exchange (= local) time never decreases, and no quote is crossed.
            d.withEvents { events in
                #expect(zip(events, events.dropFirst()).allSatisfy { $0.exchTime <= $1.exchTime && $0.localTime == $0.exchTime }, "\(symbol)")
            }
            let top = d.topOfBook()
            #expect(zip(top.bidPrice, top.askPrice).allSatisfy { $0 < $1 }, "\(symbol)")
        }
        #expect(backwards == 75)

        // RELIND: first and last quotes, the cumulative volume and its one fall (a stale tick).
        let d = try DatasetLoader.load(path: path, symbol: "RELIND")
        let top = d.topOfBook()
        func quote(_ i: Int) -> String {
            "\(d.instrument.price(top.bidPrice[i])) x \(top.bidSize[i] * 500) / \(d.instrument.price(top.askPrice[i])) x \(top.askSize[i] * 500)"
        }
        #expect(top.time.first == 1_763_361_477_652_606_000 && quote(0) == "1518.5 x 1500 / 1518.8 x 2000")
        #expect(top.time.last == 1_763_365_083_772_600_000 && quote(top.time.count - 1) == "1517.0 x 1500 / 1517.3 x 6500")
        #expect(d.notes.contains { $0.hasPrefix("trades from the increase of volume_traded: 145 prints, 154,500 traded (cumulative 3,363,500 → 4,247,500)") })
        #expect(d.notes.contains("warning: cumulative volume fell 1 time(s) (all_ticks_FUTURES_2025-11-17.csv:1576: 3,435,000 → 3,434,500): no trade emitted until it passes its high-water mark"))
        #expect(d.notes.contains("preset nse:RELIANCE-FUT"))
    }
}
