#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

// Shared pieces of the market-making models (docs/STRATEGIES.md): the trade tape a strategy
// reads market trades from, volatility estimators, inventory control, the adverse-selection
// guard, volatility-clustering sizing, the arrival-intensity calibrator and the quote manager
// that keeps post-only orders at wanted prices. Units: prices in ticks, sizes in lots, time in
// ns at the interfaces, volatility in ticks per √second.

/// Elementary functions for the models (libm), so strategy code needs no Foundation.
public enum MMMath {
    @inlinable public static func exp(_ x: Double) -> Double { Glibc_exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Glibc_log(x) }
    @inlinable public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Glibc_pow(x, y) }
}

@usableFromInline func Glibc_exp(_ x: Double) -> Double { exp(x) }
@usableFromInline func Glibc_log(_ x: Double) -> Double { log(x) }
@usableFromInline func Glibc_pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }

// MARK: - Trade tape

/// One market trade as the strategy sees it: local arrival time, absolute price (ticks),
/// quantity (lots) and aggressor side (`.buy`: a buyer lifted the ask).
public struct TradePrint: Sendable, BitwiseCopyable, Equatable {
    public var time: Nanos
    public var price: Ticks
    public var quantity: Lots
    public var side: Side
    public init(time: Nanos, price: Ticks, quantity: Lots, side: Side) {
        self.time = time
        self.price = price
        self.quantity = quantity
        self.side = side
    }
}

/// The market trades of a feed in local-time order, read forward by a strategy at its decision
/// times. The `Strategy` protocol shows the book but not the trade prints, so models that need
/// trades (GLFT calibration, the adverse-selection guard's burst detector) are given a tape
/// built once from the local feed. Reading is O(1) amortised and allocation-free.
public struct TradeTape: Sendable {
    public internal(set) var prints: ContiguousArray<TradePrint>
    /// Index of the next unread print.
    public private(set) var cursor = 0

    public init(_ prints: ContiguousArray<TradePrint>) { self.prints = prints }

    /// The `.trade` events of `events` (local feed, local-time order); `base` is the dataset's
    /// base tick.
    public init(events: UnsafeBufferPointer<Event>, base: Ticks) {
        var p = ContiguousArray<TradePrint>()
        for e in events where e.kind == .trade && e.side != .none {
            p.append(TradePrint(time: e.localTime, price: e.ticks(base: base), quantity: Lots(e.quantity), side: e.side))
        }
        prints = p
    }

    public static var empty: TradeTape { TradeTape(ContiguousArray()) }

    /// The next print with `time <= t`, or nil.
    public mutating func next(upTo t: Nanos) -> TradePrint? {
        guard cursor < prints.count, prints[cursor].time <= t else { return nil }
        defer { cursor += 1 }
        return prints[cursor]
    }
}

// MARK: - Volatility

/// EWMA estimate of the variance rate of mid changes: each update with a mid change Δ (ticks)
/// over dt seconds does v ← λ·v + (1−λ)·Δ²/dt, λ = 2^(−1/halfLife). σ = √v, ticks/√s.
public struct EWMAVolatility: Sendable, Equatable {
    /// Half-life of the weights, in updates (> 0).
    public let halfLife: Double
    /// σ used before the first change is seen, ticks/√s.
    public let initialSigma: Double
    public private(set) var variance: Double
    public private(set) var updates = 0
    private var lastMid: Double = .nan
    private var lastTime: Nanos = 0
    private let lambda: Double

    public init(halfLife: Double = 100, initialSigma: Double = 1) {
        precondition(halfLife > 0 && initialSigma >= 0, "invalid EWMA volatility parameters")
        self.halfLife = halfLife
        self.initialSigma = initialSigma
        variance = initialSigma * initialSigma
        lambda = MMMath.pow(2, -1 / halfLife)
    }

    /// σ, ticks/√s.
    public var sigma: Double { variance.squareRoot() }

    /// Feeds the mid (ticks) seen at local time `time`.
    public mutating func update(mid: Double, time: Nanos) {
        defer { lastMid = mid; lastTime = time }
        guard !lastMid.isNaN, time > lastTime else { return }
        let dt = Double(time - lastTime) / Double(Time.second)
        let d = mid - lastMid
        variance = lambda * variance + (1 - lambda) * d * d / dt
        updates += 1
    }
}

