import MithaiEngine
@testable import MithaiMarketData
import Testing

/// Tardis CSV, generic tick CSV and bar files: shipped derived samples always, the shared
/// datasets when `../shared/datasets` is present.
@Suite("Tardis, tick CSV and bars")
struct TextFormatTests {
    static func derived(_ name: String) -> String { TestData.project("derived/" + name) }

    // MARK: Tardis

    @Test("Tardis trades, quotes and incremental L2 (shipped, derived from the Binance capture)")
    func tardisShipped() throws {
        let trades = try DatasetLoader.load(path: Self.derived("tardis_binance-futures_trades_BTCUSDT_2024-08-08.csv"))
        #expect(trades.format == .tardis && trades.counts[.trade] == 300)
        #expect(trades.instrument.venue == "binance-futures" && trades.instrument.symbol == "BTCUSDT")
        #expect(trades.instrument.tickSize == "0.1" && trades.instrument.lotSize == "0.001")
        #expect(trades[0].side == .buy && trades[0].exchTime == 1_723_161_256_322_000_000 && trades[0].localTime == 1_723_161_255_088_176_000)
        // The same trades as the Binance reader saw (before its clock correction).
        let binance = try DatasetLoader.load(path: TestData.project("binance/binance-usdm-btcusdt_20240808.gz"))
        let b = binance.trades()
        let t = trades.trades()
        #expect(Array(b.price.prefix(300)) == t.price && Array(b.quantity.prefix(300)) == t.quantity)
        #expect(Array(b.aggressor.prefix(300)) == t.aggressor && Array(b.time.prefix(300)) == t.time)

        let quotes = try DatasetLoader.load(path: Self.derived("tardis_binance-futures_quotes_BTCUSDT_2024-08-08.csv"))
        #expect(quotes.counts[.bbo] == 600)
        let top = quotes.topOfBook()
        #expect(quotes.instrument.price(top.bidPrice[0]).description == "61800.2" && top.askSize[0] == 2_510)

        let book = try DatasetLoader.load(path: Self.derived("tardis_binance-futures_incremental_book_L2_BTCUSDT_2024-08-08.csv"))
        #expect(book[0].kind == .clear && book[0].side == .none && book[0].flags.contains(.snapshotBegin))
        #expect(book.counts[.snapshot] == 50 && book[50].flags.contains(.snapshotEnd) && book[51].kind == .depth)
        let final = ReplayBenchmark.finalBook(book)
        final.checkInvariants()
        #expect(final.bestBid < final.bestAsk && final.levelCount(.buy) > 20)
        // Rows with the same two timestamps form one message.
        var groups = 0
        var previous: (Nanos, Nanos)?
        book.withEvents { events in
            for e in events where e.kind != .clear {
                if previous == nil || previous! != (e.exchTime, e.localTime) { groups += 1 }
                previous = (e.exchTime, e.localTime)
            }
            #expect(events.filter { $0.flags.contains(.endOfMessage) }.count == groups)
        }
    }

