import MithaiEngine
import Testing

/// A naive L3 book: a dictionary of orders with an arrival sequence, queues found by sorting.
struct NaiveL3Book {
    struct Order { var side: Side; var price: Ticks; var qty: Lots; var seq: Int }
    struct Key: Hashable { var side: Side; var price: Ticks }
    var orders: [UInt32: Order] = [:]
    var anonymous: [Key: Lots] = [:]
    var seq = 0

    mutating func add(_ id: UInt32, _ side: Side, _ price: Ticks, _ qty: Lots) {
        seq += 1
        orders[id] = Order(side: side, price: price, qty: qty, seq: seq)
    }

    mutating func takeAnonymous(_ side: Side, _ price: Ticks, _ qty: Lots) {
        let k = Key(side: side, price: price)
        if let a = anonymous[k] { anonymous[k] = max(0, a - qty) }
        dropEmptyAnonymous()
    }

    mutating func reduce(_ id: UInt32, _ qty: Lots, full: Bool, _ side: Side, _ price: Ticks) {
        guard var o = orders[id] else { takeAnonymous(side, price, qty); return }
        if full || qty >= o.qty {
            orders[id] = nil
            if !full && qty > o.qty { takeAnonymous(o.side, o.price, qty - o.qty) }
        } else {
            o.qty -= qty
            orders[id] = o
        }
    }

    mutating func modify(_ id: UInt32, _ side: Side, _ price: Ticks, _ qty: Lots) {
        guard var o = orders[id] else { if qty > 0 { add(id, side, price, qty) }; return }
        if qty <= 0 { orders[id] = nil; return }
        if o.price == price && qty <= o.qty { o.qty = qty; orders[id] = o; return }
        orders[id] = nil
        add(id, side, price, qty)
    }

    func queue(_ side: Side, _ price: Ticks) -> [QueueEntry] {
        var out: [QueueEntry] = []
        if let a = anonymous[Key(side: side, price: price)], a > 0 { out.append(QueueEntry(orderID: 0, quantity: a)) }
        let os = orders.filter { $0.value.side == side && $0.value.price == price }.sorted { $0.value.seq < $1.value.seq }
        out += os.map { QueueEntry(orderID: $0.key, quantity: $0.value.qty) }
        return out
    }

    func total(_ side: Side, _ price: Ticks) -> Lots { queue(side, price).reduce(0) { $0 + $1.quantity } }

    mutating func setTotal(_ side: Side, _ price: Ticks, _ total: Lots) {
        let k = Key(side: side, price: price)
        let known = queue(side, price).filter { $0.orderID != 0 }
        let knownSum = known.reduce(0) { $0 + $1.quantity }
        if total >= knownSum { anonymous[k] = total - knownSum; dropEmptyAnonymous(); return }
        anonymous[k] = 0
        var excess = knownSum - total
        for entry in known.reversed() where excess > 0 {
            if entry.quantity <= excess { excess -= entry.quantity; orders[entry.orderID] = nil }
            else { orders[entry.orderID]!.qty -= excess; excess = 0 }
        }
        dropEmptyAnonymous()
    }

    mutating func clear(_ side: Side, from price: Ticks) {
        func doomed(_ s: Side, _ p: Ticks) -> Bool {
            side == .none || (s == side && (side == .buy ? p >= price : p <= price))
        }
        orders = orders.filter { !doomed($0.value.side, $0.value.price) }
        anonymous = anonymous.filter { !doomed($0.key.side, $0.key.price) }
    }

    mutating func dropEmptyAnonymous() { anonymous = anonymous.filter { $0.value > 0 } }

    func levels(_ side: Side) -> [BookLevel] {
        var prices = Set(orders.values.filter { $0.side == side }.map(\.price))
        for k in anonymous.keys where k.side == side { prices.insert(k.price) }
        let sorted = side == .buy ? prices.sorted(by: >) : prices.sorted()
        return sorted.map { p in
            let q = queue(side, p)
            return BookLevel(price: p, quantity: q.reduce(0) { $0 + $1.quantity }, orders: Int32(q.count))
        }
    }
}

