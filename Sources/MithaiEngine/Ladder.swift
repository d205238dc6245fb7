/// One side of an L2 book: the non-empty price levels and their quantities.
///
/// Storage: a dense window of `capacity` ticks starting at `base` (quantity, order count and an
/// occupancy bitmap, one bit per tick), plus a sorted array `outside` for the levels that fall
/// outside the window. The window can be moved (`recentre`); levels migrate between the two.
///
/// Invariants (checked by `checkInvariants`):
/// - in the window, `quantity[i] > 0` iff bit `i` is set; `quantity[i] >= 0` always;
///   order counts are 0 where the quantity is 0;
/// - `outside` is sorted by strictly increasing price, holds only prices outside the window and
///   only positive quantities;
/// - `levelCount` = set bits + `outside.count`.
///
/// Prices must lie within ±2^62 ticks (window arithmetic uses wrapping subtraction).
struct Ladder: Sendable {
    private(set) var base: Ticks = 0
    let capacity: Int
    private var quantity: ContiguousArray<Lots> = []
    private var orders: ContiguousArray<Int32> = []
    private var bits: ContiguousArray<UInt64> = []
    private(set) var outside: ContiguousArray<BookLevel> = []
    private(set) var levelCount: Int = 0

    /// `capacity` is rounded up to a power of two, at least 64.
    init(capacity: Int) {
        var c = 64
        while c < capacity { c <<= 1 }
        self.capacity = c
    }

    var isAllocated: Bool { !quantity.isEmpty }

    /// Index of `price` in the window, or -1.
    @inline(__always)
    func index(_ price: Ticks) -> Int {
        let d = price &- base
        return UInt64(bitPattern: d) < UInt64(capacity) && isAllocated ? Int(d) : -1
    }

    /// True when `price` lies in the window.
    @inline(__always)
    func windowContains(_ price: Ticks) -> Bool { index(price) >= 0 }

    /// The quantity at `price` (0 if empty).
    func quantity(at price: Ticks) -> Lots {
        let i = index(price)
        if i >= 0 { return quantity[i] }
        if let k = outsideIndex(of: price) { return outside[k].quantity }
        return 0
    }

    /// The order count at `price` (0 if empty or unknown).
    func orderCount(at price: Ticks) -> Int32 {
        let i = index(price)
        if i >= 0 { return orders[i] }
        if let k = outsideIndex(of: price) { return outside[k].orders }
        return 0
    }

    /// Sets the level at `price`; `newQuantity == 0` removes it. Returns the previous quantity.
    @inline(__always)
    mutating func set(_ price: Ticks, _ newQuantity: Lots, orders count: Int32) -> Lots {
        if !isAllocated { allocate(around: price) }
        let i = index(price)
        if i >= 0 {
            let previous = quantity[i]
            quantity[i] = newQuantity
            orders[i] = newQuantity > 0 ? count : 0
            let w = i &>> 6
            let bit = UInt64(1) &<< UInt64(i & 63)
            if newQuantity > 0 {
                if previous == 0 { bits[w] |= bit; levelCount &+= 1 }
            } else if previous != 0 {
                bits[w] &= ~bit; levelCount &-= 1
            }
            return previous
        }
        return setOutside(price, newQuantity, count)
    }

    private mutating func setOutside(_ price: Ticks, _ newQuantity: Lots, _ count: Int32) -> Lots {
        let k = lowerBound(price)
        if k < outside.count && outside[k].price == price {
            let previous = outside[k].quantity
            if newQuantity > 0 {
                outside[k].quantity = newQuantity
                outside[k].orders = count
            } else {
                outside.remove(at: k)
                levelCount -= 1
            }
            return previous
        }
        if newQuantity > 0 {
            outside.insert(BookLevel(price: price, quantity: newQuantity, orders: count), at: k)
            levelCount += 1
        }
        return 0
    }

