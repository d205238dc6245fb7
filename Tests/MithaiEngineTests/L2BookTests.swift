import MithaiEngine
import Testing

/// A deliberately naive L2 book: two dictionaries and linear scans. The reference the real
/// book must agree with after every operation.
struct NaiveL2Book {
    var bids: [Ticks: (Lots, Int32)] = [:]
    var asks: [Ticks: (Lots, Int32)] = [:]
    let removeCrossed: Bool

    var bestBid: Ticks { bids.keys.max() ?? Ticks.min }
    var bestAsk: Ticks { asks.keys.min() ?? Ticks.max }

    mutating func set(_ side: Side, _ price: Ticks, _ qty: Lots, _ orders: Int32) {
        if side == .buy {
            if qty == 0 { bids[price] = nil; return }
            let wasBest = price > bestBid
            bids[price] = (qty, orders)
            if removeCrossed && wasBest { asks = asks.filter { $0.key > price } }
        } else {
            if qty == 0 { asks[price] = nil; return }
            let wasBest = price < bestAsk
            asks[price] = (qty, orders)
            if removeCrossed && wasBest { bids = bids.filter { $0.key < price } }
        }
    }

    mutating func clear(_ side: Side, from price: Ticks) {
        switch side {
        case .buy: bids = bids.filter { $0.key < price }
        case .sell: asks = asks.filter { $0.key > price }
        case .none: bids = [:]; asks = [:]
        }
    }

    func levels(_ side: Side) -> [BookLevel] {
        let book = side == .buy ? bids : asks
        let sorted = side == .buy ? book.keys.sorted(by: >) : book.keys.sorted()
        return sorted.map { BookLevel(price: $0, quantity: book[$0]!.0, orders: book[$0]!.1) }
    }

    func digest(window: Int) -> BookDigest {
        var d = BookDigest(window: window)
        if let bb = bids.keys.max() {
            d.bestBid = bb
            d.bestBidQuantity = bids[bb]!.0
            for (p, v) in bids where p >= bb - Ticks(window) { d.bidQuantitySum += v.0; d.bidLevels += 1 }
        }
        if let ba = asks.keys.min() {
            d.bestAsk = ba
            d.bestAskQuantity = asks[ba]!.0
            for (p, v) in asks where p <= ba + Ticks(window) { d.askQuantitySum += v.0; d.askLevels += 1 }
        }
        return d
    }
}

/// Applies `steps` random operations to a real and a naive book and demands equal state after
/// each one. Prices wander, jump, and sometimes land far away, so the window moves and the
/// fallback storage is exercised (the window is tiny on purpose).
func runL2Property(seed: UInt64, steps: Int, window: Int, crossing: CrossingPolicy) {
    var rng = SeededRandom(seed: seed)
    var book = L2Book(windowTicks: window, crossing: crossing)
    var naive = NaiveL2Book(removeCrossed: crossing == .removeCrossed)
    var mid: Ticks = 10_000
    for step in 0..<steps {
        let r = Int.random(in: 0..<1000, using: &rng)
        if r < 20 { mid += Ticks.random(in: -300...300, using: &rng) }  // jump
        else if r < 120 { mid += Ticks.random(in: -3...3, using: &rng) }
        let side: Side = Bool.random(using: &rng) ? .buy : .sell
        var description = ""
        if r < 930 {
            var distance = Ticks.random(in: 0...40, using: &rng)
            if Int.random(in: 0..<50, using: &rng) == 0 { distance = Ticks.random(in: 0...100_000, using: &rng) }
            if Int.random(in: 0..<20, using: &rng) == 0 { distance = -Ticks.random(in: 0...5, using: &rng) }  // crossing
            let price = side == .buy ? mid - distance : mid + 1 + distance
            let qty: Lots = Int.random(in: 0..<3, using: &rng) == 0 ? 0 : Lots.random(in: 1...1_000, using: &rng)
            let orders = Int32.random(in: 0...9, using: &rng)
            book.set(side, price: price, quantity: qty, orders: orders)
            naive.set(side, price, qty, orders)
            description = "set \(side) \(price) \(qty)"
        } else if r < 960 {
            // delete at the touch
            let price = side == .buy ? naive.bestBid : naive.bestAsk
            if price != Ticks.min && price != Ticks.max {
                book.set(side, price: price, quantity: 0)
                naive.set(side, price, 0, 0)
            }
            description = "delete best \(side)"
        } else if r < 995 {
            let price = side == .buy ? mid - Ticks.random(in: 0...60, using: &rng) : mid + Ticks.random(in: 0...60, using: &rng)
            book.clear(side, from: price)
            naive.clear(side, from: price)
            description = "clear \(side) from \(price)"
        } else {
            let s: Side = [Side.buy, .sell, .none][Int.random(in: 0..<3, using: &rng)]
            book.clear(s)
            naive.clear(s, from: s == .buy ? Ticks.min : Ticks.max)
            description = "clear all \(s)"
        }
        if window <= 4096 || step % 100 == 0 { book.checkInvariants() }
        let agree = book.bestBid == naive.bestBid && book.bestAsk == naive.bestAsk
            && book.levels(.buy) == naive.levels(.buy) && book.levels(.sell) == naive.levels(.sell)
            && book.levelCount(.buy) == naive.bids.count && book.levelCount(.sell) == naive.asks.count
        #expect(agree, "seed \(seed), step \(step): books disagree after \(description)")
        if !agree { return }
        if step % 50 == 0 {
            let w = Int.random(in: 0...700, using: &rng)
            #expect(book.digest(window: w) == naive.digest(window: w), "seed \(seed), step \(step): digest")
            let p = mid + Ticks.random(in: -50...50, using: &rng)
            #expect(book.quantity(.buy, at: p) == (naive.bids[p]?.0 ?? 0), "seed \(seed), step \(step): qty at \(p)")
            #expect(book.orderCount(.sell, at: p) == (naive.asks[p]?.1 ?? 0), "seed \(seed), step \(step): orders at \(p)")
        }
    }
}