func runL3Property(seed: UInt64, steps: Int) {
    var rng = SeededRandom(seed: seed)
    var book = L3Book(windowTicks: 64)
    var naive = NaiveL3Book()
    var nextID: UInt32 = 1
    let prices: [Ticks] = Array(95...105)
    for step in 0..<steps {
        let r = Int.random(in: 0..<100, using: &rng)
        let side: Side = Bool.random(using: &rng) ? .buy : .sell
        let price = prices.randomElement(using: &rng)!
        let live = naive.orders.keys.sorted()
        var description = ""
        if r < 35 || live.isEmpty {
            let q = Lots.random(in: 1...50, using: &rng)
            try! book.add(nextID, side: side, price: price, quantity: q)
            naive.add(nextID, side, price, q)
            description = "add #\(nextID) \(side) \(price) \(q)"
            nextID += 1
        } else if r < 70 {
            // cancel / execute a live order, sometimes more than it has, sometimes fully
            let id = live.randomElement(using: &rng)!
            let o = naive.orders[id]!
            let q = Lots.random(in: 1...(o.qty + 5), using: &rng)
            let full = Int.random(in: 0..<3, using: &rng) == 0
            if Bool.random(using: &rng) {
                book.cancel(id, quantity: q, full: full, side: o.side, price: o.price)
                naive.reduce(id, q, full: full, o.side, o.price)
                description = "cancel #\(id) \(q) full=\(full)"
            } else {
                book.execute(id, quantity: q, side: o.side, price: o.price)
                naive.reduce(id, q, full: false, o.side, o.price)
                description = "execute #\(id) \(q)"
            }
        } else if r < 78 {
            // an order the book never saw: comes out of anonymous quantity
            let q = Lots.random(in: 1...30, using: &rng)
            book.execute(900_000 + UInt32(step), quantity: q, side: side, price: price)
            naive.reduce(900_000 + UInt32(step), q, full: false, side, price)
            description = "execute unknown \(side) \(price) \(q)"
        } else if r < 86 {
            let id = live.randomElement(using: &rng)!
            let o = naive.orders[id]!
            let newPrice = Bool.random(using: &rng) ? o.price : prices.randomElement(using: &rng)!
            let q = Lots.random(in: 0...(o.qty + 10), using: &rng)
            try! book.modify(id, side: o.side, price: newPrice, quantity: q)
            naive.modify(id, o.side, newPrice, q)
            description = "modify #\(id) \(newPrice) \(q)"
        } else if r < 97 {
            let total = Lots.random(in: 0...120, using: &rng)
            book.setLevelTotal(side, price: price, total: total)
            naive.setTotal(side, price, total)
            description = "set total \(side) \(price) \(total)"
        } else {
            let s: Side = [Side.buy, .sell, .none][Int.random(in: 0..<3, using: &rng)]
            book.clear(s, from: price)
            naive.clear(s, from: price)
            description = "clear \(s) from \(price)"
        }
        book.checkInvariants()
        var agree = book.liveOrders == naive.orders.count
            && book.l2.levels(.buy) == naive.levels(.buy) && book.l2.levels(.sell) == naive.levels(.sell)
        for p in prices where agree {
            agree = book.queue(.buy, at: p) == naive.queue(.buy, p) && book.queue(.sell, at: p) == naive.queue(.sell, p)
        }
        #expect(agree, "seed \(seed), step \(step): books disagree after \(description)")
        if !agree { return }
        if let id = naive.orders.keys.sorted().first {
            let o = naive.orders[id]!
            let q = naive.queue(o.side, o.price)
            let k = q.firstIndex { $0.orderID == id }!
            let ahead = q[..<k].reduce(0) { $0 + $1.quantity }
            let position = book.queuePosition(of: id)
            #expect(position?.quantityAhead == ahead && position?.entriesAhead == k, "seed \(seed), step \(step): queue position")
        }
    }
}

@Suite("L3 book")
struct L3BookTests {
    @Test("Property: agrees with a naive order book", arguments: propertySeeds)
    func property(seed: UInt64) {
        runL3Property(seed: seed, steps: 600)
    }

    @Test func fifoQueuePositionAndL2View() throws {
        var book = L3Book()
        try book.add(1, side: .buy, price: 100, quantity: 10)
        try book.add(2, side: .buy, price: 100, quantity: 20)
        try book.add(3, side: .buy, price: 99, quantity: 5)
        try book.add(4, side: .sell, price: 101, quantity: 7)
        #expect(book.queuePosition(of: 2)! == (10, 1))
        #expect(book.l2.levels(.buy) == [BookLevel(price: 100, quantity: 30, orders: 2), BookLevel(price: 99, quantity: 5, orders: 1)])
        book.execute(1, quantity: 4, side: .buy, price: 100)
        #expect(book.queue(.buy, at: 100) == [QueueEntry(orderID: 1, quantity: 6), QueueEntry(orderID: 2, quantity: 20)])
        // Growing an order loses priority; shrinking keeps it.
        try book.modify(1, side: .buy, price: 100, quantity: 8)
        #expect(book.queue(.buy, at: 100).map(\.orderID) == [2, 1])
        try book.modify(2, side: .buy, price: 100, quantity: 1)
        #expect(book.queue(.buy, at: 100).map(\.orderID) == [2, 1])
        book.cancel(2, quantity: 1, full: true, side: .buy, price: 100)
        #expect(book.order(2) == nil && book.liveOrders == 3)
        #expect(throws: L3Book.Failure.duplicateOrder(1)) { try book.add(1, side: .buy, price: 90, quantity: 1) }
        #expect(throws: L3Book.Failure.invalidQuantity(0)) { try book.add(9, side: .buy, price: 90, quantity: 0) }
        book.checkInvariants(allowCrossed: false)
    }

    @Test("Orders resting before the data starts live as anonymous quantity at the front")
    func anonymousQuantity() throws {
        var book = L3Book()
        book.setLevelTotal(.sell, price: 50, total: 100)  // e.g. from a reference snapshot
        try book.add(7, side: .sell, price: 50, quantity: 10)
        #expect(book.queue(.sell, at: 50) == [QueueEntry(orderID: 0, quantity: 100), QueueEntry(orderID: 7, quantity: 10)])
        #expect(book.queuePosition(of: 7)! == (100, 1))
        book.execute(123_456, quantity: 30, side: .sell, price: 50)  // never seen: comes from anonymous
        #expect(book.unknownOrderEvents == 1)
        #expect(book.anonymousQuantity(.sell, at: 50) == 70)
        book.setLevelTotal(.sell, price: 50, total: 4)  // less than the known orders: newest reduced
        #expect(book.queue(.sell, at: 50) == [QueueEntry(orderID: 7, quantity: 4)])
        #expect(book.discrepancies == 1)
        book.checkInvariants()
    }
}
