/// Execution algorithms: a parent order worked through child orders by a scheduler that is an
/// ordinary `Strategy`, so it runs on the same exchange simulator as any market maker (queue
/// position, latencies, partial fills, fees) and, later, against a live venue through the same
/// `Trader` interface. See docs/EXECUTION.md.
///
/// Scheduling (TWAP, VWAP, participation): the parent's window is cut into slices with a
/// cumulative target each (TWAP: equal; VWAP: the window's volume curve; participation: a
/// share of the volume traded since the start). In each slice the algorithm first rests a
/// passive child at the near touch (re-pegged when the touch moves away); in the slice's last
/// `catchUp` it cancels it and takes the shortfall with an IOC limit at the far touch. A limit
/// price bounds every child (buy: never above, sell: never below); a participation cap bounds
/// the cumulative quantity by `maxParticipation × market volume since the start`. The parent
/// is cancelled at `cancelAt` (or by `cancel()`); what filled stays filled.
///
/// Iceberg: children of `visible` lots rest at the parent's price, one at a time; when one is
/// filled the next is posted (at the back of the queue, as a venue's refresh would).
///
/// *Ordering invariant*: at most one passive and one aggressive child are live at a time, and
/// new children are sized against filled + every open child's leaves (including children whose
/// cancel is in flight), so the parent is never overfilled.
/// *Known limitation*: our orders never move the historical book (docs/BACKTEST.md, *No market
/// impact*): a large IOC child fills at the far touch as if alone, so slippage is a lower bound.
public struct ParentOrder: Sendable, Equatable {
    public var side: Side
    /// Total quantity, lots (> 0).
    public var quantity: Lots
    /// Local time to start (nil: the first decision with both sides of the book).
    public var start: Nanos?
    /// Length of the schedule (ns); nil for an iceberg without an end.
    public var duration: Nanos?
    /// Worst acceptable price, absolute ticks.
    public var limitPrice: Ticks?
    /// Cap on cumulative quantity / market volume since the start (0 < p <= 1).
    public var maxParticipation: Double?
    /// Local time at which the parent is cancelled.
    public var cancelAt: Nanos?

    public init(side: Side, quantity: Lots, start: Nanos? = nil, duration: Nanos?, limitPrice: Ticks? = nil,
                maxParticipation: Double? = nil, cancelAt: Nanos? = nil)
    {
        precondition(quantity > 0, "parent quantity must be positive")
        self.side = side
        self.quantity = quantity
        self.start = start
        self.duration = duration
        self.limitPrice = limitPrice
        self.maxParticipation = maxParticipation
        self.cancelAt = cancelAt
    }
}

/// How the parent is scheduled.
public enum ExecutionStyle: Sendable, Equatable {
    /// Equal slices.
    case twap(slices: Int)
    /// Slices following the window's volume curve (read from the feed when the parent starts:
    /// the schedule a perfect volume forecast would give; see `VolumeCurve.profile`).
    case vwap(slices: Int)
    /// A share of the market volume traded since the start, re-evaluated every slice.
    case participation(rate: Double, slices: Int)
    /// One visible child of `visible` lots at a time at `price`.
    case iceberg(visible: Lots, price: Ticks)

    public var name: String {
        switch self {
        case .twap: "twap"
        case .vwap: "vwap"
        case .participation: "pov"
        case .iceberg: "iceberg"
        }
    }
}

/// Market volume as the strategy sees it: cumulative traded lots by local time (prints only).
public struct VolumeCurve: Sendable, Equatable {
    public var times: [Nanos] = []
    public var cumulative: [Lots] = []

    public init() {}

    /// Whether `kind` counts as traded volume in a feed: its `trade` prints when it has any (a
    /// feed carrying both the prints and the executions they caused, as the simulated venues'
    /// does, would count every lot twice), else its executions (LOBSTER-style L3 data).
    @inlinable public static func isVolume(_ kind: EventKind, feedHasTrades: Bool) -> Bool {
        feedHasTrades ? kind == .trade : (kind == .execute || kind == .executeHidden)
    }

    /// From a feed in local-time order.
    public init(localFeed: UnsafeBufferPointer<Event>) {
        var total: Lots = 0
        let hasTrades = localFeed.contains { $0.kind == .trade }
        for e in localFeed where VolumeCurve.isVolume(e.kind, feedHasTrades: hasTrades) {
            total += Lots(e.quantity)
            if let last = times.last, last == e.localTime { cumulative[cumulative.count - 1] = total } else {
                times.append(e.localTime)
                cumulative.append(total)
            }
        }
    }

    /// Lots traded at local times <= t. O(log n).
    public func volume(upTo t: Nanos) -> Lots {
        var lo = 0, hi = times.count
        while lo < hi { let m = (lo + hi) / 2; if times[m] <= t { lo = m + 1 } else { hi = m } }
        return lo == 0 ? 0 : cumulative[lo - 1]
    }

