import MithaiEngine
@testable import MithaiMarketData
import Testing

@Suite("Dataset queries")
struct QueryTests {
    @Test("Ladder, queue, trades and top of book on LOBSTER GOOG (L3)")
    func lobster() throws {
        let archive = TestData.project("lobster/LOBSTER_SampleFile_GOOG_2012-06-21_10.zip")
        let d = try DatasetLoader.load(path: archive)
        #expect(d.isOrderByOrder)
        let rows = try lobsterOrderBookRows(archive)
        // The 1000th message: the ladder at its time equals LOBSTER's row (same-time messages
        // included: pick a message whose successor has a later time).
        var k = 999
        while d.eventCount(upTo: messageTime(d, k)) != endOfMessage(d, k) + 1 { k += 1 }
        let ladder = d.ladder(at: messageTime(d, k), levels: 10)
        let row = rows[k]
        let inst = d.instrument
        #expect(ladder.asks.map(\.price) == (0..<10).map { try! inst.ticks(ExactDecimal(mantissa: row[4 * $0], scale: 4)) })
        #expect(ladder.asks.map(\.quantity) == (0..<10).map { row[4 * $0 + 1] })
        #expect(ladder.bids.map(\.price) == (0..<10).map { try! inst.ticks(ExactDecimal(mantissa: row[4 * $0 + 2], scale: 4)) })
        #expect(ladder.bids.map(\.quantity) == (0..<10).map { row[4 * $0 + 3] })
        // The queue at the best bid sums to the level and names LOBSTER's order ids.
        let queue = d.queue(at: ladder.time, side: .buy, price: ladder.bids[0].price)
        #expect(queue.reduce(0) { $0 + $1.quantity } == ladder.bids[0].quantity)
        #expect(queue.allSatisfy { ($0.orderID == 0) == ($0.originalOrderID == 0) })
        // Trades: every visible and hidden execution, aggressor opposite the resting side.
        let trades = d.trades()
        #expect(trades.count == 7_765 + 3_913)
        #expect(trades.hidden.filter { $0 }.count == 3_913)
        // LOBSTER's first message: a visible execution of a resting buy order → a sell aggressor.
        #expect(trades.aggressor[0] == .sell && trades.quantity[0] == 4)
        #expect(inst.price(trades.price[0]).description == "579.400")
        // Top of book from the rebuilt book, only on changes, agreeing with the ladder.
        let top = d.topOfBook(to: ladder.time)
        var changes = 0
        for i in 0...k where i == 0 || rows[i][0..<4] != rows[i - 1][0..<4] { changes += 1 }
        #expect(top.count == changes)
        #expect(top.bidPrice.last == ladder.bids[0].price && top.askSize.last == ladder.asks[0].quantity)
        #expect(zip(top.time, top.time.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("Top of book from the quote feed and trades by time range (Binance)")
    func binance() throws {
        let d = try DatasetLoader.load(path: TestData.project("binance/binance-usdm-btcusdt_20240808.gz"))
        let quotes = d.topOfBook()
        #expect(quotes.count > 10_000 && quotes.count <= 66_089)
        #expect(zip(quotes.bidPrice, quotes.askPrice).allSatisfy { $0 < $1 })
        let book = d.topOfBook(source: .book)
        #expect(book.count > 1000)
        let span = d.localTimeSpan!
        let mid = span.lowerBound + (span.upperBound - span.lowerBound) / 2
        let first = d.trades(to: mid)
        let second = d.trades(from: mid + 1)
        #expect(first.count + second.count == 21_313)
        #expect(first.localTime.allSatisfy { $0 <= mid } && second.localTime.allSatisfy { $0 > mid })
        let l = d.ladder(levels: 5)
        #expect(l.bids.first?.price == 616_597 && l.asks.first?.price == 616_598 && l.bids.count == 5)
    }

    func endOfMessage(_ d: Dataset, _ k: Int) -> Int {
        var n = -1
        for i in 0..<d.eventCount where d[i].flags.contains(.endOfMessage) {
            n += 1
            if n == k { return i }
        }
        return -1
    }

    func messageTime(_ d: Dataset, _ k: Int) -> Nanos { d[endOfMessage(d, k)].localTime }
}

@Suite("Dataset replayer")
struct ReplayerTests {
    @Test("Advancing step by step gives the same ladders as one-off queries")
    func incremental() throws {
        for path in [TestData.project("binance/binance-usdm-btcusdt_20240808.gz"),
                     TestData.project("lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip")] {
            let d = try DatasetLoader.load(path: path)
            let span = d.localTimeSpan!
            var r = d.replayer()
            #expect(r.time == nil && r.position == 0)
            let step = (span.upperBound - span.lowerBound) / 7
            for k in 1...7 {
                let t = span.lowerBound + Nanos(k) * step
                r.advance(to: t)
                #expect(r.ladder(levels: 5).bids == d.ladder(at: t, levels: 5).bids)
                #expect(r.ladder(levels: 5).asks == d.ladder(at: t, levels: 5).asks)
                #expect(r.time! <= t)
            }
            r.advance(to: span.lowerBound)  // never backwards
            #expect(r.position == d.eventCount(upTo: span.lowerBound + 7 * step))
            if d.isOrderByOrder, let best = r.ladder(levels: 1).bids.first {
                #expect(r.queue(side: .buy, price: best.price).reduce(0) { $0 + $1.quantity } == best.quantity)
            }
        }
    }
}
