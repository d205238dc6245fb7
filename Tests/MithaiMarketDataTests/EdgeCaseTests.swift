import CZlib
import Glibc
import MithaiEngine
@testable import MithaiMarketData
import Testing

@Suite("Edge cases")
struct EdgeCaseTests {
    @Test("Empty inputs: clear errors, or an empty dataset when nothing needs inferring")
    func emptyInputs() throws {
        let empty = TestData.write("", name: "empty.txt")
        #expect {
            try DatasetLoader.load(path: empty)
        } throws: { ($0 as? DataError)?.message.hasPrefix("cannot tell the data format from the content (no text)") == true }
        #expect {
            try DatasetLoader.load(path: empty, format: .binance)
        } throws: { ($0 as? DataError)?.message.hasPrefix("no prices found to infer the tick and lot sizes") == true }
        let d = try DatasetLoader.load(path: empty, format: .binance, tick: "0.1", lot: "0.001")
        #expect(d.eventCount == 0 && d.localTimeSpan == nil && d.timeSpan == nil)
        #expect(d.ladder().bids.isEmpty && d.trades().count == 0 && d.topOfBook().count == 0)
        let headerOnly = TestData.write("exch_ts,local_ts,side,kind,price,qty\n", name: "h.csv")
        let h = try DatasetLoader.load(path: headerOnly, tick: "0.1", lot: "0.001")
        #expect(h.format == .benchCSV && h.eventCount == 0)
    }

    @Test("Prices and sizes outside the 32-bit event range name the fix")
    func ranges() throws {
        let far = TestData.write("exch_ts,local_ts,side,kind,price,qty\n1,1,buy,depth,1.0,1\n2,2,buy,depth,300000000.0,1\n", name: "far.csv")
        #expect {
            try DatasetLoader.load(path: far, tick: "0.1", lot: "1")
        } throws: { ($0 as? DataError)?.description == "\(far):3: price 300000000.0 is 2999999990 ticks away from the first price 1.0; the event format holds ±2^31 ticks: use a coarser tick size than 0.1" }
        let big = TestData.write("exch_ts,local_ts,side,kind,price,qty\n1,1,buy,depth,1.0,3000000\n", name: "big.csv")
        #expect {
            try DatasetLoader.load(path: big, tick: "0.1", lot: "0.001")
        } throws: { ($0 as? DataError)?.description == "\(big):2: quantity 3000000.000 is 3000000000 lots, more than the event format's 2^31-1: use a coarser lot size than 0.001" }
        // With a coarser lot it loads.
        #expect(try DatasetLoader.load(path: big, tick: "0.1", lot: "1").eventCount == 1)
    }

    @Test("A gzip of several members and CRLF line ends read like one file")
    func gzipMembersAndCRLF() throws {
        // Two gzip members ("exch_ts…\r\n1,1,buy,depth,1.0,1\r\n" and "2,2,sell,depth,1.1,2\r\n"), made with `gzip -n`.
        let text1 = Array("exch_ts,local_ts,side,kind,price,qty\r\n1,1,buy,depth,1.0,1\r\n".utf8)
        let text2 = Array("2,2,sell,depth,1.1,2\r\n".utf8)
        let path = TestData.write(bytes: try gzip(text1) + gzip(text2), name: "two.csv.gz")
        let d = try DatasetLoader.load(path: path)
        #expect(d.format == .benchCSV && d.eventCount == 2)
        let book = ReplayBenchmark.finalBook(d)
        #expect(book.bestBid == 10 && book.bestAsk == 11)
    }

    /// gzip via zlib's deflate with a gzip header (windowBits 31).
    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let dir = TestData.temporaryDirectory("gz")
        let plain = dir + "/x"
        let f = fopen(plain, "wb")!
        fwrite(bytes, 1, bytes.count, f)
        fclose(f)
        let zipped = dir + "/x.gz"
        guard let gz = gzopen(zipped, "wb") else { throw DataError(file: zipped, "gzopen failed") }
        _ = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose(gz)
        let file = try InputFile(path: zipped)
        var out = [UInt8](repeating: 0, count: Int(file.size))
        _ = try out.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
        return out
    }
}
