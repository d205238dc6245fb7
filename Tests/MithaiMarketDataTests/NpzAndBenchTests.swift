import Foundation
import Glibc
import MithaiEngine
@testable import MithaiMarketData
import Testing

/// Files made by /work/shared/bench/hftbacktest/setup.sh, when present.
enum BenchData {
    static let directory: String? = {
        let dir = (getenv("MITHAI_BENCH_DIR").map { String(cString: $0) } ?? "/tmp/mithai-bench") + "/data"
        return TestData.exists(dir + "/tiny.npz") ? dir : nil
    }()
    static let missing = "benchmark data absent (run /work/shared/bench/hftbacktest/setup.sh): test skipped"
}

func absoluteEvents(_ d: Dataset) -> [(EventKind, Side, Ticks, Int32, Nanos, Nanos)] {
    // The price of a whole-book or whole-side clear carries no meaning.
    d.withEvents {
        $0.map { e in
            let wholeClear = e.kind == .clear && (e.side == .none || e.flags.contains(.entireSide))
            return (e.kind, e.side, wholeClear ? 0 : d.ticks(e), e.quantity, e.exchTime, e.localTime)
        }
    }
}

func sameEvents(_ a: Dataset, _ b: Dataset) -> Bool {
    let x = absoluteEvents(a)
    let y = absoluteEvents(b)
    return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 && $0.3 == $1.3 && $0.4 == $1.4 && $0.5 == $1.5 }
}

@Suite("hftbacktest npz and the bench CSV")
struct NpzAndBenchTests {
    @Test("npz round trip: Binance capture → npz → same events and digest")
    func roundTripL2() throws {
        let original = try DatasetLoader.load(path: TestData.project("binance/binance-usdm-btcusdt_20240808.gz"))
        let path = TestData.temporaryDirectory("npz") + "/usdm.npz"
        let rows = try NpzWriter.write(original, to: path)
        #expect(rows > original.eventCount)  // exchange order differs from receive order: some rows twice
        #expect(try DatasetLoader.detectFormat(path: path) == .npz)
        let back = try DatasetLoader.load(path: path)
        #expect(back.instrument.tickSize == "0.1" && back.instrument.lotSize == "0.001")
        #expect(sameEvents(original, back))
        #expect(back.notes.contains { $0.contains("exchange-only duplicate row(s) skipped") })
        #expect(ReplayBenchmark.finalBook(back).digest() == ReplayBenchmark.finalBook(original).digest())
    }

    @Test("npz round trip of L3 data keeps the book (partial cancels become MODIFY rows)")
    func roundTripL3() throws {
        let original = try DatasetLoader.load(path: TestData.project("lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"))
        let path = TestData.temporaryDirectory("npz3") + "/amzn.npz"
        try NpzWriter.write(original, to: path)
        let back = try DatasetLoader.load(path: path, tick: original.instrument.tickSize, lot: original.instrument.lotSize)
        #expect(back.eventCount == original.eventCount - original.counts[.status])
        var a = L3Book()
        var b = L3Book()
        var j = 0
        var mismatches = 0
        original.withEvents { x in
            back.withEvents { y in
                for e in x {
                    a.apply(e, base: original.baseTick)
                    if e.kind == .status { continue }
                    b.apply(y[j], base: back.baseTick)
                    j += 1
                    if j % 97 == 0 && (a.l2.levels(.buy, maxLevels: 5) != b.l2.levels(.buy, maxLevels: 5)
                        || a.l2.levels(.sell, maxLevels: 5) != b.l2.levels(.sell, maxLevels: 5)) { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(a.liveOrders == b.liveOrders)
        #expect(Set(back.originalOrderIDs).isSubset(of: Set(original.originalOrderIDs)))
        #expect(back.originalOrderIDs.count > 30_000)
    }

    @Test("Bench CSV: header, kinds, clears; malformed rows fail with file:line")
    func benchCSV() throws {
        let path = TestData.write("""
            exch_ts,local_ts,side,kind,price,qty
            1,2,buy,clear,99.0,0.000
            1,2,buy,snapshot,100.0,1.500
            1,2,sell,snapshot,100.2,0.250
            3,4,sell,trade,100.0,0.100
            5,6,buy,depth,100.1,0.300

            """, name: "bench.csv")
        #expect(try DatasetLoader.detectFormat(path: path) == .benchCSV)
        let d = try DatasetLoader.load(path: path)
        #expect(d.instrument.tickSize == "0.1" && d.instrument.lotSize == "0.001")
        #expect(d.eventCount == 5 && d.counts[.clear] == 1 && d.counts[.trade] == 1)
        let book = ReplayBenchmark.finalBook(d)
        #expect(book.bestBid == 1001 && book.bestBidQuantity == 300 && book.bestAsk == 1002)
        let bad = TestData.write("exch_ts,local_ts,side,kind,price,qty\n1,2,buy,depth,100.0,1\n1,2,left,depth,100.0,1\n", name: "bad.csv")
        #expect {
            try DatasetLoader.load(path: bad, format: .benchCSV)
        } throws: { ($0 as? DataError)?.description == "\(bad):3: side must be buy or sell, not 'left'" }
    }

    @Test("tiny.npz and tiny.csv of the bench hold the same events")
    func tinyNpzEqualsCSV() throws {
        guard let dir = BenchData.directory else { print(BenchData.missing); return }
        let npz = try DatasetLoader.load(path: dir + "/tiny.npz")
        let csv = try DatasetLoader.load(path: dir + "/tiny.csv")
        #expect(npz.eventCount == 20_000 && sameEvents(npz, csv))
        #expect(ReplayBenchmark.finalBook(npz).digest() == ReplayBenchmark.finalBook(csv).digest())
    }

    @Test("hftbacktest's own conversion of the Binance capture gives the reference digest too")
    func hftbacktestConversionDigest() throws {
        guard let dir = BenchData.directory, TestData.exists(dir + "/usdm_btcusdt_20240808.npz") else { print(BenchData.missing); return }
        let d = try DatasetLoader.load(path: dir + "/usdm_btcusdt_20240808.npz", tick: "0.1", lot: "0.001")
        #expect(d.eventCount == 466_836)  // its LOCAL rows
        let digest = ReplayBenchmark.finalBook(d).digest()
        #expect(digest == BookDigest(window: 500, bestBid: 616_597, bestBidQuantity: 1_486, bestAsk: 616_598, bestAskQuantity: 981,
                                     bidQuantitySum: 72_601, bidLevels: 287, askQuantitySum: 91_655, askLevels: 262))
    }

    @Test("npz errors: wrong dtype, truncated data")
    func npzErrors() throws {
        var header = HftbacktestFormat.npyHeader(count: 3)
        let path = TestData.write(bytes: header + [UInt8](repeating: 0, count: 64 * 2), name: "short.npy")
        #expect {
            try DatasetLoader.load(path: path, format: .npz, tick: "0.1", lot: "0.1")
        } throws: { ($0 as? DataError)?.message.hasPrefix("truncated: 3 records announced") == true }
        let text = String(decoding: header[10...], as: UTF8.self).replacingOccurrences(of: "'<f8'", with: "'<f4'")
        header = Array(header[..<10]) + Array(text.utf8)
        let wrong = TestData.write(bytes: header, name: "wrong.npy")
        #expect {
            try DatasetLoader.load(path: wrong, format: .npz, tick: "0.1", lot: "0.1")
        } throws: { ($0 as? DataError)?.message.hasPrefix("not hftbacktest's event dtype") == true }
    }
}