@Suite("L2 book")
struct L2BookTests {
    @Test("Property: agrees with a naive book (remove crossed)", arguments: propertySeeds)
    func propertyRemoveCrossed(seed: UInt64) {
        runL2Property(seed: seed, steps: 1_500, window: 128, crossing: .removeCrossed)
    }

    @Test("Property: agrees with a naive book (allow crossed)", arguments: propertySeeds.prefix(15))
    func propertyAllowCrossed(seed: UInt64) {
        runL2Property(seed: seed, steps: 1_500, window: 64, crossing: .allowCrossed)
    }

    @Test("Property: large window (no recentring)", arguments: propertySeeds.prefix(10))
    func propertyLargeWindow(seed: UInt64) {
        runL2Property(seed: seed, steps: 1_500, window: 1 << 16, crossing: .removeCrossed)
    }

    @Test func bestPricesAndCrossing() {
        var book = L2Book()
        book.set(.buy, price: 100, quantity: 5)
        book.set(.buy, price: 99, quantity: 7)
        book.set(.sell, price: 102, quantity: 3)
        book.set(.sell, price: 103, quantity: 4)
        #expect(book.bestBid == 100 && book.bestAsk == 102)
        #expect(book.bestBidQuantity == 5 && book.bestAskQuantity == 3)
        // A bid through the ask removes the asks it crosses.
        book.set(.buy, price: 102, quantity: 1)
        book.checkInvariants()
        #expect(book.bestBid == 102 && book.bestAsk == 103)
        #expect(book.quantity(.sell, at: 102) == 0)
        // Deleting the best finds the next level.
        book.set(.buy, price: 102, quantity: 0)
        #expect(book.bestBid == 100)
        book.clear(.buy, from: 100)
        #expect(book.bestBid == 99)
        book.clear(.sell)
        #expect(book.bestAsk == Ticks.max && book.bestAskQuantity == 0)
        book.checkInvariants()
    }

    @Test func farPricesAndWindowMoves() {
        var book = L2Book(windowTicks: 64)
        book.set(.buy, price: 1_000, quantity: 1)
        book.set(.buy, price: -5_000_000_000, quantity: 2)  // far below: fallback storage
        book.set(.sell, price: 4_000_000_000_000, quantity: 3)
        book.set(.buy, price: 1_000_000, quantity: 4)  // touch jumps far: window follows
        book.checkInvariants()
        #expect(book.bestBid == 1_000_000)
        #expect(book.levels(.buy).map(\.price) == [1_000_000, 1_000, -5_000_000_000])
        book.set(.buy, price: 1_000_000, quantity: 0)
        book.set(.buy, price: 1_000, quantity: 0)
        book.checkInvariants()
        #expect(book.bestBid == -5_000_000_000 && book.bestBidQuantity == 2)
        #expect(book.bestAsk == 4_000_000_000_000)
    }

    @Test("Digest matches the bench definition on a hand-made book")
    func digest() {
        var book = L2Book()
        for (i, p) in stride(from: 1000 as Ticks, through: 400, by: -50).enumerated() {
            book.set(.buy, price: p, quantity: Lots(i + 1))
        }
        book.set(.sell, price: 1001, quantity: 10)
        book.set(.sell, price: 1501, quantity: 20)  // exactly best + 500: included
        book.set(.sell, price: 1502, quantity: 30)  // outside the window
        let d = book.digest(window: 500)
        #expect(d.bestBid == 1000 && d.bestBidQuantity == 1)
        #expect(d.bidLevels == 11 && d.bidQuantitySum == (1...11).reduce(0, +))  // 1000 ... 500
        #expect(d.bestAsk == 1001 && d.askLevels == 2 && d.askQuantitySum == 30)
        let inst = Instrument(symbol: "T", tickSize: ExactDecimal("0.1")!, lotSize: ExactDecimal("0.001")!)
        #expect(d.fields(inst).map(\.name) == ["best_bid", "best_ask", "best_bid_qty", "best_ask_qty",
                                                "bid_qty_sum_500t", "bid_levels_500t", "ask_qty_sum_500t",
                                                "ask_levels_500t"])
        #expect(d.fields(inst)[0].value == "100.0")
    }

    @Test func appliesEvents() {
        var book = L2Book()
        let base: Ticks = 600_000
        func ev(_ kind: EventKind, _ side: Side, _ px: Int32, _ q: Int32, _ flags: EventFlags = []) -> Event {
            Event(kind: kind, side: side, price: px, quantity: q, exchTime: 0, localTime: 0, flags: flags)
        }
        book.apply(ev(.snapshot, .buy, -1, 5, .snapshotBegin), base: base)
        book.apply(ev(.snapshot, .buy, -3, 6), base: base)
        book.apply(ev(.snapshot, .sell, 1, 7, .snapshotEnd), base: base)
        book.apply(ev(.trade, .buy, 1, 2), base: base)  // trades do not change the book
        #expect(book.bestBid == base - 1 && book.bestAsk == base + 1 && book.bestAskQuantity == 7)
        book.apply(ev(.clear, .buy, -1, 0), base: base)  // from -1 to the touch
        #expect(book.bestBid == base - 3)
        book.apply(ev(.clear, .sell, 0, 0, .entireSide), base: base)
        #expect(book.bestAsk == Ticks.max)
        book.apply(ev(.clear, .none, 0, 0), base: base)
        #expect(book.isEmpty)
    }
}