/// GARCH(1,1) on mid changes per decision step (ticks): h ← ω + α·Δ² + β·h. σ per √s =
/// √(h/dt) with dt the step in seconds. Stationary when α + β < 1 (long-run h = ω/(1−α−β)).
public struct GARCHVolatility: Sendable, Equatable {
    public let omega: Double
    public let alpha: Double
    public let beta: Double
    /// Conditional variance of the next step's change, ticks².
    public private(set) var h: Double
    private var lastMid: Double = .nan
    private var lastTime: Nanos = 0
    private var lastDt: Double = 0.1

    public init(omega: Double = 0.01, alpha: Double = 0.1, beta: Double = 0.85, initialVariance: Double? = nil) {
        precondition(omega > 0 && alpha >= 0 && beta >= 0 && alpha + beta < 1, "GARCH(1,1) needs ω > 0, α, β ≥ 0, α + β < 1")
        self.omega = omega
        self.alpha = alpha
        self.beta = beta
        h = initialVariance ?? omega / (1 - alpha - beta)
    }

    /// σ, ticks/√s.
    public var sigma: Double { (h / lastDt).squareRoot() }

    public mutating func update(mid: Double, time: Nanos) {
        defer { lastMid = mid; lastTime = time }
        guard !lastMid.isNaN, time > lastTime else { return }
        lastDt = Double(time - lastTime) / Double(Time.second)
        let d = mid - lastMid
        h = omega + alpha * d * d + beta * h
    }
}

/// Standard deviation of the last `window` mid changes (ticks) scaled to √s, as the GLFT
/// tutorial's `nanstd(mid_price_chg[window]) × √(steps per second)`. Ring buffer with running
/// sums; O(1) per update, allocation-free after init.
public struct RollingVolatility: Sendable {
    public let window: Int
    public var initialSigma: Double
    private var buffer: ContiguousArray<Double>
    private var head = 0
    public private(set) var count = 0
    private var sum = 0.0
    private var sumSquares = 0.0
    private var lastMid: Double = .nan
    private var lastTime: Nanos = 0
    private var lastDt = 0.1

    public init(window: Int = 6000, initialSigma: Double = 1) {
        precondition(window >= 2, "rolling window must hold at least 2 changes")
        self.window = window
        self.initialSigma = initialSigma
        buffer = ContiguousArray(repeating: 0, count: window)
    }

    /// σ, ticks/√s (`initialSigma` until 2 changes are held).
    public var sigma: Double {
        guard count >= 2 else { return initialSigma }
        let n = Double(count)
        let mean = sum / n
        let v = max(0, sumSquares / n - mean * mean)
        return (v / lastDt).squareRoot()
    }

    public mutating func update(mid: Double, time: Nanos) {
        defer { lastMid = mid; lastTime = time }
        guard !lastMid.isNaN, time > lastTime else { return }
        lastDt = Double(time - lastTime) / Double(Time.second)
        let d = mid - lastMid
        if count == window {
            let old = buffer[head]
            sum -= old
            sumSquares -= old * old
        } else {
            count += 1
        }
        buffer[head] = d
        sum += d
        sumSquares += d * d
        head = head + 1 == window ? 0 : head + 1
    }
}

/// Which volatility model scales sizes and spreads.
public enum VolatilityModel: Sendable, Equatable {
    case ewma(halfLife: Double)
    case garch(omega: Double, alpha: Double, beta: Double)
}

/// A volatility estimator chosen by `VolatilityModel`.
public struct VolatilityEstimator: Sendable {
    private var ewma: EWMAVolatility?
    private var garch: GARCHVolatility?

    public init(_ model: VolatilityModel, initialSigma: Double) {
        switch model {
        case .ewma(let hl): ewma = EWMAVolatility(halfLife: hl, initialSigma: initialSigma)
        case .garch(let o, let a, let b): garch = GARCHVolatility(omega: o, alpha: a, beta: b)
        }
    }

    public var sigma: Double { ewma?.sigma ?? garch!.sigma }

    public mutating func update(mid: Double, time: Nanos) {
        if ewma != nil { ewma!.update(mid: mid, time: time) } else { garch!.update(mid: mid, time: time) }
    }
}

// MARK: - Volatility-clustering sizing