    /// A VWAP profile of `slices` equal slices of [start, start + duration): the share of the
    /// window's volume traded by the end of each slice (equal shares when nothing traded).
    public func profile(start: Nanos, duration: Nanos, slices: Int) -> [Double] {
        let n = max(1, slices)
        let v0 = volume(upTo: start - 1)
        let total = volume(upTo: start + duration - 1) - v0
        guard total > 0 else { return (1...n).map { Double($0) / Double(n) } }
        var out: [Double] = []
        for k in 1...n {
            let end = start + duration * Int64(k) / Int64(n) - 1
            out.append(Double(volume(upTo: end) - v0) / Double(total))
        }
        out[n - 1] = 1
        return out
    }
}

/// The scheduler. Use `ExecutionRun.run` to run it on a dataset and get its report.
public struct ExecutionAlgorithm: Strategy, Sendable {
    public let parent: ParentOrder
    public let style: ExecutionStyle
    /// Time between decisions (also the re-peg and catch-up granularity).
    public let decisionInterval: Nanos
    /// Take the shortfall with an IOC in the last `catchUp` of each slice (0: only at the end).
    public let catchUp: Nanos
    /// Cross at once instead of resting first.
    public let aggressive: Bool
    /// Printed volume by local time (a live venue swaps its growing curve in around each decision).
    var volume: VolumeCurve
    /// VWAP: a volume profile given up front (a live venue's causal forecast) instead of the
    /// window's own curve.
    let presetProfile: [Double]?

    public private(set) var startTime: Nanos = 0
    public private(set) var endTime: Nanos = 0
    /// Strategy mid (half ticks) when the parent started: the arrival price.
    public private(set) var arrivalMidHalfTicks: Int64 = 0
    public private(set) var filled: Lots = 0
    public private(set) var childOrders = 0
    public private(set) var passiveChildren = 0
    public private(set) var aggressiveChildren = 0
    public private(set) var cancelled = false
    public private(set) var finished = false
    /// Local time the last child filled (0: none).
    public private(set) var lastFillTime: Nanos = 0
    var nextID: OrderID = 1
    var passive: OrderID? = nil
    var aggressiveID: OrderID? = nil
    var cancelRequested = false
    /// VWAP: share of the quantity due by the end of each slice.
    public private(set) var profile: [Double] = []

    public init(parent: ParentOrder, style: ExecutionStyle, volume: VolumeCurve, decisionInterval: Nanos = 100 * Time.millisecond,
                catchUp: Nanos? = nil, aggressive: Bool = false, profile: [Double]? = nil)
    {
        self.presetProfile = profile
        self.parent = parent
        self.style = style
        self.volume = volume
        self.decisionInterval = decisionInterval
        self.aggressive = aggressive
        let slices: Int
        switch style {
        case .twap(let n): slices = n
        case .vwap(let n): slices = n
        case .participation(_, let n): slices = n
        case .iceberg: slices = 1
        }
        let sliceLength = (parent.duration ?? 0) / Int64(max(1, slices))
        self.catchUp = catchUp ?? min(sliceLength / 5, 30 * Time.second)
    }

    /// Cancels the parent: no new children; open ones are cancelled at the next decision.
    public mutating func cancel() { cancelRequested = true }

    public var slices: Int {
        switch style {
        case .twap(let n): n
        case .vwap(let n): n
        case .participation(_, let n): n
        case .iceberg: 1
        }
    }

    /// Cumulative lots due by local time `t` (before the participation cap).
    public func target(at t: Nanos) -> Lots {
        let q = parent.quantity
        guard let d = parent.duration, d > 0 else { return q }
        if t >= startTime + d { return q }
        let n = Int64(slices)
        let k = min(n - 1, (t - startTime) * n / d)
        switch style {
        case .twap: return q * (k + 1) / n
        case .vwap: return min(q, Lots((Double(q) * profile[Int(k)]).rounded(.down)))
        case .participation(let r, _): return min(q, Lots(r * Double(volume.volume(upTo: t) - volume.volume(upTo: startTime))))
        case .iceberg: return q
        }
    }

    /// End of the slice holding `t`.
    func sliceEnd(_ t: Nanos) -> Nanos {
        guard let d = parent.duration, d > 0 else { return Nanos.max }
        let n = Int64(slices)
        let k = min(n - 1, (t - startTime) * n / d)
        return startTime + d * (k + 1) / n
    }

    /// Within the limit price: `price` is acceptable for the parent's side.
    func acceptable(_ price: Ticks) -> Bool {
        guard let l = parent.limitPrice else { return true }
        return parent.side == .buy ? price <= l : price >= l
    }

    public mutating func didFill(_ fill: Fill) {
        filled += fill.quantity
        lastFillTime = fill.localTime
    }

