/// Parameters of the grid market maker (hftbacktest's grid-trading tutorial and
/// `shared/bench/hftbacktest/bench_grid.py`).
public struct GridParameters: Sendable, Equatable {
    /// Orders per side.
    public var levels: Int
    /// Distance between grid prices, ticks (> 0). Grid prices are multiples of it.
    public var gridIntervalTicks: Int64
    /// Distance from the (reservation) mid to the first grid price before alignment, ticks.
    public var halfSpreadTicks: Int64
    /// Quantity of each order, lots.
    public var orderQuantity: Lots
    /// No new buys while position >= maxPosition; no new sells while position <= -maxPosition (lots).
    public var maxPosition: Lots
    /// Inventory skew, ticks per unit of position in the instrument's size units (the
    /// tutorial's `skew`): reservation = mid - skew × position. 0 disables it.
    public var skew: ExactDecimal
    /// Cap the bid at the best bid and the ask at the best ask before alignment (the tutorial's
    /// skewed version does; bench_grid.py does not).
    public var capAtTouch: Bool
    /// Time in force of the orders (GTX: post-only, as the tutorial).
    public var timeInForce: TimeInForce
    /// Time between decisions, ns.
    public var decisionInterval: Nanos
    /// How prices are computed; see `GridArithmetic`.
    public var arithmetic: GridArithmetic
    /// The shared adverse-selection guard (docs/STRATEGIES.md): a guarded side's half spread
    /// grows by `widenTicks`, or the side is pulled. nil = off (the reference grid).
    public var adverseSelection: AdverseSelectionParameters?
    /// The shared volatility-clustering sizing: the half spread × `spreadScale` (rounded up to
    /// a whole tick), each new order's size × `sizeScale`. nil = off.
    public var sizing: VolatilitySizingParameters?

    public init(levels: Int = 20, gridIntervalTicks: Int64 = 10, halfSpreadTicks: Int64 = 20, orderQuantity: Lots = 100,
                maxPosition: Lots = 5000, skew: ExactDecimal = .zero, capAtTouch: Bool = false,
                timeInForce: TimeInForce = .gtx, decisionInterval: Nanos = 100 * Time.millisecond,
                arithmetic: GridArithmetic = .exact, adverseSelection: AdverseSelectionParameters? = nil,
                sizing: VolatilitySizingParameters? = nil)
    {
        self.adverseSelection = adverseSelection
        self.sizing = sizing
        precondition(levels >= 0 && gridIntervalTicks > 0 && orderQuantity > 0 && maxPosition >= 0,
                     "invalid grid parameters")
        self.levels = levels
        self.gridIntervalTicks = gridIntervalTicks
        self.halfSpreadTicks = halfSpreadTicks
        self.orderQuantity = orderQuantity
        self.maxPosition = maxPosition
        self.skew = skew
        self.capAtTouch = capAtTouch
        self.timeInForce = timeInForce
        self.decisionInterval = decisionInterval
        self.arithmetic = arithmetic
    }

    /// bench_grid.py's defaults for an instrument with lot 0.001: 20 levels, interval 10 ticks,
    /// half spread 20 ticks, 0.1 per order, max position 5, GTX, every 100 ms, computed in
    /// binary floating point exactly as the reference does (for parity).
    public static let benchReference = GridParameters(arithmetic: .hftbacktestFloat)
}

/// How the grid computes its prices.
public enum GridArithmetic: Sendable, Equatable {
    /// Integer ticks and exact rationals: the grid is what the formulas say.
    case exact
    /// The reference's binary floating point, operation by operation: prices as
    /// `ticks × tickSize` in Double, `floor((mid - half) / step) × step`, ids `round(px / tick)`,
    /// and the position as the running Double sum of ±fill sizes. It differs from `.exact` when
    /// a value lands within rounding error of a grid line (e.g. 599980 × 0.1 is not 59998.0),
    /// and when the Double position drifts off a multiple of the order size; parity with
    /// hftbacktest needs it.
    case hftbacktestFloat
}