/// Scales quote size down and spread up when volatility is above a reference (volatility
/// clustering: a high-σ period tends to go on). With r = σ / referenceSigma:
/// size × clamp(r^(−sizeExponent), minSizeScale, 1), half spread × clamp(r^spreadExponent, 1, maxSpreadScale).
public struct VolatilitySizingParameters: Sendable, Equatable {
    public var model: VolatilityModel
    /// σ at which nothing is scaled, ticks/√s.
    public var referenceSigma: Double
    public var sizeExponent: Double
    public var spreadExponent: Double
    /// Smallest size multiplier (0..1].
    public var minSizeScale: Double
    /// Largest spread multiplier (≥ 1).
    public var maxSpreadScale: Double

    public init(model: VolatilityModel = .ewma(halfLife: 100), referenceSigma: Double = 1, sizeExponent: Double = 1,
                spreadExponent: Double = 1, minSizeScale: Double = 0.25, maxSpreadScale: Double = 4)
    {
        precondition(referenceSigma > 0 && minSizeScale > 0 && minSizeScale <= 1 && maxSpreadScale >= 1,
                     "invalid volatility sizing parameters")
        self.model = model
        self.referenceSigma = referenceSigma
        self.sizeExponent = sizeExponent
        self.spreadExponent = spreadExponent
        self.minSizeScale = minSizeScale
        self.maxSpreadScale = maxSpreadScale
    }
}

/// The sizing state a strategy holds.
public struct VolatilitySizing: Sendable {
    public let parameters: VolatilitySizingParameters
    public private(set) var estimator: VolatilityEstimator

    public init(_ p: VolatilitySizingParameters) {
        parameters = p
        estimator = VolatilityEstimator(p.model, initialSigma: p.referenceSigma)
    }

    public mutating func update(mid: Double, time: Nanos) { estimator.update(mid: mid, time: time) }

    /// Multiplier of the order size, in [minSizeScale, 1].
    public var sizeScale: Double {
        let r = estimator.sigma / parameters.referenceSigma
        guard r > 0 else { return 1 }
        return min(1, max(parameters.minSizeScale, MMMath.pow(r, -parameters.sizeExponent)))
    }

    /// Multiplier of the half spread, in [1, maxSpreadScale].
    public var spreadScale: Double {
        let r = estimator.sigma / parameters.referenceSigma
        guard r > 0 else { return 1 }
        return max(1, min(parameters.maxSpreadScale, MMMath.pow(r, parameters.spreadExponent)))
    }

    /// `quantity` scaled and rounded to lots, at least 1.
    public func scaled(_ quantity: Lots) -> Lots { max(1, Lots((Double(quantity) * sizeScale).rounded())) }
}

// MARK: - Inventory control

/// Inventory limits and skew shared by the models.
public struct InventoryParameters: Sendable, Equatable {
    /// Hard limit on |position|, lots, counting resting orders on the side that would add to it:
    /// a buy is posted only if position + resting buys + its size ≤ maxPosition (same for sells).
    public var maxPosition: Lots
    /// Hard limit on |position| × price, in quote currency (0: none). Over it the side that adds
    /// is not quoted.
    public var maxNotional: Double
    /// Extra skew of both quotes away from inventory, ticks per lot of position (0: none; the
    /// models' own skew comes on top).
    public var skewTicksPerLot: Double
    /// Over a limit (|position| ≥ maxPosition or notional over), quote only the reducing side,
    /// sized at most |position| (reduce-only). When false the adding side is just not quoted.
    public var reduceOnlyOverLimit: Bool

    public init(maxPosition: Lots = 1000, maxNotional: Double = 0, skewTicksPerLot: Double = 0,
                reduceOnlyOverLimit: Bool = true)
    {
        precondition(maxPosition >= 0 && maxNotional >= 0, "invalid inventory parameters")
        self.maxPosition = maxPosition
        self.maxNotional = maxNotional
        self.skewTicksPerLot = skewTicksPerLot
        self.reduceOnlyOverLimit = reduceOnlyOverLimit
    }
}

/// Inventory control: skew and the position / notional limits.
public struct InventoryControl: Sendable, Equatable {
    public let parameters: InventoryParameters
    /// Size of one tick × one lot in quote currency (for notional).
    public let tickLotValue: Double

    public init(_ p: InventoryParameters, tickSize: ExactDecimal, lotSize: ExactDecimal) {
        parameters = p
        tickLotValue = tickSize.doubleValue * lotSize.doubleValue
    }

    /// Skew to subtract from the reference price, ticks (positive when long).
    @inlinable public func skewTicks(position: Lots) -> Double { parameters.skewTicksPerLot * Double(position) }

