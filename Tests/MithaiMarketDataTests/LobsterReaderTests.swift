import MithaiEngine
@testable import MithaiMarketData
import Glibc
import Testing

/// The order-book file of a LOBSTER zip, parsed here independently of the reader.
func lobsterOrderBookRows(_ zipPath: String) throws -> [[Int64]] {
    let archive = try ZipArchive(InputFile(path: zipPath))
    let member = try #require(archive.members.first { $0.name.contains("_orderbook_") })
    let lines = LineReader(try archive.open(member), name: member.name)
    var rows: [[Int64]] = []
    while let line = try lines.next() {
        rows.append(line.string.split(separator: ",").map { Int64($0)! })
    }
    return rows
}

struct LobsterReplayReport {
    var rows = 0
    var matchingRows = 0
    var firstMismatch: String?
    var executions = 0
    var executionsAwayFromTouch = 0
    var inferred = 0
    var deletes = 0
    var deletesDisagreeing = 0
}

/// Replays `dataset` through a fresh L3 book and compares every row of LOBSTER's own
/// order-book file, level by level (price and size, both sides), after each message.
func replayAgainstOrderBook(_ dataset: Dataset, rows: [[Int64]], levels: Int) -> LobsterReplayReport {
    var report = LobsterReplayReport()
    var book = L3Book()
    let inst = dataset.instrument
    var row = 0
    dataset.withEvents { events in
        for e in events {
            if e.flags.contains(.inferred) { report.inferred += 1 }
            if e.kind == .execute && !e.flags.contains(.inferred) {
                // A visible execution happens at the best price of the resting side.
                report.executions += 1
                let best = e.side == .buy ? book.bestBid : book.bestAsk
                if best != dataset.ticks(e) { report.executionsAwayFromTouch += 1 }
            }
            if e.kind == .cancel && e.flags.contains(.fullCancel) && !e.flags.contains(.inferred),
               let order = book.order(e.orderID)
            {
                // A LOBSTER delete reports what the order still holds.
                report.deletes += 1
                if order.quantity != Lots(e.quantity) { report.deletesDisagreeing += 1 }
            }
            book.apply(e, base: dataset.baseTick)
            guard e.flags.contains(.endOfMessage) else { continue }
            if row % 5000 == 0 { book.checkInvariants() }
            let expected = rows[row]
            var ok = true
            for side in [Side.sell, .buy] {
                let ours = book.l2.levels(side, maxLevels: levels)
                var shown: [BookLevel] = []
                for level in 0..<levels {
                    let c = 4 * level + (side == .sell ? 0 : 2)
                    if abs(expected[c]) == 9_999_999_999 { continue }
                    let price = try! inst.ticks(ExactDecimal(mantissa: expected[c], scale: 4))
                    shown.append(BookLevel(price: price, quantity: expected[c + 1]))
                }
                if ours.map(\.price) != shown.map(\.price) || ours.map(\.quantity) != shown.map(\.quantity) {
                    ok = false
                    if report.firstMismatch == nil {
                        report.firstMismatch = "row \(row + 1) \(side): ours \(ours.prefix(3)) shown \(shown.prefix(3))"
                    }
                }
            }
            if ok { report.matchingRows += 1 }
            row += 1
        }
    }
    report.rows = row
    book.checkInvariants(allowCrossed: false)
    return report
}

