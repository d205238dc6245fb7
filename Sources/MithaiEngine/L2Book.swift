/// A price level: price in ticks, total quantity in lots, number of orders (0 = unknown).
public struct BookLevel: Sendable, Equatable, BitwiseCopyable, CustomStringConvertible {
    public var price: Ticks
    public var quantity: Lots
    public var orders: Int32

    public init(price: Ticks, quantity: Lots, orders: Int32 = 0) {
        self.price = price
        self.quantity = quantity
        self.orders = orders
    }

    public var description: String { "\(price)x\(quantity)(\(orders))" }
}

/// What an L2 book does when an update puts a level on one side at or through the other side.
public enum CrossingPolicy: Sendable, Equatable {
    /// The newest update wins: levels of the other side at or through the new price are removed
    /// (a real venue would have matched them). The book is never crossed or locked.
    case removeCrossed
    /// Keep both sides as given; `bestBid >= bestAsk` is possible (auctions, merged feeds,
    /// partial-depth data).
    case allowCrossed
}

/// A market-by-price (L2) order book over integer ticks and lots.
///
/// Storage: per side, a dense window of ticks (quantity, order count and an occupancy bitmap)
/// that follows the touch, plus sorted fallback storage for levels outside the window, so any
/// price in ±2^62 ticks is handled exactly; only speed depends on the window.
///
/// Complexity: `set` is O(1) inside the window (amortised, plus a bitmap scan of the gap to the
/// next level when the best level empties); O(log n + n) for a level outside the window, where n
/// is the number of such levels. `bestBid`/`bestAsk` are O(1). Moving the window costs
/// O(window / 64 + levels) and happens only when the touch leaves the window.
///
/// Invariants (`checkInvariants`): quantities are positive for stored levels; `bestBid` is the
/// highest bid (`Ticks.min` when there are none) and `bestAsk` the lowest ask (`Ticks.max`);
/// under `.removeCrossed`, `bestBid < bestAsk` whenever both exist; the best levels lie in
/// their side's window.
public struct L2Book: Sendable {
    private var bids: Ladder
    private var asks: Ladder
    /// What happens when an update crosses the book.
    public let crossing: CrossingPolicy
    /// The highest bid price, or `Ticks.min` when there are no bids.
    public private(set) var bestBid: Ticks = Ticks.min
    /// The lowest ask price, or `Ticks.max` when there are no asks.
    public private(set) var bestAsk: Ticks = Ticks.max

    /// - Parameters:
    ///   - windowTicks: width of each side's dense window, rounded up to a power of two
    ///     (default 65,536 ticks: 1.5 MB per book).
    ///   - crossing: see `CrossingPolicy`.
    public init(windowTicks: Int = 1 << 16, crossing: CrossingPolicy = .removeCrossed) {
        bids = Ladder(capacity: windowTicks)
        asks = Ladder(capacity: windowTicks)
        self.crossing = crossing
    }

    /// True when there is no level on either side.
    public var isEmpty: Bool { bids.levelCount == 0 && asks.levelCount == 0 }
    /// Number of non-empty levels on `side` (`.none` counts both).
    public func levelCount(_ side: Side) -> Int {
        switch side {
        case .buy: return bids.levelCount
        case .sell: return asks.levelCount
        case .none: return bids.levelCount + asks.levelCount
        }
    }

    /// Quantity at the best bid (0 when there are no bids).
    public var bestBidQuantity: Lots { bestBid == Ticks.min ? 0 : bids.quantity(at: bestBid) }
    /// Quantity at the best ask (0 when there are no asks).
    public var bestAskQuantity: Lots { bestAsk == Ticks.max ? 0 : asks.quantity(at: bestAsk) }
    /// True when both sides exist and `bestBid >= bestAsk`.
    public var isCrossed: Bool { bestBid != Ticks.min && bestAsk != Ticks.max && bestBid >= bestAsk }

    /// The quantity resting at `price` on `side` (0 if none).
    public func quantity(_ side: Side, at price: Ticks) -> Lots {
        switch side {
        case .buy: return bids.quantity(at: price)
        case .sell: return asks.quantity(at: price)
        case .none: return 0
        }
    }

    /// The order count at `price` on `side` (0 if empty or unknown).
    public func orderCount(_ side: Side, at price: Ticks) -> Int32 {
        switch side {
        case .buy: return bids.orderCount(at: price)
        case .sell: return asks.orderCount(at: price)
        case .none: return 0
        }
    }

    /// Sets the level at `price` on `side` to `quantity` (0 removes it) with `orders` orders
    /// (0 = unknown). Under `.removeCrossed`, a positive quantity at or through the other side's
    /// best removes the other side's levels up to and including `price`.
    /// Precondition: `quantity >= 0`; `side != .none` (ignored otherwise).
    @inlinable
    public mutating func set(_ side: Side, price: Ticks, quantity: Lots, orders: Int32 = 0) {
        if side == .buy { setBid(price, quantity, orders) } else if side == .sell { setAsk(price, quantity, orders) }
    }