    /// |position| × price in quote currency.
    public func notional(position: Lots, price: Ticks) -> Double {
        Double(position.magnitude) * Double(price) * tickLotValue
    }

    /// True when over a limit (position or notional).
    public func isOverLimit(position: Lots, price: Ticks) -> Bool {
        if position != 0 && Lots(position.magnitude) >= parameters.maxPosition { return true }
        if parameters.maxNotional > 0 && notional(position: position, price: price) >= parameters.maxNotional { return true }
        return false
    }

    /// The largest quantity (≤ `quantity`) a new order on `side` may have, given the position and
    /// the leaves of resting orders on that side; 0 means don't quote it.
    public func allowed(_ side: Side, quantity: Lots, position: Lots, resting: Lots, price: Ticks) -> Lots {
        let adds = side == .buy ? position >= 0 : position <= 0
        let over = isOverLimit(position: position, price: price)
        if over {
            if adds { return 0 }
            // Reducing side: reduce-only sizes it at most what is left to unwind.
            return parameters.reduceOnlyOverLimit ? max(0, min(quantity, Lots(position.magnitude) - resting)) : quantity
        }
        // Worst case, every order on this side that may still fill does: the position becomes
        // signed + resting + q, which must stay within the position (and notional) limit.
        let signed = side == .buy ? position : -position
        var limit = parameters.maxPosition
        if parameters.maxNotional > 0 && tickLotValue > 0 && price > 0 {
            limit = min(limit, Lots((parameters.maxNotional / (Double(price) * tickLotValue)).rounded(.down)))
        }
        return max(0, min(quantity, limit - signed - resting))
    }
}

// MARK: - Adverse-selection guard

/// Thresholds of the adverse-selection guard. Each signal widens the threatened side by
/// `widenTicks` or, with `pull`, removes its quote.
public struct AdverseSelectionParameters: Sendable, Equatable {
    /// Top-of-book imbalance (bidQty − askQty)/(bidQty + askQty) in [−1, 1] beyond which the
    /// side about to be run over is guarded (> +t: asks; < −t: bids). > 1 disables.
    public var imbalanceThreshold: Double
    /// Same-side aggressive trades within `burstWindow` that count as a burst (buys: asks are
    /// guarded; sells: bids). 0 disables.
    public var burstTrades: Int
    public var burstWindow: Nanos
    /// Markout horizon after each of our fills, ns: markout = side × (mid(t + horizon) − price), ticks.
    public var markoutHorizon: Nanos
    /// When the EWMA of markouts falls below −markoutThresholdTicks, both sides are guarded. ≤ 0 disables.
    public var markoutThresholdTicks: Double
    /// Weight of the newest markout in the EWMA (0, 1].
    public var markoutWeight: Double
    /// How far a guarded side is moved away, ticks.
    public var widenTicks: Int64
    /// Remove the guarded side's quote instead of widening it.
    public var pull: Bool

    public init(imbalanceThreshold: Double = 0.8, burstTrades: Int = 10, burstWindow: Nanos = Time.second,
                markoutHorizon: Nanos = Time.second, markoutThresholdTicks: Double = 2, markoutWeight: Double = 0.2,
                widenTicks: Int64 = 2, pull: Bool = false)
    {
        precondition(burstWindow > 0 && markoutHorizon > 0 && markoutWeight > 0 && markoutWeight <= 1 && widenTicks >= 0,
                     "invalid adverse-selection parameters")
        self.imbalanceThreshold = imbalanceThreshold
        self.burstTrades = burstTrades
        self.burstWindow = burstWindow
        self.markoutHorizon = markoutHorizon
        self.markoutThresholdTicks = markoutThresholdTicks
        self.markoutWeight = markoutWeight
        self.widenTicks = widenTicks
        self.pull = pull
    }
}

/// What the guard asks of each side.
public struct GuardAction: Sendable, Equatable {
    public var widenBid: Int64 = 0
    public var widenAsk: Int64 = 0
    public var pullBid = false
    public var pullAsk = false
    public init(widenBid: Int64 = 0, widenAsk: Int64 = 0, pullBid: Bool = false, pullAsk: Bool = false) {
        self.widenBid = widenBid
        self.widenAsk = widenAsk
        self.pullBid = pullBid
        self.pullAsk = pullAsk
    }
}