    public mutating func decide(_ trader: inout Trader) {
        let t = trader.time
        if finished { return }
        if startTime == 0 {
            if let s = parent.start, t < s { return }
            guard let mid = trader.midHalfTicks else { return }
            startTime = t
            arrivalMidHalfTicks = mid
            endTime = parent.duration.map { t + $0 } ?? Nanos.max
            if case .vwap(let n) = style, let d = parent.duration {
                if let p = presetProfile, p.count == n { profile = p } else { profile = volume.profile(start: t, duration: d, slices: n) }
            }
        }
        trader.clearInactiveOrders()
        if let p = passive, trader.orders[p] == nil { passive = nil }
        if let a = aggressiveID, trader.orders[a] == nil { aggressiveID = nil }
        // Only this parent's children (the trader may hold other orders: a live venue's manual
        // account). At most one passive and one aggressive child are live (invariant above).
        var open: Lots = 0
        if let id = passive, let o = trader.orders[id], !o.status.isFinal { open += o.leaves }
        if let id = aggressiveID, let o = trader.orders[id], !o.status.isFinal { open += o.leaves }
        let over = filled >= parent.quantity || t >= endTime || cancelRequested || (parent.cancelAt.map { t >= $0 } ?? false)
        if over {
            if cancelRequested || (parent.cancelAt.map { t >= $0 } ?? false) { cancelled = filled < parent.quantity }
            if let id = passive, let o = trader.orders[id], o.isCancellable { trader.cancel(id) }
            if let id = aggressiveID, let o = trader.orders[id], o.isCancellable { trader.cancel(id) }
            if open == 0 { finished = true }
            return
        }
        let side = parent.side
        let near = side == .buy ? trader.bestBid : trader.bestAsk
        let far = side == .buy ? trader.bestAsk : trader.bestBid
        if near == Ticks.min || near == Ticks.max || far == Ticks.min || far == Ticks.max { return }

        if case .iceberg(let visible, let price) = style {
            if open == 0 {
                let q = min(visible, parent.quantity - filled)
                submit(&trader, .limit(id: take(), side: side, price: price, quantity: q), passive: true)
            }
            return
        }

        var due = target(at: t)
        if let p = parent.maxParticipation {
            let traded = volume.volume(upTo: t) - volume.volume(upTo: startTime)
            due = min(due, Lots(p * Double(traded)))
        }
        let want = due - filled - open
        let urgent = aggressive || t >= sliceEnd(t) - catchUp
        if urgent {
            if let p = passive, let o = trader.orders[p], o.isCancellable {
                trader.cancel(p)
                return
            }
            if passive != nil || aggressiveID != nil { return }
            guard want > 0 else { return }
            var price = far
            if let l = parent.limitPrice, !acceptable(far) { price = l }
            submit(&trader, .limit(id: take(), side: side, price: price, quantity: want, timeInForce: .ioc), passive: false)
            return
        }
        // Passive: one child at the near touch for what is due, re-pegged when the touch moves.
        if let p = passive, let o = trader.orders[p] {
            if o.isCancellable && o.price != pegPrice(near) { trader.cancel(p) }
            return
        }
        if aggressiveID != nil { return }
        guard want > 0 else { return }
        submit(&trader, .limit(id: take(), side: side, price: pegPrice(near), quantity: want), passive: true)
    }

    /// The near touch, or the limit when the touch is beyond it.
    func pegPrice(_ near: Ticks) -> Ticks {
        guard let l = parent.limitPrice, !acceptable(near) else { return near }
        return l
    }

    mutating func take() -> OrderID {
        defer { nextID += 1 }
        return nextID
    }

    mutating func submit(_ trader: inout Trader, _ r: OrderRequest, passive isPassive: Bool) {
        guard trader.submit(r) == nil else { return }
        childOrders += 1
        if isPassive {
            passive = r.id
            passiveChildren += 1
        } else {
            aggressiveID = r.id
            aggressiveChildren += 1
        }
    }
}

/// What an execution achieved, against the arrival mid and the market's VWAP over the
/// execution interval. Slippage is a cost: positive when the fills were worse than the
/// benchmark (a buy above it, a sell below it), in basis points of the benchmark.
public struct ExecutionReport: Sendable, Equatable {
    public var algorithm: String
    public var side: Side
    public var quantity: Lots
    public var filled: Lots
    /// filled / quantity.
    public var completion: Double
    public var childOrders: Int
    public var passiveChildren: Int
    public var aggressiveChildren: Int
    public var fills: Int
    public var makerFills: Int
    /// Average fill price (ticks, fractional), nil when nothing filled.
    public var averagePriceTicks: Double?
    /// Arrival mid (ticks, may be a half tick).
    public var arrivalMidTicks: Double
    /// Market VWAP over [start, end] (ticks), nil when nothing traded.
    public var intervalVWAPTicks: Double?
    public var marketVolume: Lots
    /// filled / market volume of the interval.
    public var participation: Double?
    public var slippageVsArrivalBps: Double?
    public var slippageVsVWAPBps: Double?
    /// Implementation shortfall vs arrival, in currency: Σ fills (price − arrival) × q × side.
    public var shortfall: Double?
    public var fees: Money
    public var start: Nanos
    public var end: Nanos
    public var cancelled: Bool