    @Test("Tardis samples of other venues (shared datasets)")
    func tardisShared() throws {
        guard let dir = TestData.shared("crypto/nautilus_trader/tardis") else { print(TestData.sharedMissing); return }
        let deribit = try DatasetLoader.load(path: dir + "/deribit_incremental_book_L2_BTC-PERPETUAL.csv")
        // The tick is inferred as a power of ten (0.1): Deribit's 0.5 must be passed explicitly.
        #expect(deribit.instrument.venue == "deribit" && deribit.instrument.lotSize == "1" && deribit.instrument.tickSize == "0.1")
        #expect(try DatasetLoader.load(path: dir + "/deribit_incremental_book_L2_BTC-PERPETUAL.csv", tick: "0.5").instrument.tickSize == "0.5")
        #expect(deribit.counts[.clear] == 1 && deribit.counts[.snapshot] + deribit.counts[.depth] == 15)
        let trades = try DatasetLoader.load(path: dir + "/binance-futures_trades_BTCUSDT_2020-02-22.csv")
        #expect(trades.counts[.trade] == 9_999)
        let quotes = try DatasetLoader.load(path: dir + "/binance-futures_quotes_BTCUSDT_2020-02-22.csv")
        #expect(quotes.counts[.bbo] == 2 * 9_999)
        let snap25 = try DatasetLoader.load(path: dir + "/binance-futures_book_snapshot_25_BTCUSDT.csv")
        #expect(snap25.counts[.clear] == 10 && snap25.counts[.snapshot] == 10 * 50)
        let ladder = snap25.ladder(levels: 25)
        #expect(ladder.asks.count == 25 && ladder.bids.count == 25)
        let snap5 = try DatasetLoader.load(path: dir + "/binance-futures_book_snapshot_5_BTCUSDT.csv")
        #expect(snap5.counts[.snapshot] == 100)
        #expect(snap5.instrument.price(snap5.ladder(at: 1_598_918_403_810_979_000, levels: 1).asks[0].price).description == "11657.08")
        let bitmex = try DatasetLoader.load(path: dir + "/bitmex_trades_XBTUSD.csv")
        #expect(bitmex.counts[.trade] == 10 && bitmex[0].side == .sell && bitmex.instrument.lotSize == "1")
        let huobi = try DatasetLoader.load(path: dir + "/huobi-dm-swap_quotes_BTC-USD.csv")
        #expect(huobi.counts[.bbo] == 20)
    }

    // MARK: Tick CSV

    @Test("Tick CSV: header columns, epoch ns, sides (shipped)")
    func tickCSV() throws {
        let d = try DatasetLoader.load(path: Self.derived("ticks_BTCUSDT_2024-08-08.csv"))
        #expect(d.format == .tickCSV && d.counts[.trade] == 300)
        #expect(d[0].exchTime == 1_723_161_256_322_000_000 && d[0].localTime == 1_723_161_255_088_176_000 && d[0].side == .buy)
        #expect(d.instrument.tickSize == "0.1" && d.instrument.lotSize == "0.001")
    }