/// The adverse-selection guard: order-flow imbalance, trade bursts and fill markouts. Fixed
/// ring buffers; allocation-free after init.
public struct AdverseSelectionGuard: Sendable {
    public let parameters: AdverseSelectionParameters
    /// EWMA of our fills' markouts, ticks (0 before any).
    public private(set) var markout: Double = 0
    public private(set) var markoutsSeen = 0
    private var buyTimes: ContiguousArray<Nanos>
    private var sellTimes: ContiguousArray<Nanos>
    private var buyHead = 0, sellHead = 0
    private var pending: ContiguousArray<(time: Nanos, price: Ticks, side: Side)>
    private var pendingHead = 0
    private var pendingCount = 0

    public init(_ p: AdverseSelectionParameters) {
        parameters = p
        let n = max(1, p.burstTrades)
        buyTimes = ContiguousArray(repeating: Nanos.min, count: n)
        sellTimes = ContiguousArray(repeating: Nanos.min, count: n)
        pending = ContiguousArray(repeating: (0, 0, .none), count: 256)
    }

    /// Records a market trade.
    public mutating func observe(_ t: TradePrint) {
        guard parameters.burstTrades > 0 else { return }
        if t.side == .buy {
            buyTimes[buyHead] = t.time
            buyHead = (buyHead + 1) % buyTimes.count
        } else if t.side == .sell {
            sellTimes[sellHead] = t.time
            sellHead = (sellHead + 1) % sellTimes.count
        }
    }

    /// Records one of our fills (its markout is measured `markoutHorizon` later). When more than
    /// 256 fills wait, the oldest is dropped.
    public mutating func observe(_ f: Fill) {
        let i = (pendingHead + pendingCount) % pending.count
        pending[i] = (f.localTime + parameters.markoutHorizon, f.price, f.side)
        if pendingCount == pending.count { pendingHead = (pendingHead + 1) % pending.count } else { pendingCount += 1 }
    }

    /// Matures markouts due at `time` with the mid (ticks) and returns the action for the book.
    public mutating func evaluate(time: Nanos, mid: Double, bidQuantity: Lots, askQuantity: Lots) -> GuardAction {
        let p = parameters
        while pendingCount > 0 && pending[pendingHead].time <= time {
            let f = pending[pendingHead]
            let m = Double(f.side.rawValue) * (mid - Double(f.price))
            markout = markoutsSeen == 0 ? m : (1 - p.markoutWeight) * markout + p.markoutWeight * m
            markoutsSeen += 1
            pendingHead = (pendingHead + 1) % pending.count
            pendingCount -= 1
        }
        var a = GuardAction()
        var guardBid = false, guardAsk = false
        let total = bidQuantity + askQuantity
        if total > 0 {
            let imb = Double(bidQuantity - askQuantity) / Double(total)
            if imb > p.imbalanceThreshold { guardAsk = true }
            if imb < -p.imbalanceThreshold { guardBid = true }
        }
        if p.burstTrades > 0 {
            // Ring holds the last `burstTrades` times; the oldest is at the head.
            if buyTimes[buyHead] != Nanos.min && time - buyTimes[buyHead] <= p.burstWindow { guardAsk = true }
            if sellTimes[sellHead] != Nanos.min && time - sellTimes[sellHead] <= p.burstWindow { guardBid = true }
        }
        if p.markoutThresholdTicks > 0 && markoutsSeen > 0 && markout < -p.markoutThresholdTicks {
            guardBid = true
            guardAsk = true
        }
        if p.pull {
            a.pullBid = guardBid
            a.pullAsk = guardAsk
        } else {
            a.widenBid = guardBid ? p.widenTicks : 0
            a.widenAsk = guardAsk ? p.widenTicks : 0
        }
        return a
    }
}

// MARK: - Arrival intensity calibration

/// Parameters of the online fit of λ(δ) = A·exp(−k·δ).
public struct IntensityCalibrationParameters: Sendable, Equatable {
    /// Rolling window of trades, ns.
    public var window: Nanos
    /// Width of a depth bucket, ticks (the tutorial uses half a tick: depths from the mid of a
    /// one-tick spread are multiples of ½).
    public var bucketTicks: Double
    /// Number of buckets (deepest depth fitted = buckets × bucketTicks).
    public var buckets: Int
    /// Buckets with fewer cumulative arrivals than this are left out of the regression.
    public var minCount: Int
    /// Most trades held in the window (older ones are dropped first when full).
    public var capacity: Int