@Suite("LOBSTER")
struct LobsterReaderTests {
    @Test("L3 book rebuilt from each sample equals LOBSTER's order-book file on every row",
          arguments: [("GOOG", 10, 147_916, 9_257), ("AAPL", 1, 118_497, 35_618), ("AMZN", 1, 57_515, 17_290)])
    func everyRowMatches(ticker: String, levels: Int, messages: Int, inferred: Int) throws {
        let zip = TestData.project("lobster/LOBSTER_SampleFile_\(ticker)_2012-06-21_\(levels).zip")
        let dataset = try DatasetLoader.load(path: zip)
        #expect(dataset.format == .lobster)
        #expect(dataset.instrument.symbol == ticker && dataset.instrument.timeZone == "America/New_York")
        #expect(dataset.instrument.tickSize == "0.005" && dataset.instrument.lotSize == "1")  // hidden midpoint prints at half a cent
        let rows = try lobsterOrderBookRows(zip)
        #expect(rows.count == messages)
        let report = replayAgainstOrderBook(dataset, rows: rows, levels: levels)
        #expect(report.rows == messages)
        #expect(report.matchingRows == messages, "first mismatch: \(report.firstMismatch ?? "-")")
        // Independent of the order-book file: every visible execution hits the touch of the
        // rebuilt book, and every delete of a known order removes exactly what the book holds.
        #expect(report.executionsAwayFromTouch == 0, "\(report.executionsAwayFromTouch) of \(report.executions) executions not at the touch")
        #expect(report.deletes > 0 && report.deletesDisagreeing == 0, "\(report.deletesDisagreeing) of \(report.deletes) deletes disagree")
        // Pinned: how much the file's omissions (messages beyond the recorded depth) cost.
        #expect(report.inferred == inferred)
        #expect(dataset.counts[.add] + dataset.counts[.cancel] + dataset.counts[.execute] + dataset.counts[.executeHidden]
                + dataset.counts[.status] + dataset.counts[.depth] + dataset.counts[.snapshot] == messages + inferred)
    }

    @Test("Times: seconds after midnight in New York on the file's date")
    func times() throws {
        let d = try DatasetLoader.load(path: TestData.project("lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"))
        // 34200.017459617 s after midnight EDT (UTC-4) = 2012-06-21T13:30:00.017459617Z
        let first = (0..<d.eventCount).map { d[$0] }.first { !$0.flags.contains(.inferred) }!
        #expect(first.exchTime == 1_340_285_400_017_459_617 && first.localTime == first.exchTime)
        #expect(first.kind == .executeHidden && first.side == .sell)
        #expect(d.instrument.price(d.ticks(first)).description == "223.820")
        #expect(d.originalOrderID(d[d.eventCount - 1].orderID) != 0 || d[d.eventCount - 1].kind == .executeHidden)
    }

    @Test("Plain CSV files load like the zip; without the order-book file the book is not reconciled")
    func plainFiles() throws {
        let zip = TestData.project("lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip")
        let archive = try ZipArchive(InputFile(path: zip))
        let dir = TestData.temporaryDirectory("lobster")
        for member in archive.members where member.name.hasSuffix(".csv") {
            let lines = LineReader(try archive.open(member), name: member.name)
            var text = ""
            while let line = try lines.next() { text += line.string + "\n" }
            let f = fopen(dir + "/" + member.name, "wb")!
            fputs(text, f)
            fclose(f)
        }
        let messagePath = dir + "/AMZN_2012-06-21_34200000_57600000_message_1.csv"
        #expect(try DatasetLoader.detectFormat(path: messagePath) == .lobster)
        let fromZip = try DatasetLoader.load(path: zip)
        let fromCSV = try DatasetLoader.load(path: messagePath)
        let fromBook = try DatasetLoader.load(path: dir + "/AMZN_2012-06-21_34200000_57600000_orderbook_1.csv")
        #expect(fromCSV.sources.count == 2 && fromCSV.eventCount == fromZip.eventCount)
        #expect(fromBook.sources == fromCSV.sources)
        fromZip.withEvents { a in fromCSV.withEvents { b in #expect(Array(a) == Array(b)) } }
        // Message file alone.
        unlink(dir + "/AMZN_2012-06-21_34200000_57600000_orderbook_1.csv")
        let alone = try DatasetLoader.load(path: messagePath)
        #expect(alone.counts[.depth] == 0 && alone.counts[.add] == fromZip.counts[.add])
        #expect(alone.notes.contains { $0.hasPrefix("no LOBSTER order-book file") })
    }

    @Test("Malformed LOBSTER input fails with file:line")
    func malformed() throws {
        let dir = TestData.temporaryDirectory("lobster-bad")
        let message = dir + "/XYZ_2012-06-21_34200000_57600000_message_1.csv"
        var f = fopen(message, "wb")!
        fputs("34200.1,1,5,100,1000000,1\n34200.2,9,5,100,1000000,1\n", f)
        fclose(f)
        #expect {
            try DatasetLoader.load(path: message, format: .lobster)
        } throws: { ($0 as? DataError)?.description == "\(message):2: unknown message type 9 (LOBSTER types are 1-5 and 7)" }
        f = fopen(message, "wb")!
        fputs("34200.1,1,5,100,1000000,1\n34200.2,1,6,100,1000000,1\n", f)
        fclose(f)
        let book = dir + "/XYZ_2012-06-21_34200000_57600000_orderbook_1.csv"
        f = fopen(book, "wb")!
        fputs("9999999999,0,1000000,100\n", f)  // one row for two messages
        fclose(f)
        #expect {
            try DatasetLoader.load(path: message, format: .lobster)
        } throws: { ($0 as? DataError)?.description == "\(book):1: order-book file ends before the message file (message line 2)" }
        let badName = TestData.write("34200.1,1,5,100,1000000,1\n", name: "messages.csv")
        #expect {
            try DatasetLoader.load(path: badName, format: .lobster)
        } throws: { ($0 as? DataError)?.message.hasPrefix("not a LOBSTER file name") == true }
    }
}