    /// First index in `outside` whose price is >= `price`.
    private func lowerBound(_ price: Ticks) -> Int {
        var lo = 0
        var hi = outside.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if outside[mid].price < price { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func outsideIndex(of price: Ticks) -> Int? {
        let k = lowerBound(price)
        return k < outside.count && outside[k].price == price ? k : nil
    }

    private mutating func allocate(around price: Ticks) {
        quantity = ContiguousArray(repeating: 0, count: capacity)
        orders = ContiguousArray(repeating: 0, count: capacity)
        bits = ContiguousArray(repeating: 0, count: capacity >> 6)
        base = (price & ~63) - Ticks((capacity / 2) & ~63)
    }

    /// The highest non-empty price <= `limit`, or `Ticks.min`.
    func highest(atOrBelow limit: Ticks) -> Ticks {
        var best = Ticks.min
        // outside: largest price <= limit
        if !outside.isEmpty {
            let k = lowerBound(limit == Ticks.max ? limit : limit + 1) - 1
            if k >= 0 { best = outside[k].price }
        }
        guard isAllocated, limit >= base else { return best }
        let top = limit >= base + Ticks(capacity - 1) ? capacity - 1 : Int(limit - base)
        if base + Ticks(top) <= best { return best }
        var w = top >> 6
        var word = bits[w] & (UInt64.max >> UInt64(63 - (top & 63)))
        while true {
            if word != 0 {
                let t = base + Ticks(w << 6 + 63 - word.leadingZeroBitCount)
                return max(t, best)
            }
            w -= 1
            if w < 0 { return best }
            word = bits[w]
        }
    }

    /// The lowest non-empty price >= `limit`, or `Ticks.max`.
    func lowest(atOrAbove limit: Ticks) -> Ticks {
        var best = Ticks.max
        if !outside.isEmpty {
            let k = lowerBound(limit)
            if k < outside.count { best = outside[k].price }
        }
        guard isAllocated, limit <= base + Ticks(capacity - 1) else { return best }
        let bottom = limit <= base ? 0 : Int(limit - base)
        if base + Ticks(bottom) >= best { return best }
        var w = bottom >> 6
        let words = capacity >> 6
        var word = bits[w] & (UInt64.max << UInt64(bottom & 63))
        while true {
            if word != 0 {
                let t = base + Ticks(w << 6 + word.trailingZeroBitCount)
                return min(t, best)
            }
            w += 1
            if w >= words { return best }
            word = bits[w]
        }
    }

    /// Removes every level with `low <= price <= high`.
    mutating func removeRange(_ low: Ticks, _ high: Ticks) {
        guard low <= high else { return }
        // outside
        if !outside.isEmpty {
            let a = lowerBound(low)
            let b = high == Ticks.max ? outside.count : lowerBound(high + 1)
            if a < b {
                outside.removeSubrange(a..<b)
                levelCount -= b - a
            }
        }
        guard isAllocated else { return }
        let windowLow = base
        let windowHigh = base + Ticks(capacity - 1)
        guard high >= windowLow && low <= windowHigh else { return }
        let from = Int(max(low, windowLow) - base)
        let to = Int(min(high, windowHigh) - base)
        var w = from >> 6
        let lastWord = to >> 6
        while w <= lastWord {
            var mask = UInt64.max
            if w == from >> 6 { mask &= UInt64.max << UInt64(from & 63) }
            if w == lastWord { mask &= UInt64.max >> UInt64(63 - (to & 63)) }
            var word = bits[w] & mask
            if word != 0 {
                bits[w] &= ~word
                levelCount -= word.nonzeroBitCount
                while word != 0 {
                    let i = w << 6 + word.trailingZeroBitCount
                    quantity[i] = 0
                    orders[i] = 0
                    word &= word &- 1
                }
            }
            w += 1
        }
    }

    /// Removes every level.
    mutating func removeAll() {
        removeRange(Ticks.min, Ticks.max)
    }

    /// Moves the window so that `price` lies in it with `below` ticks (rounded down to a
    /// multiple of 64) of window under its 64-tick block; levels migrate between the window and
    /// `outside`. O(capacity / 64 + levels moved).
    mutating func recentre(on price: Ticks, below: Int) {
        guard isAllocated else { return }
        let aligned = (price & ~63) - Ticks(min(below, capacity - 64) & ~63)
        if aligned == base { return }
        // Collect every level, clear, re-insert.
        var all = ContiguousArray<BookLevel>()
        all.reserveCapacity(levelCount)
        forEachAscending(from: Ticks.min) { level in all.append(level); return true }
        removeAll()
        base = aligned
        for level in all { _ = set(level.price, level.quantity, orders: level.orders) }
    }

    /// Calls `body` on the levels with price >= `start` in increasing price order until it
    /// returns false.
    func forEachAscending(from start: Ticks, _ body: (BookLevel) -> Bool) {
        var k = lowerBound(start)
        var t = isAllocated ? lowest(inWindowAtOrAbove: start) : Ticks.max
        while true {
            let o = k < outside.count ? outside[k].price : Ticks.max
            if t == Ticks.max && o == Ticks.max { return }
            if t < o {
                let i = Int(t - base)
                if !body(BookLevel(price: t, quantity: quantity[i], orders: orders[i])) { return }
                t = t == base + Ticks(capacity - 1) ? Ticks.max : lowest(inWindowAtOrAbove: t + 1)
            } else {
                if !body(outside[k]) { return }
                k += 1
            }
        }
    }

    /// Calls `body` on the levels with price <= `start` in decreasing price order until it
    /// returns false.
    func forEachDescending(from start: Ticks, _ body: (BookLevel) -> Bool) {
        var k = lowerBound(start == Ticks.max ? start : start + 1) - 1
        var t = isAllocated ? highest(inWindowAtOrBelow: start) : Ticks.min
        while true {
            let o = k >= 0 ? outside[k].price : Ticks.min
            if t == Ticks.min && o == Ticks.min { return }
            if t > o {
                let i = Int(t - base)
                if !body(BookLevel(price: t, quantity: quantity[i], orders: orders[i])) { return }
                t = t == base ? Ticks.min : highest(inWindowAtOrBelow: t - 1)
            } else {
                if !body(outside[k]) { return }
                k -= 1
            }
        }
    }

    private func lowest(inWindowAtOrAbove limit: Ticks) -> Ticks {
        guard limit <= base + Ticks(capacity - 1) else { return Ticks.max }
        let bottom = limit <= base ? 0 : Int(limit - base)
        var w = bottom >> 6
        let words = capacity >> 6
        var word = bits[w] & (UInt64.max << UInt64(bottom & 63))
        while true {
            if word != 0 { return base + Ticks(w << 6 + word.trailingZeroBitCount) }
            w += 1
            if w >= words { return Ticks.max }
            word = bits[w]
        }
    }

    private func highest(inWindowAtOrBelow limit: Ticks) -> Ticks {
        guard limit >= base else { return Ticks.min }
        let top = limit >= base + Ticks(capacity - 1) ? capacity - 1 : Int(limit - base)
        var w = top >> 6
        var word = bits[w] & (UInt64.max >> UInt64(63 - (top & 63)))
        while true {
            if word != 0 { return base + Ticks(w << 6 + 63 - word.leadingZeroBitCount) }
            w -= 1
            if w < 0 { return Ticks.min }
            word = bits[w]
        }
    }

    /// Sum of quantities and number of levels with `low <= price <= high`.
    func sum(_ low: Ticks, _ high: Ticks) -> (quantity: Lots, levels: Int) {
        guard low <= high else { return (0, 0) }
        var q: Lots = 0
        var n = 0
        if !outside.isEmpty {
            var k = lowerBound(low)
            while k < outside.count && outside[k].price <= high {
                q += outside[k].quantity; n += 1; k += 1
            }
        }
        guard isAllocated else { return (q, n) }
        let windowHigh = base + Ticks(capacity - 1)
        guard high >= base && low <= windowHigh else { return (q, n) }
        let from = Int(max(low, base) - base)
        let to = Int(min(high, windowHigh) - base)
        var w = from >> 6
        let lastWord = to >> 6
        while w <= lastWord {
            var mask = UInt64.max
            if w == from >> 6 { mask &= UInt64.max << UInt64(from & 63) }
            if w == lastWord { mask &= UInt64.max >> UInt64(63 - (to & 63)) }
            var word = bits[w] & mask
            n += word.nonzeroBitCount
            while word != 0 {
                q += quantity[w << 6 + word.trailingZeroBitCount]
                word &= word &- 1
            }
            w += 1
        }
        return (q, n)
    }

    /// Verifies the storage invariants; traps with a message on violation.
    func checkInvariants() {
        var counted = 0
        if isAllocated {
            precondition(base & 63 == 0, "window base not aligned")
            for i in 0..<capacity {
                let set = bits[i >> 6] & (UInt64(1) << UInt64(i & 63)) != 0
                precondition(quantity[i] >= 0, "negative quantity at \(base + Ticks(i))")
                precondition(set == (quantity[i] > 0), "bitmap disagrees with quantity at \(base + Ticks(i))")
                if quantity[i] == 0 { precondition(orders[i] == 0, "order count on an empty level") }
                if set { counted += 1 }
            }
        }
        for (k, level) in outside.enumerated() {
            precondition(level.quantity > 0, "empty level kept outside the window")
            precondition(!windowContains(level.price), "outside level \(level.price) lies in the window")
            if k > 0 { precondition(outside[k - 1].price < level.price, "outside levels not sorted") }
        }
        counted += outside.count
        precondition(counted == levelCount, "level count \(levelCount) != \(counted) levels stored")
    }
}