    public init(window: Nanos = 600 * Time.second, bucketTicks: Double = 0.5, buckets: Int = 70, minCount: Int = 10,
                capacity: Int = 1 << 16)
    {
        precondition(window > 0 && bucketTicks > 0 && buckets >= 2 && minCount >= 1 && capacity >= 1,
                     "invalid calibration parameters")
        self.window = window
        self.bucketTicks = bucketTicks
        self.buckets = buckets
        self.minCount = minCount
        self.capacity = capacity
    }
}

/// Online calibration of the arrival intensity of market orders reaching depth δ (ticks from
/// the mid): each trade's depth at arrival (buy: price − mid; sell: mid − price) falls in bucket
/// b = ⌊δ / w⌋; an order resting at depth x_i = (i+1)·w is reached by trades of depth ≥ x_i, so
/// λ_i = #{depth ≥ x_i} / window (per second). The fit is the least-squares line
/// ln λ_i = ln A − k·x_i over buckets with at least `minCount` arrivals. A: per second, k: per tick.
public struct IntensityCalibrator: Sendable {
    public let parameters: IntensityCalibrationParameters
    private var times: ContiguousArray<Nanos>
    private var bucketOf: ContiguousArray<Int32>
    private var head = 0
    public private(set) var count = 0
    private var histogram: ContiguousArray<Int>
    /// First trade time seen (the window is shorter than `window` until then + window).
    private var firstTime: Nanos = Nanos.max
    public private(set) var lastTime: Nanos = 0

    public init(_ p: IntensityCalibrationParameters) {
        parameters = p
        times = ContiguousArray(repeating: 0, count: p.capacity)
        bucketOf = ContiguousArray(repeating: -1, count: p.capacity)
        histogram = ContiguousArray(repeating: 0, count: p.buckets)
    }

    /// Records a trade of depth `depthTicks` (ticks from the mid) at `time`. Negative depths
    /// (a trade through the mid of an older book) are ignored, as in the tutorial.
    public mutating func record(depthTicks: Double, time: Nanos) {
        guard depthTicks >= 0, depthTicks.isFinite else { return }
        advance(to: time)
        if firstTime == Nanos.max { firstTime = time }
        if count == parameters.capacity { evictOldest() }
        let b = Int(min((depthTicks / parameters.bucketTicks).rounded(.down), Double(parameters.buckets)))
        let i = (head + count) % parameters.capacity
        times[i] = time
        bucketOf[i] = b < parameters.buckets ? Int32(b) : Int32(parameters.buckets)
        if b < parameters.buckets { histogram[b] += 1 }
        count += 1
    }

    /// Drops trades older than the window at `time`.
    public mutating func advance(to time: Nanos) {
        lastTime = max(lastTime, time)
        while count > 0 && times[head] <= time - parameters.window { evictOldest() }
    }

    private mutating func evictOldest() {
        let b = Int(bucketOf[head])
        if b < parameters.buckets { histogram[b] -= 1 }
        head = (head + 1) % parameters.capacity
        count -= 1
    }

    /// The fitted (A per second, k per tick), or nil without two usable buckets.
    public func fit() -> (a: Double, k: Double)? {
        guard count > 0, firstTime != Nanos.max else { return nil }
        let span = min(parameters.window, lastTime - firstTime)
        let seconds = Double(max(span, 1)) / Double(Time.second)
        // Trades deeper than the last bucket reach every bucket.
        var cumulative = count - histogram.reduce(0, +)
        var n = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        var i = parameters.buckets - 1
        while i >= 0 {
            // Depth ≥ x_i = (i+1)w ⇔ bucket ≥ i+1.
            if cumulative >= parameters.minCount {
                let x = Double(i + 1) * parameters.bucketTicks
                let y = MMMath.log(Double(cumulative) / seconds)
                n += 1; sx += x; sy += y; sxx += x * x; sxy += x * y
            }
            cumulative += histogram[i]
            i -= 1
        }
        guard n >= 2 else { return nil }
        let den = n * sxx - sx * sx
        guard den != 0 else { return nil }
        let slope = (n * sxy - sx * sy) / den
        let intercept = (sy - slope * sx) / n
        let k = -slope
        guard k > 0 else { return nil }
        return (MMMath.exp(intercept), k)
    }
}

// MARK: - Quote manager