/// A grid market maker: every decision it wants `levels` post-only buys at grid prices at or
/// below `mid - halfSpread` and `levels` sells at or above `mid + halfSpread` (aligned to
/// multiples of the grid interval; skewed by inventory if `skew != 0`), cancels its resting
/// orders that left the grid, and posts the missing ones. Order id = price in ticks. A side
/// stops quoting at the position limit. When a side of the book is empty it quotes nothing
/// and cancels everything.
///
/// Complexity per decision: O(levels + live orders) with one id lookup per wanted price.
public struct GridMarketMaker: Strategy {
    public let parameters: GridParameters
    public let tickSize: ExactDecimal
    public let lotSize: ExactDecimal
    /// Running Double position (size units), for `.hftbacktestFloat`.
    public private(set) var floatPosition: Double = 0
    /// Number of submissions and cancels the grid made (for comparison with the reference).
    public private(set) var submittedBuys = 0
    public private(set) var submittedSells = 0
    public private(set) var cancels = 0
    private let tickDouble: Double
    private let lotDouble: Double
    private var wantBids: ContiguousArray<Ticks> = []
    private var wantAsks: ContiguousArray<Ticks> = []
    private var stale: ContiguousArray<OrderID> = []
    /// The shared guard and sizing (nil when off), and the trade tape the guard's burst
    /// detector reads.
    public private(set) var guardian: AdverseSelectionGuard?
    public private(set) var volatilitySizing: VolatilitySizing?
    private var tape: TradeTape
    /// This decision's half spreads (ticks), pulled sides and order size.
    private var bidHalf: Int64 = 0, askHalf: Int64 = 0
    private var pullBids = false, pullAsks = false
    private var quantity: Lots = 0

    /// - Parameter trades: market trades for the guard's burst detection (`TradeTape(events:
    ///   localFeed, base:)`); only read when `parameters.adverseSelection` is set.
    public init(parameters: GridParameters, tickSize: ExactDecimal, lotSize: ExactDecimal, trades: TradeTape = .empty) {
        guardian = parameters.adverseSelection.map(AdverseSelectionGuard.init)
        volatilitySizing = parameters.sizing.map(VolatilitySizing.init)
        tape = trades
        bidHalf = parameters.halfSpreadTicks
        askHalf = parameters.halfSpreadTicks
        quantity = parameters.orderQuantity
        self.parameters = parameters
        self.tickSize = tickSize
        self.lotSize = lotSize
        tickDouble = tickSize.doubleValue
        lotDouble = lotSize.doubleValue
        wantBids.reserveCapacity(parameters.levels)
        wantAsks.reserveCapacity(parameters.levels)
    }

    public mutating func didFill(_ fill: Fill) {
        let size = Double(fill.quantity) * lotDouble
        if fill.side == .buy { floatPosition += size } else { floatPosition -= size }
        guardian?.observe(fill)
    }

    /// Half spreads, pulled sides and size for this decision from the guard and the sizing
    /// (exactly the parameters' values when both are off).
    private mutating func adjust(_ trader: Trader) {
        if guardian != nil { while let t = tape.next(upTo: trader.time) { guardian!.observe(t) } }
        guard let mid2 = trader.midHalfTicks else { return }
        let mid = Double(mid2) / 2
        var half = parameters.halfSpreadTicks
        if volatilitySizing != nil {
            volatilitySizing!.update(mid: mid, time: trader.time)
            half = Int64((Double(half) * volatilitySizing!.spreadScale).rounded(.up))
            quantity = volatilitySizing!.scaled(parameters.orderQuantity)
        }
        bidHalf = half
        askHalf = half
        if guardian != nil {
            let a = guardian!.evaluate(time: trader.time, mid: mid, bidQuantity: trader.book.bestBidQuantity,
                                       askQuantity: trader.book.bestAskQuantity)
            bidHalf += a.widenBid
            askHalf += a.widenAsk
            pullBids = a.pullBid
            pullAsks = a.pullAsk
        }
    }

    public mutating func decide(_ trader: inout Trader) {
        trader.clearInactiveOrders()
        wantBids.removeAll(keepingCapacity: true)
        wantAsks.removeAll(keepingCapacity: true)
        if guardian != nil || volatilitySizing != nil { adjust(trader) }
        switch parameters.arithmetic {
        case .exact: gridExact(trader)
        case .hftbacktestFloat: gridFloat(trader)
        }
        // Cancel resting orders that left the grid. The wanted prices are almost always an
        // arithmetic progression (always in exact arithmetic): test membership in O(1) then.
        let bids = Progression(wantBids)
        let asks = Progression(wantAsks)
        stale.removeAll(keepingCapacity: true)
        for o in trader.orders where o.isCancellable {
            let price = Ticks(bitPattern: o.id)
            let wanted = o.side == .buy ? bids.contains(price, in: wantBids) : asks.contains(price, in: wantAsks)
            if !wanted { stale.append(o.id) }
        }
        for id in stale {
            trader.cancel(id)
            cancels += 1
        }
        // Post the missing ones.
        for p in wantBids where !trader.orders.contains(OrderID(bitPattern: p)) {
            trader.submit(.limit(id: OrderID(bitPattern: p), side: .buy, price: p, quantity: quantity,
                                 timeInForce: parameters.timeInForce))
            submittedBuys += 1
        }
        for p in wantAsks where !trader.orders.contains(OrderID(bitPattern: p)) {
            trader.submit(.limit(id: OrderID(bitPattern: p), side: .sell, price: p, quantity: quantity,
                                 timeInForce: parameters.timeInForce))
            submittedSells += 1
        }
    }