    /// Builds the report of a finished run of `algo`. `exchangeFeed` is in exchange-time order
    /// (for the interval VWAP), `base` the dataset's base tick.
    public static func make(_ algo: ExecutionAlgorithm, result: BacktestResult, exchangeFeed: UnsafeBufferPointer<Event>,
                            base: Ticks) -> ExecutionReport
    {
        let fills = result.fills
        var q: Lots = 0, pq = 0.0, makers = 0
        var fees = Money.zero
        for f in fills {
            q += f.quantity
            pq += Double(f.price) * Double(f.quantity)
            if f.isMaker { makers += 1 }
            fees += f.fee
        }
        let start = algo.startTime
        var end: Nanos
        if algo.parent.duration != nil {
            end = min(algo.endTime, result.endTime)
            if algo.cancelled, let c = algo.parent.cancelAt { end = min(end, c) }
        } else {
            end = algo.lastFillTime > 0 ? algo.lastFillTime : result.endTime
        }
        var vq: Int64 = 0, vpq = 0.0
        let hasTrades = exchangeFeed.contains { $0.kind == .trade }
        for e in exchangeFeed where VolumeCurve.isVolume(e.kind, feedHasTrades: hasTrades)
            && e.exchTime >= start && e.exchTime <= end
        {
            vq += Int64(e.quantity)
            vpq += Double(base + Ticks(e.price)) * Double(e.quantity)
        }
        let avg = q > 0 ? pq / Double(q) : nil
        let arrival = Double(algo.arrivalMidHalfTicks) / 2
        let vwap = vq > 0 ? vpq / Double(vq) : nil
        let sign = algo.parent.side == .buy ? 1.0 : -1.0
        func bps(_ bench: Double?) -> Double? {
            guard let a = avg, let b = bench, b != 0 else { return nil }
            return sign * (a - b) / b * 10_000
        }
        let v = result.valuation
        let tickLot = v.tickSize.doubleValue * v.lotSize.doubleValue * v.multiplier.doubleValue
        let shortfall = avg.map { sign * ($0 - arrival) * Double(q) * tickLot }
        return ExecutionReport(algorithm: algo.style.name, side: algo.parent.side, quantity: algo.parent.quantity, filled: q,
                               completion: Double(q) / Double(algo.parent.quantity), childOrders: algo.childOrders,
                               passiveChildren: algo.passiveChildren, aggressiveChildren: algo.aggressiveChildren,
                               fills: fills.count, makerFills: makers, averagePriceTicks: avg, arrivalMidTicks: arrival,
                               intervalVWAPTicks: vwap, marketVolume: vq,
                               participation: vq > 0 ? Double(q) / Double(vq) : nil,
                               slippageVsArrivalBps: bps(arrival), slippageVsVWAPBps: bps(vwap),
                               shortfall: v.contract == .linear ? shortfall : nil, fees: fees, start: start, end: end,
                               cancelled: algo.cancelled)
    }
}

/// Runs an execution algorithm on a dataset and reports.
public enum ExecutionRun {
    /// Runs `parent` with `style` over `events` (one dataset in feed order). The VWAP profile
    /// and the participation cap read the same feed's prints by local time.
    public static func run(_ configuration: BacktestConfiguration, parent: ParentOrder, style: ExecutionStyle, base: Ticks,
                           events: UnsafeBufferPointer<Event>, catchUp: Nanos? = nil, aggressive: Bool = false,
                           checkEvery: Int = 10_000, shouldContinue: ((Nanos) -> Bool)? = nil)
        -> (result: BacktestResult, algorithm: ExecutionAlgorithm)
    {
        let volume = VolumeCurve(localFeed: events)
        var algo = ExecutionAlgorithm(parent: parent, style: style, volume: volume,
                                      decisionInterval: configuration.settings.decisionInterval, catchUp: catchUp,
                                      aggressive: aggressive)
        // Stop once the parent is done: wrap the caller's check.
        var result = BacktestRunner.withExchangeFeed(events) { ex in
            BacktestRunner.run(configuration, strategy: &algo, base: base, exchangeFeed: ex, localFeed: events,
                               checkEvery: checkEvery, shouldContinue: shouldContinue)
        }
        result.execution = BacktestRunner.withExchangeFeed(events) { ex in
            ExecutionReport.make(algo, result: result, exchangeFeed: ex, base: base)
        }
        return (result, algo)
    }
}