/// Keeps post-only orders at wanted prices: for each side, a live order within
/// `requoteThreshold` ticks of an unmatched wanted price is kept (its size is not revised),
/// other live orders are cancelled and the missing prices are posted with fresh ids. Orders
/// with a request in flight are left alone and count as matched. Prices are clamped so a bid
/// is below the best ask and an ask above the best bid (never crossing); the exchange's GTX
/// check rejects any that would still take. Sizes go through `InventoryControl.allowed`, which
/// counts every order that may still fill (resting, in flight, being cancelled), so fills can
/// never push |position| past `maxPosition` (when the position starts within it).
public struct QuoteManager: Sendable {
    public var requoteThreshold: Int64
    public var timeInForce: TimeInForce
    private var nextID: OrderID = 1
    private var matched: ContiguousArray<Bool> = []
    private var stale: ContiguousArray<OrderID> = []
    public private(set) var submitted = 0
    public private(set) var cancelled = 0

    public init(requoteThreshold: Int64 = 1, timeInForce: TimeInForce = .gtx) {
        self.requoteThreshold = max(1, requoteThreshold)
        self.timeInForce = timeInForce
        matched.reserveCapacity(64)
        stale.reserveCapacity(64)
    }

    /// Brings `side`'s orders to `prices` (best first) of `quantity` each. Empty `prices`
    /// cancels the side.
    public mutating func sync(_ side: Side, prices: UnsafeBufferPointer<Ticks>, quantity: Lots,
                              inventory: InventoryControl, trader: inout Trader)
    {
        let bestBid = trader.bestBid, bestAsk = trader.bestAsk
        let mark = bestBid != Ticks.min && bestAsk != Ticks.max ? (bestBid + bestAsk) / 2 : (side == .buy ? bestBid : bestAsk)
        // A side the inventory forbids is cancelled whatever is wanted.
        let open = inventory.allowed(side, quantity: quantity, position: trader.position, resting: 0, price: mark) > 0
        let wanted = open ? prices.count : 0
        matched.removeAll(keepingCapacity: true)
        for _ in 0..<wanted { matched.append(false) }
        stale.removeAll(keepingCapacity: true)
        var resting: Lots = 0
        for o in trader.orders where o.side == side && !o.status.isFinal {
            // An order being cancelled may still fill: it counts against the limit.
            if o.pending == .cancel { resting += o.leaves; continue }
            var keep = false
            for j in 0..<wanted where !matched[j] {
                let p = prices[j]
                let d = o.price > p ? o.price - p : p - o.price
                if d < requoteThreshold {
                    matched[j] = true
                    keep = true
                    break
                }
            }
            // Orders about to be cancelled may still fill before the cancel arrives: they count too
            // (at the limit a replacement waits for the cancel to be confirmed).
            resting += o.leaves
            if !keep && o.pending == .none { stale.append(o.id) }
        }
        for id in stale where trader.cancel(id) == nil { cancelled += 1 }
        for j in 0..<wanted where !matched[j] {
            var price = prices[j]
            if side == .buy && bestAsk != Ticks.max { price = min(price, bestAsk - 1) }
            if side == .sell && bestBid != Ticks.min { price = max(price, bestBid + 1) }
            let q = inventory.allowed(side, quantity: quantity, position: trader.position, resting: resting, price: mark)
            if q <= 0 { break }
            if trader.submit(.limit(id: nextID, side: side, price: price, quantity: q, timeInForce: timeInForce)) == nil {
                submitted += 1
                resting += q
            }
            nextID += 1
        }
    }
}

/// Reference price of a quote.
public enum ReferencePrice: String, Sendable, Equatable, CaseIterable {
    /// (best bid + best ask) / 2.
    case mid
    /// Size-weighted: (bid × askQty + ask × bidQty) / (bidQty + askQty); the mid when both are 0.
    case microprice
}

extension Trader {
    /// The mid in ticks, or nil when a side is empty.
    public var midTicks: Double? { midHalfTicks.map { Double($0) / 2 } }

    /// The reference price in ticks, or nil when a side is empty.
    public func reference(_ r: ReferencePrice) -> Double? {
        guard let m = midTicks else { return nil }
        if r == .mid { return m }
        let bq = Double(book.bestBidQuantity), aq = Double(book.bestAskQuantity)
        guard bq + aq > 0 else { return m }
        return (Double(bestBid) * aq + Double(bestAsk) * bq) / (bq + aq)
    }
}

