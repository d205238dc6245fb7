import MithaiEngine
@testable import MithaiMarketData
import Testing

@Suite("Binance raw captures")
struct BinanceReaderTests {
    static let usdm = TestData.project("binance/binance-usdm-btcusdt_20240808.gz")
    static let spot = TestData.project("binance/binance-spot-btcusdt_20240808.gz")

    @Test("USD-M BTCUSDT: final L2 digest equals hftbacktest's reference")
    func usdmDigestMatchesReference() throws {
        let d = try DatasetLoader.load(path: Self.usdm, format: .binance, tick: "0.1", lot: "0.001")
        let book = ReplayBenchmark.finalBook(d)
        book.checkInvariants()
        let digest = book.digest(window: 500)
        #expect(digest.bestBid == 616_597 && digest.bestBidQuantity == 1_486)
        #expect(digest.bestAsk == 616_598 && digest.bestAskQuantity == 981)
        #expect(digest.bidQuantitySum == 72_601 && digest.bidLevels == 287)
        #expect(digest.askQuantitySum == 91_655 && digest.askLevels == 262)
        let fields = Dictionary(uniqueKeysWithValues: digest.fields(d.instrument).map { ($0.name, $0.value) })
        #expect(fields["best_bid"] == "61659.7" && fields["best_ask"] == "61659.8")
        #expect(fields["bid_qty_sum_500t"] == "72.601" && fields["ask_qty_sum_500t"] == "91.655")
    }

    @Test("USD-M: counts, synchronisation, clock correction and instrument inference")
    func usdmStructure() throws {
        let d = try DatasetLoader.load(path: Self.usdm)  // format, tick and lot all detected
        #expect(d.format == .binance)
        #expect(d.instrument.symbol == "BTCUSDT" && d.instrument.venue == "binance-futures")
        #expect(d.instrument.tickSize == "0.1" && d.instrument.lotSize == "0.001")
        #expect(d.counts[.trade] == 21_313)  // every trade of the capture is a MARKET trade
        #expect(d.counts[.bbo] == 2 * 66_089)
        #expect(d.counts[.clear] == 1 && d.counts[.snapshot] == 2_000)
        // 6,551 diffs; 4 older than the snapshot are dropped (hftbacktest applies them all).
        #expect(d.notes.contains { $0.hasPrefix("4 depth diff(s) older than the snapshot dropped") })
        #expect(!d.notes.contains { $0.contains("gap") })
        // The recorder's clock ran 1.27 s behind Binance's. hftbacktest's converter shifts by
        // 1.272156851 s (trades and depth only); bookTicker messages are included here.
        #expect(d.notes.contains { $0.contains("local times shifted by +1.272402468 s") })
        // hftbacktest's converter keeps 443,521 depth rows; the 4 stale diffs held 259 levels.
        #expect(d.counts[.depth] == 443_262)
        d.withEvents { events in
            var previous = Nanos.min
            var minLatency = Nanos.max
            for e in events {
                #expect(e.localTime >= previous)
                previous = e.localTime
                minLatency = min(minLatency, e.localTime - e.exchTime)
            }
            #expect(minLatency == 0)
            // The snapshot starts with a whole-book clear and ends with .snapshotEnd.
            let clear = events.firstIndex { $0.kind == .clear }!
            #expect(events[clear].side == .none && events[clear].flags.contains(.snapshotBegin))
            #expect(events[clear + 2000].flags.contains(.snapshotEnd))
            // Nothing depth-related precedes the snapshot.
            #expect(!events[..<clear].contains { $0.kind == .depth })
        }
    }

    @Test("Spot BTCUSDT: no pu ids, tick 0.01 and lot 0.000001 inferred, book never crossed")
    func spot() throws {
        let d = try DatasetLoader.load(path: Self.spot)
        #expect(d.instrument.venue == "binance-spot")
        #expect(d.instrument.tickSize == "0.01" && d.instrument.lotSize == "0.000001")
        #expect(d.counts[.depth] == 124_073 && d.notes.contains { $0.hasPrefix("2 depth diff(s) older") })
        #expect(d.counts[.trade] == 9_757 && d.counts[.bbo] == 2 * 28_040)
        #expect(!d.notes.contains { $0.contains("gap") })
        var book = L2Book()
        d.withEvents { events in
            for e in events { book.apply(e, base: d.baseTick) }
        }
        book.checkInvariants()
        #expect(book.bestBid < book.bestAsk)
        #expect(book.levelCount(.buy) > 500 && book.levelCount(.sell) > 500)
    }