    @Test("Tick CSV: civil date-times in a time zone, quotes, symbols")
    func tickCSVTimes() throws {
        let path = TestData.write("""
            Symbol,exchange_timestamp,last_price,last_traded_quantity,bid_price_1,bid_qty_1,ask_price_1,ask_qty_1
            MCX,2025-11-17 12:07:57.022308,9767.0,125,9760.5,125,9768.0,250
            RELIND,2025-11-17 12:07:57.652606,1518.9,500,0,0,0,0
            MCX,2025-11-17T12:08:00Z,9767.5,250,0,0,0,0

            """, name: "ticks.csv")
        let d = try DatasetLoader.load(path: path, tz: "Asia/Kolkata")
        #expect(d.instrument.symbol == "MCX" && d.counts[.trade] == 2 && d.counts[.bbo] == 2)
        #expect(d.notes.contains { $0.hasPrefix("1 row(s) for other symbols skipped") })
        // 12:07:57.022308 IST = 06:37:57.022308 UTC
        let trades = d.trades()
        #expect(trades.time[0] == 1_763_361_477_022_308_000)
        #expect(trades.time[1] == 1_763_381_280_000_000_000)  // explicit Z
        let r = try DatasetLoader.load(path: path, symbol: "RELIND", tz: "Asia/Kolkata")
        #expect(r.counts[.trade] == 1 && r.counts[.bbo] == 0 && r.instrument.tickSize == "0.1")
        let bad = TestData.write("time,price,qty\n2025-13-01 00:00,1.0,1\n", name: "badtime.csv")
        #expect {
            try DatasetLoader.load(path: bad)
        } throws: { ($0 as? DataError)?.description == "\(bad):2: cannot read the time '2025-13-01 00:00'" }
    }

    @Test("NSE futures ticks (shared datasets)")
    func nseTicks() throws {
        guard let path = TestData.shared("india/nse_breeze_futures_ticks/all_ticks_FUTURES_2025-11-17.csv") else {
            print(TestData.sharedMissing); return
        }
        // Detected as `breeze` (BreezeReaderTests); here the generic tick-CSV reader is forced on it.
        // The file holds a stray line "5" at line 184: strict loading names it, lenient skips it.
        #expect {
            try DatasetLoader.load(path: path, format: .tickCSV, symbol: "RELIND", tz: "Asia/Kolkata")
        } throws: { ($0 as? DataError)?.description == "\(path):184: expected 29 columns, found 1" }
        let d = try DatasetLoader.load(path: path, format: .tickCSV, symbol: "RELIND", tz: "Asia/Kolkata", skipMalformedRows: true)
        #expect(d.format == .tickCSV && d.counts[.trade] == 1_524)
        #expect(d.notes.contains { $0.hasPrefix("1 malformed row(s) skipped (line 184: expected 29 columns, found 1)") })
        // Its rows are not in time order: they are stably sorted and the fact noted.
        #expect(d.notes.contains { $0.contains("stably sorted by local time") })
        let span = d.localTimeSpan!
        // 12:07:57 → 13:08:04 IST
        #expect(span.lowerBound >= 1_763_361_477_000_000_000 && span.upperBound <= 1_763_365_085_000_000_000)
    }

    // MARK: Bars

    @Test("Bars: header layout, NSE intraday layout and NSE daily layout agree (shipped)")
    func barsShipped() throws {
        let header = try DatasetLoader.load(path: Self.derived("AMZN_2012-06-21_1min.csv"), tz: "America/New_York")
        #expect(header.format == .bars && header.eventCount == 0 && header.bars.count > 300)
        #expect(header.bars[0].time == 1_340_285_400_000_000_000)  // 09:30 New York
        #expect(header.instrument.price(header.bars[0].open).description == "223.820" && header.bars[0].trades == 140)
        #expect(header.bars.allSatisfy { $0.isConsistent })
        let nse = try DatasetLoader.load(path: Self.derived("AMZN_20120621_1min_nse-layout.txt"), tz: "America/New_York")
        #expect(nse.instrument.symbol == "AMZN" && nse.instrument.venue == "NSE")
        #expect(nse.bars.map(\.time) == header.bars.map(\.time))
        #expect(nse.bars.map(\.close) == header.bars.map(\.close) && nse.bars.map(\.volume) == header.bars.map(\.volume))
        let daily = try DatasetLoader.load(path: Self.derived("AMZN_daily_nse-layout.csv"))
        #expect(daily.bars.count == 1 && daily.bars[0].trades == 11_419 && daily.bars[0].volume == 810_755)
        #expect(daily.instrument.timeZone == "Asia/Kolkata")
        #expect(daily.bars[0].time == 1_340_217_000_000_000_000)  // 2012-06-21 00:00 IST
        #expect(daily.timeSpan == daily.bars[0].time...daily.bars[0].time)
    }

    @Test("Bars: the shared NSE, backtrader, backtesting.py, nautilus and CME files",
          arguments: [
              ("india/nse_1min_aeron7/NIFTY_F1_20130624.txt", 375, "Asia/Kolkata", "2013-06-24 09:16"),
              ("india/nse_1min_aeron7/RELIANCE_20130624.txt", 375, "Asia/Kolkata", "2013-06-24 09:16"),
              ("india/nse_daily_nifty50_sample/RELIANCE.csv", 1_277, "Asia/Kolkata", "2017-01-02 00:00"),
              ("india/nse_daily_nifty50_sample/SBIN.csv", 1_277, "Asia/Kolkata", "2017-01-02 00:00"),
              ("india/nse_index_1min_2024/NIFTY_2024.csv.gz", 58_127, "Asia/Kolkata", "2024-01-01 09:15"),
              ("india/nse_index_1min_2024/BANKNIFTY_2024.csv.gz", 58_127, "Asia/Kolkata", "2024-01-01 09:15"),
              ("bars/backtrader/2006-01-02-volume-min-001.txt", 30_889, "UTC", "2006-01-02 09:01"),
              ("bars/backtrader/2006-min-005.txt", 2_142, "UTC", "2006-01-02 09:05"),
              ("bars/backtrader/2006-day-001.txt", 255, "UTC", "2006-01-02 00:00"),
              ("bars/backtrader/ticksample.csv", 135, "UTC", "2015-09-23 20:57"),
              ("bars/backtrader/nvda-1999-2014.txt", 4_012, "UTC", "1999-01-22 00:00"),
              ("bars/backtrader/orcl-1995-2014.txt", 5_036, "UTC", "1995-01-03 00:00"),
              ("bars/backtrader/yhoo-1996-2015.txt", 4_965, "UTC", "1996-04-12 00:00"),
              ("bars/backtesting_py/GOOG.csv", 2_148, "UTC", "2004-08-19 00:00"),
              ("bars/backtesting_py/BTCUSD.csv", 156, "UTC", "2012-01-31 00:00"),
              ("bars/backtesting_py/EURUSD.csv", 5_000, "UTC", "2017-04-19 09:00"),
              ("crypto/nautilus_trader/btc-perp-20211231-20220201_1m.csv.gz", 45_031, "UTC", "2021-12-31 23:01"),
              ("futures/cme_6E_nautilus/6EH4.XCME_1min_bars_20240101_20240131.csv.gz", 29_996, "UTC", "2024-01-01 23:01"),
          ])
    func barsShared(file: String, count: Int, zone: String, first: String) throws {
        guard let path = TestData.shared(file) else { print(TestData.sharedMissing); return }
        #expect(try DatasetLoader.detectFormat(path: path) == .bars)
        let d = try DatasetLoader.load(path: path, tz: zone)
        #expect(d.bars.count == count)
        let clock = try CivilTime(zone: zone, file: path)
        let parts = first.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).map { Int64($0)! }
        let expected = clock.utc(year: parts[0], month: parts[1], day: parts[2], nanosOfDay: (parts[3] * 60 + parts[4]) * Time.minute)
        #expect(d.bars.first.map { $0.time >= expected && $0.time < expected + Time.minute } == true)
        #expect(zip(d.bars, d.bars.dropFirst()).allSatisfy { $0.time <= $1.time })
        if file.hasSuffix("btc-perp-20211231-20220201_1m.csv.gz") {
            #expect(d.instrument.lotSize == "0.0000001")
            #expect(d.notes.contains { $0.hasPrefix("6 bar volume(s) with more decimals than the lot 0.0000001 rounded") })
        }
    }

    @Test("Bars: malformed rows fail with file:line")
    func barsMalformed() throws {
        let path = TestData.write("Date,Open,High,Low,Close,Volume\n2024-01-02,1.5,2,1,1.75,10\n2024-01-03,1.5,x,1,1.75,10\n", name: "bars.csv")
        #expect {
            try DatasetLoader.load(path: path)
        } throws: { ($0 as? DataError)?.description == "\(path):3: high 'x' is not a decimal number" }
        let unordered = TestData.write("Date,Open,High,Low,Close\n2024-01-02,1,1,1,1\n2024-01-04,1,1,1,1\n2024-01-03,1,1,1,1\n", name: "bars2.csv")
        #expect(throws: DataError.self) { try DatasetLoader.load(path: unordered) }
    }

    // MARK: Detection

    @Test("Formats are detected from content, not names")
    func detection() throws {
        let shipped: [(String, DataFormat)] = [
            ("lobster/LOBSTER_SampleFile_GOOG_2012-06-21_10.zip", .lobster),
            ("binance/binance-usdm-btcusdt_20240808.gz", .binance),
            ("binance/binance-spot-btcusdt_20240808.gz", .binance),
            ("derived/tardis_binance-futures_trades_BTCUSDT_2024-08-08.csv", .tardis),
            ("derived/ticks_BTCUSDT_2024-08-08.csv", .tickCSV),
            ("derived/AMZN_2012-06-21_1min.csv", .bars),
            ("derived/AMZN_20120621_1min_nse-layout.txt", .bars),
            ("derived/AMZN_daily_nse-layout.csv", .bars),
        ]
        for (file, format) in shipped {
            #expect(try DatasetLoader.detectFormat(path: TestData.project(file)) == format, "\(file)")
        }
        let unknown = TestData.write("hello world\nnot data\n", name: "x.dat")
        #expect {
            try DatasetLoader.detectFormat(path: unknown)
        } throws: { ($0 as? DataError)?.message.hasPrefix("cannot tell the data format from the content (first line: hello world)") == true }
        #expect(throws: DataError.self) { try DatasetLoader.detectFormat(path: "/nonexistent/file.csv") }
    }
}