// MARK: - Common pipeline

/// The pieces every model holds: inventory control, optional guard and sizing, the trade tape
/// and the quote manager; `place` turns fractional quotes into orders.
public struct MarketMakingCore: Sendable {
    public let inventory: InventoryControl
    public private(set) var guardian: AdverseSelectionGuard?
    public private(set) var sizing: VolatilitySizing?
    public private(set) var manager: QuoteManager
    public private(set) var lastAction = GuardAction()
    var tape: TradeTape
    private var bids: ContiguousArray<Ticks> = []
    private var asks: ContiguousArray<Ticks> = []

    public init(inventory: InventoryParameters, adverseSelection: AdverseSelectionParameters?,
                sizing: VolatilitySizingParameters?, requoteThreshold: Int64, timeInForce: TimeInForce,
                tickSize: ExactDecimal, lotSize: ExactDecimal, trades: TradeTape)
    {
        self.inventory = InventoryControl(inventory, tickSize: tickSize, lotSize: lotSize)
        guardian = adverseSelection.map(AdverseSelectionGuard.init)
        self.sizing = sizing.map(VolatilitySizing.init)
        manager = QuoteManager(requoteThreshold: requoteThreshold, timeInForce: timeInForce)
        tape = trades
        bids.reserveCapacity(64)
        asks.reserveCapacity(64)
    }

    /// The next unread print with time ≤ `time` (given to the guard first), or nil.
    mutating func nextTrade(upTo time: Nanos) -> TradePrint? {
        guard let t = tape.next(upTo: time) else { return nil }
        guardian?.observe(t)
        return t
    }

    /// Reads the tape up to `time` (for the guard).
    mutating func skipTrades(upTo time: Nanos) {
        while nextTrade(upTo: time) != nil {}
    }

    mutating func didFill(_ f: Fill) { guardian?.observe(f) }

    /// Updates sizing and the guard with the book at decision time.
    mutating func observe(_ trader: Trader, mid: Double) {
        sizing?.update(mid: mid, time: trader.time)
        if guardian != nil {
            lastAction = guardian!.evaluate(time: trader.time, mid: mid, bidQuantity: trader.book.bestBidQuantity,
                                            askQuantity: trader.book.bestAskQuantity)
        }
    }

    /// Half-spread multiplier from volatility sizing (1 without it).
    var spreadScale: Double { sizing?.spreadScale ?? 1 }

    /// Order size after volatility sizing.
    func size(_ q: Lots) -> Lots { sizing?.scaled(q) ?? q }

    /// Places `levels` orders a side from fractional top quotes (ticks): the bid rounded down and
    /// the ask up (outward), widened or pulled by the guard, then stepped by `interval` ticks.
    mutating func place(bid: Double?, ask: Double?, levels: Int = 1, interval: Int64 = 1, quantity: Lots,
                        trader: inout Trader)
    {
        trader.clearInactiveOrders()
        bids.removeAll(keepingCapacity: true)
        asks.removeAll(keepingCapacity: true)
        let a = lastAction
        // Quotes beyond ±2^52 ticks (a degenerate model output) are not placed.
        let bound = 4_503_599_627_370_496.0
        if let b = bid, b.isFinite, abs(b) < bound, !a.pullBid {
            let top = Ticks(b.rounded(.down)) - a.widenBid
            for i in 0..<levels { bids.append(top - Ticks(i) * interval) }
        }
        if let s = ask, s.isFinite, abs(s) < bound, !a.pullAsk {
            let top = Ticks(s.rounded(.up)) + a.widenAsk
            for i in 0..<levels { asks.append(top + Ticks(i) * interval) }
        }
        // Never cross: bids below the best ask, asks above the best bid (clamped before matching
        // resting orders, so a clamped quote is not re-posted every decision).
        if trader.bestAsk != Ticks.max {
            for i in bids.indices { bids[i] = min(bids[i], trader.bestAsk - 1) }
        }
        if trader.bestBid != Ticks.min {
            for i in asks.indices { asks[i] = max(asks[i], trader.bestBid + 1) }
        }
        let q = size(quantity)
        bids.withUnsafeBufferPointer { manager.sync(.buy, prices: $0, quantity: q, inventory: inventory, trader: &trader) }
        asks.withUnsafeBufferPointer { manager.sync(.sell, prices: $0, quantity: q, inventory: inventory, trader: &trader) }
    }
}