    @Test("A capture with no snapshot keeps its diffs and flags the first as a gap")
    func noSnapshot() throws {
        let path = TestData.write("""
            1000 {"stream":"x@depth","data":{"e":"depthUpdate","E":1,"T":1,"s":"X","U":5,"u":6,"pu":4,"b":[["10.0","1.0"]],"a":[["11.0","2.0"]]}}
            2000 {"stream":"x@trade","data":{"e":"trade","E":2,"T":2,"s":"X","t":1,"p":"10.5","q":"0.5","X":"MARKET","m":true}}
            3000 {"stream":"x@depth","data":{"e":"depthUpdate","E":3,"T":3,"s":"X","U":7,"u":8,"pu":6,"b":[["10.0","0.0"]],"a":[]}}

            """, name: "nosnap.txt")
        let d = try DatasetLoader.load(path: path, format: .binance)
        #expect(d.eventCount == 4)
        #expect(d[0].kind == .depth && d[0].flags.contains(.gap))
        #expect(d[2].kind == .trade && d[2].side == .sell)  // buyer is maker: the seller aggressed
        #expect(d.notes.contains { $0.hasPrefix("no depth snapshot") })
        // exch times are ms, local ns; the local clock was behind: shifted to zero latency.
        // smallest latency is the last diff's: 3000 ns - 3 ms; shift = 2,997,000 ns.
        #expect(d[0].exchTime == 1_000_000 && d[0].localTime == 1_000 + 2_997_000)
    }

    @Test("Sequence gaps after the snapshot are flagged")
    func gapDetection() throws {
        let path = TestData.write("""
            10000000 {"lastUpdateId":100,"E":1,"T":1,"bids":[["10.0","1.0"]],"asks":[["11.0","1.0"]]}
            20000000 {"e":"depthUpdate","E":2,"T":2,"s":"X","U":99,"u":101,"pu":98,"b":[["10.0","2.0"]],"a":[]}
            30000000 {"e":"depthUpdate","E":3,"T":3,"s":"X","U":102,"u":103,"pu":101,"b":[["9.9","2.0"]],"a":[]}
            40000000 {"e":"depthUpdate","E":4,"T":4,"s":"X","U":110,"u":111,"pu":109,"b":[["9.8","2.0"]],"a":[]}

            """, name: "gap.txt")
        let d = try DatasetLoader.load(path: path, format: .binance, tick: "0.1", lot: "0.1")
        let depth = (0..<d.eventCount).map { d[$0] }.filter { $0.kind == .depth }
        #expect(depth.map { $0.flags.contains(.gap) } == [false, false, true])
        #expect(d.notes.contains { $0.hasPrefix("1 depth sequence gap") })
    }

    @Test("Malformed input is rejected with file:line")
    func malformed() throws {
        let bad = TestData.write("""
            1000 {"lastUpdateId":1,"bids":[["10.0","1.0"]],"asks":[]}
            2000 {"e":"depthUpdate","E":2,"U":2,"u":2,"b":[["10.05","1.0"]],"a":[]}

            """, name: "bad.txt")
        #expect {
            try DatasetLoader.load(path: bad, format: .binance, tick: "0.1", lot: "0.1")
        } throws: { error in
            (error as? DataError)?.description == "\(bad):2: price 10.05 is not a whole multiple of 0.1"
        }
        let broken = TestData.write("1000 {\"e\":\"trade\",\"p\":\n", name: "broken.txt")
        #expect {
            try DatasetLoader.load(path: broken, format: .binance, tick: "0.1", lot: "0.1")
        } throws: { error in
            (error as? DataError)?.description == "\(broken):1: malformed JSON message"
        }
        let noTime = TestData.write("{\"e\":\"trade\"}\n", name: "notime.txt")
        #expect(throws: DataError.self) { try DatasetLoader.load(path: noTime, format: .binance, tick: "0.1", lot: "0.1") }
    }

    @Test("A truncated gzip file is an error, not a partial dataset")
    func truncatedGzip() throws {
        let file = try InputFile(path: Self.usdm)
        var bytes = [UInt8](repeating: 0, count: 200_000)
        _ = try bytes.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
        let path = TestData.write(bytes: bytes, name: "cut.gz")
        #expect {
            try DatasetLoader.load(path: path, format: .binance)
        } throws: { error in
            (error as? DataError)?.message.contains("truncated compressed data") == true
        }
    }
}