    @usableFromInline
    mutating func setBid(_ price: Ticks, _ quantity: Lots, _ orders: Int32) {
        precondition(quantity >= 0, "negative level quantity")
        let previous = bids.set(price, quantity, orders: orders)
        if quantity > 0 {
            if price > bestBid {
                bestBid = price
                if price >= bestAsk && crossing == .removeCrossed {
                    asks.removeRange(bestAsk, price)
                    bestAsk = asks.lowest(atOrAbove: price &+ 1)
                    keepAskWindowOnTouch()
                }
                keepBidWindowOnTouch()
            }
        } else if previous > 0 && price == bestBid {
            bestBid = bids.highest(atOrBelow: price &- 1)
            keepBidWindowOnTouch()
        }
    }

    @usableFromInline
    mutating func setAsk(_ price: Ticks, _ quantity: Lots, _ orders: Int32) {
        precondition(quantity >= 0, "negative level quantity")
        let previous = asks.set(price, quantity, orders: orders)
        if quantity > 0 {
            if price < bestAsk {
                bestAsk = price
                if price <= bestBid && crossing == .removeCrossed {
                    bids.removeRange(price, bestBid)
                    bestBid = bids.highest(atOrBelow: price &- 1)
                    keepBidWindowOnTouch()
                }
                keepAskWindowOnTouch()
            }
        } else if previous > 0 && price == bestAsk {
            bestAsk = asks.lowest(atOrAbove: price &+ 1)
            keepAskWindowOnTouch()
        }
    }

    /// Moves the bid window when the best bid left it (bids extend downwards: the window keeps
    /// a quarter above the touch and three quarters below).
    @inline(__always)
    private mutating func keepBidWindowOnTouch() {
        if bestBid != Ticks.min && !bids.windowContains(bestBid) && bids.isAllocated {
            bids.recentre(on: bestBid, below: bids.capacity / 4 * 3)
        }
    }

    @inline(__always)
    private mutating func keepAskWindowOnTouch() {
        if bestAsk != Ticks.max && !asks.windowContains(bestAsk) && asks.isAllocated {
            asks.recentre(on: bestAsk, below: asks.capacity / 4)
        }
    }

    /// Removes the levels of `side` from `price` to the touch: bids at or above `price`, asks at
    /// or below it. `side == .none` clears the whole book.
    public mutating func clear(_ side: Side, from price: Ticks) {
        switch side {
        case .buy:
            bids.removeRange(price, Ticks.max)
            if bestBid >= price { bestBid = bids.highest(atOrBelow: price &- 1); keepBidWindowOnTouch() }
        case .sell:
            asks.removeRange(Ticks.min, price)
            if bestAsk <= price { bestAsk = asks.lowest(atOrAbove: price &+ 1); keepAskWindowOnTouch() }
        case .none:
            clearAll()
        }
    }

    /// Removes every level of `side` (`.none`: both sides).
    public mutating func clear(_ side: Side) {
        switch side {
        case .buy: bids.removeAll(); bestBid = Ticks.min
        case .sell: asks.removeAll(); bestAsk = Ticks.max
        case .none: clearAll()
        }
    }

    /// Removes every level.
    public mutating func clearAll() {
        bids.removeAll()
        asks.removeAll()
        bestBid = Ticks.min
        bestAsk = Ticks.max
    }

    /// Applies one event: `depth` and `snapshot` set a level (with the order count from
    /// `orderID`), `clear` clears; other kinds leave an L2 book unchanged.
    /// `base` is the dataset's base tick (absolute price = base + event.price).
    @inlinable
    public mutating func apply(_ event: Event, base: Ticks) {
        switch event.kind {
        case .depth, .snapshot:
            let price = base &+ Ticks(event.price)
            let orders = Int32(truncatingIfNeeded: event.orderID)
            if event.side == .buy {
                setBid(price, Lots(event.quantity), orders)
            } else if event.side == .sell {
                setAsk(price, Lots(event.quantity), orders)
            }
        case .clear:
            if event.side == .none {
                clearAll()
            } else if event.flags.contains(.entireSide) {
                clear(event.side)
            } else {
                clear(event.side, from: base &+ Ticks(event.price))
            }
        default:
            break
        }
    }

    /// Up to `maxLevels` levels of `side`, best first.
    public func levels(_ side: Side, maxLevels: Int = Int.max) -> [BookLevel] {
        var out: [BookLevel] = []
        forEachLevel(side) { level in
            out.append(level)
            return out.count < maxLevels
        }
        return out
    }

    /// Calls `body` on the levels of `side`, best first, until it returns false.
    public func forEachLevel(_ side: Side, _ body: (BookLevel) -> Bool) {
        switch side {
        case .buy: bids.forEachDescending(from: Ticks.max, body)
        case .sell: asks.forEachAscending(from: Ticks.min, body)
        case .none: break
        }
    }

    /// Total quantity and number of levels of `side` with `low <= price <= high`.
    public func sum(_ side: Side, from low: Ticks, to high: Ticks) -> (quantity: Lots, levels: Int) {
        switch side {
        case .buy: return bids.sum(low, high)
        case .sell: return asks.sum(low, high)
        case .none: return (0, 0)
        }
    }