    /// The grid in integer ticks: with D = 2 × 10^(s) (s = decimals of skew × lot size),
    /// reservation × D = (bid + ask) × 10^s - 2 × skew × position exactly.
    private mutating func gridExact(_ trader: Trader) {
        guard let mid2 = trader.midHalfTicks else { return }
        let p = parameters
        let position = trader.position
        let s = Int(p.skew.scale) + Int(lotSize.scale)
        let tenS = Int128(ExactDecimal.powerOfTen(min(18, s)))
        let d = 2 * tenS
        let n = Int128(mid2) * tenS - 2 * Int128(p.skew.mantissa) * Int128(position) * Int128(lotSize.mantissa)
        var bidNum = n - Int128(bidHalf) * d
        var askNum = n + Int128(askHalf) * d
        if p.capAtTouch {
            bidNum = min(bidNum, Int128(trader.bestBid) * d)
            askNum = max(askNum, Int128(trader.bestAsk) * d)
        }
        let step = Int128(p.gridIntervalTicks) * d
        let topBid = Ticks(floorDivide(bidNum, step)) * p.gridIntervalTicks
        let topAsk = Ticks(ceilDivide(askNum, step)) * p.gridIntervalTicks
        if position < p.maxPosition && !pullBids {
            for k in 0..<p.levels { wantBids.append(topBid - Ticks(k) * p.gridIntervalTicks) }
        }
        if position > -p.maxPosition && !pullAsks {
            for k in 0..<p.levels { wantAsks.append(topAsk + Ticks(k) * p.gridIntervalTicks) }
        }
    }

    /// The grid as the reference computes it, in Double, operation for operation.
    private mutating func gridFloat(_ trader: Trader) {
        let p = parameters
        let tick = tickDouble
        let bestBid = trader.bestBid == Ticks.min ? Double.nan : Double(trader.bestBid) * tick
        let bestAsk = trader.bestAsk == Ticks.max ? Double.nan : Double(trader.bestAsk) * tick
        let pos = floatPosition
        let mid = (bestBid + bestAsk) / 2.0
        let step = tick * Double(p.gridIntervalTicks)
        let reservation = p.skew == .zero ? mid : mid - p.skew.doubleValue * tick * pos
        var bid = reservation - tick * Double(bidHalf)
        var ask = reservation + tick * Double(askHalf)
        if p.capAtTouch {
            bid = bid.isNaN || bestBid.isNaN ? .nan : Swift.min(bid, bestBid)
            ask = ask.isNaN || bestAsk.isNaN ? .nan : Swift.max(ask, bestAsk)
        }
        let topBid = (bid / step).rounded(.down) * step
        let topAsk = (ask / step).rounded(.up) * step
        let maxPos = Double(p.maxPosition) * lotDouble
        if pos < maxPos && topBid.isFinite && !pullBids {
            var px = topBid
            for _ in 0..<p.levels {
                wantBids.append(Ticks((px / tick).rounded(.toNearestOrEven)))
                px -= step
            }
        }
        if pos > -maxPos && topAsk.isFinite && !pullAsks {
            var px = topAsk
            for _ in 0..<p.levels {
                wantAsks.append(Ticks((px / tick).rounded(.toNearestOrEven)))
                px += step
            }
        }
    }
}

/// A list of prices seen as `first + k × step` (k = 0..<count) when it is one.
struct Progression {
    var first: Ticks = 0
    var step: Ticks = 0
    var count = 0
    var isProgression = false

    init(_ xs: ContiguousArray<Ticks>) {
        count = xs.count
        guard count >= 2 else {
            isProgression = true
            first = xs.first ?? 0
            step = 1
            return
        }
        first = xs[0]
        step = xs[1] - xs[0]
        guard step != 0 else { return }
        for k in 2..<count where xs[k] - xs[k - 1] != step { return }
        isProgression = true
    }

    @inline(__always)
    func contains(_ p: Ticks, in xs: ContiguousArray<Ticks>) -> Bool {
        guard isProgression else { return xs.contains(p) }
        if count == 0 { return false }
        let d = p - first
        if d % step != 0 { return false }
        let k = d / step
        return k >= 0 && k < Ticks(count)
    }
}

/// ⌊a / b⌋ for b > 0.
@inlinable
func floorDivide(_ a: Int128, _ b: Int128) -> Int128 {
    let (q, r) = a.quotientAndRemainder(dividingBy: b)
    return r < 0 ? q - 1 : q
}

/// ⌈a / b⌉ for b > 0.
@inlinable
func ceilDivide(_ a: Int128, _ b: Int128) -> Int128 {
    let (q, r) = a.quotientAndRemainder(dividingBy: b)
    return r > 0 ? q + 1 : q
}