    /// The book digest of `/work/shared/bench/README.md` (hftbacktest's `book_checksum`): best bid
    /// and ask with their quantities, and the summed quantity and number of non-empty levels over
    /// the bid ticks `bestBid - window ... bestBid` and the ask ticks `bestAsk ... bestAsk + window`.
    public func digest(window: Int = 500) -> BookDigest {
        var d = BookDigest(window: window)
        if bestBid != Ticks.min {
            d.bestBid = bestBid
            d.bestBidQuantity = bestBidQuantity
            (d.bidQuantitySum, d.bidLevels) = bids.sum(bestBid - Ticks(window), bestBid)
        }
        if bestAsk != Ticks.max {
            d.bestAsk = bestAsk
            d.bestAskQuantity = bestAskQuantity
            (d.askQuantitySum, d.askLevels) = asks.sum(bestAsk, bestAsk + Ticks(window))
        }
        return d
    }

    /// Verifies every invariant (storage, best prices, crossing); traps on violation.
    /// Costs O(window + levels): meant for tests and debug builds.
    public func checkInvariants() {
        bids.checkInvariants()
        asks.checkInvariants()
        let trueBestBid = bids.highest(atOrBelow: Ticks.max)
        let trueBestAsk = asks.lowest(atOrAbove: Ticks.min)
        precondition(bestBid == trueBestBid, "bestBid \(bestBid) != highest stored bid \(trueBestBid)")
        precondition(bestAsk == trueBestAsk, "bestAsk \(bestAsk) != lowest stored ask \(trueBestAsk)")
        if crossing == .removeCrossed {
            precondition(!isCrossed, "book crossed (\(bestBid) >= \(bestAsk)) under .removeCrossed")
        }
        if bestBid != Ticks.min { precondition(bids.windowContains(bestBid), "best bid outside its window") }
        if bestAsk != Ticks.max { precondition(asks.windowContains(bestAsk), "best ask outside its window") }
    }

    /// `checkInvariants()` in debug builds only; free in release builds.
    @inlinable
    public func debugCheckInvariants() {
        #if DEBUG
        checkInvariants()
        #endif
    }
}

/// The final-book digest used for replay parity with hftbacktest (see `L2Book.digest`).
/// Prices in ticks, quantities in lots. `bestBid`/`bestAsk` are nil for an empty side.
public struct BookDigest: Sendable, Equatable, CustomStringConvertible {
    public var window: Int
    public var bestBid: Ticks?
    public var bestBidQuantity: Lots = 0
    public var bestAsk: Ticks?
    public var bestAskQuantity: Lots = 0
    public var bidQuantitySum: Lots = 0
    public var bidLevels: Int = 0
    public var askQuantitySum: Lots = 0
    public var askLevels: Int = 0

    public init(window: Int = 500, bestBid: Ticks? = nil, bestBidQuantity: Lots = 0, bestAsk: Ticks? = nil,
                bestAskQuantity: Lots = 0, bidQuantitySum: Lots = 0, bidLevels: Int = 0,
                askQuantitySum: Lots = 0, askLevels: Int = 0)
    {
        self.window = window
        self.bestBid = bestBid
        self.bestBidQuantity = bestBidQuantity
        self.bestAsk = bestAsk
        self.bestAskQuantity = bestAskQuantity
        self.bidQuantitySum = bidQuantitySum
        self.bidLevels = bidLevels
        self.askQuantitySum = askQuantitySum
        self.askLevels = askLevels
    }

    /// The digest as `(name, value)` pairs with the names of the bench README
    /// (`best_bid`, `best_ask`, `best_bid_qty`, `best_ask_qty`, `bid_qty_sum_500t`,
    /// `bid_levels_500t`, `ask_qty_sum_500t`, `ask_levels_500t`), prices and sizes as exact decimals.
    public func fields(_ instrument: Instrument) -> [(name: String, value: String)] {
        let w = window
        func px(_ t: Ticks?) -> String { t.map { instrument.price($0).description } ?? "nan" }
        func qty(_ l: Lots) -> String { instrument.quantity(l).description }
        return [
            ("best_bid", px(bestBid)),
            ("best_ask", px(bestAsk)),
            ("best_bid_qty", qty(bestBidQuantity)),
            ("best_ask_qty", qty(bestAskQuantity)),
            ("bid_qty_sum_\(w)t", qty(bidQuantitySum)),
            ("bid_levels_\(w)t", String(bidLevels)),
            ("ask_qty_sum_\(w)t", qty(askQuantitySum)),
            ("ask_levels_\(w)t", String(askLevels)),
        ]
    }

    public var description: String {
        "bid \(bestBid.map(String.init) ?? "-")x\(bestBidQuantity) ask \(bestAsk.map(String.init) ?? "-")x\(bestAskQuantity) "
            + "bids \(bidQuantitySum)/\(bidLevels) asks \(askQuantitySum)/\(askLevels) (±\(window)t)"
    }
}
