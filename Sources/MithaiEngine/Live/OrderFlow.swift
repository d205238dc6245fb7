/// Simulated order flow for live venues: a crowd of zero-intelligence traders (Smith, Farmer,
/// Gillemot, Krishnamurthy 2003) or the same event types with self- and cross-exciting Hawkes
/// arrivals (Hawkes 1971; Bacry, Mastromatteo, Muzy 2015), producing an L3 event feed (add,
/// cancel, execute, trade) on a full order-by-order book. Formulas and references:
/// docs/LIVE.md.
///
/// Pure and deterministic: a seeded `SplitMix64`, simulated time in nanoseconds, no clock.

/// The rates and sizes of a crowd's order flow. Units: events per second, lots, ticks.
///
/// Mapping to Smith-Farmer's parameters (α limit orders per tick per second per side, μ market
/// orders per second per side, δ cancellations per order per second, σ size): `limitRate` =
/// 2αK, `marketRate` = 2μ, `cancelRate` = δ, `meanSize` = σ, `priceRange` = K.
public struct FlowParameters: Sendable, Equatable, Hashable {
    /// Limit orders per second, both sides together (half each side).
    public var limitRate: Double
    /// Market orders per second, both sides together.
    public var marketRate: Double
    /// Cancellation rate of each resting order, per second (δ).
    public var cancelRate: Double
    /// Mean order size in lots (sizes are 1 + Geometric, so the mean is exact and the minimum 1).
    public var meanSize: Double
    /// K: a buy limit order is placed uniformly on the K ticks below the best ask (a sell on the
    /// K ticks above the best bid), so it may improve the best quote but never crosses.
    public var priceRange: Int
    /// Feed latency added to every event: local time = exchange time + this (ns).
    public var feedLatency: Nanos

    public init(limitRate: Double, marketRate: Double, cancelRate: Double, meanSize: Double, priceRange: Int,
                feedLatency: Nanos = Time.millisecond)
    {
        self.limitRate = limitRate
        self.marketRate = marketRate
        self.cancelRate = cancelRate
        self.meanSize = meanSize
        self.priceRange = priceRange
        self.feedLatency = feedLatency
    }

    /// The expected number of resting orders in steady state, ≈ limitRate / cancelRate
    /// (market orders remove a few more). Used to seed the initial book.
    public var equilibriumOrders: Int {
        cancelRate > 0 ? Int((limitRate / cancelRate).rounded()) : 2 * priceRange
    }

    /// Why these parameters cannot run, or nil.
    public var problem: String? {
        if !(limitRate > 0) { return "limit rate must be positive" }
        if !(marketRate >= 0) { return "market rate must not be negative" }
        if !(cancelRate > 0) { return "cancel rate must be positive (a book without cancellations only grows)" }
        if !(meanSize >= 1) { return "mean size must be at least 1 lot" }
        if priceRange < 1 || priceRange > 10_000 { return "price range must be 1...10000 ticks" }
        if feedLatency < 0 { return "feed latency must not be negative" }
        return nil
    }
}

/// Exponential-kernel Hawkes excitation between the four arrival types (limit buy, limit sell,
/// market buy, market sell): φᵢⱼ(t) = αᵢⱼ β e^{−βt}, with αᵢᵢ = `selfExcitation` and αᵢⱼ =
/// `crossExcitation` (i ≠ j). Cancellations stay proportional to the book (δ·N).
public struct HawkesParameters: Sendable, Equatable, Hashable {
    /// αᵢᵢ: expected direct children of an event of its own type (branching ratio share).
    public var selfExcitation: Double
    /// αᵢⱼ, i ≠ j.
    public var crossExcitation: Double
    /// β, 1/s: the kernel decays with time constant 1/β.
    public var decay: Double

    public init(selfExcitation: Double = 0.5, crossExcitation: Double = 0.1, decay: Double = 10) {
        self.selfExcitation = selfExcitation
        self.crossExcitation = crossExcitation
        self.decay = decay
    }

    /// Spectral radius of the branching matrix α (a + 3c for this structure); < 1 is stationary.
    public var branchingRatio: Double { selfExcitation + 3 * crossExcitation }

    public var problem: String? {
        if !(selfExcitation >= 0 && crossExcitation >= 0) { return "excitations must not be negative" }
        if !(branchingRatio < 1) { return "branching ratio a + 3c = \(branchingRatio) must be below 1 (else the flow explodes)" }
        if !(decay > 0) { return "decay must be positive" }
        return nil
    }

    /// Why these excitations cannot give the rates of `flow`, or nil.
    public func problem(for flow: FlowParameters) -> String? {
        if let p = problem { return p }
        let half = [flow.limitRate / 2, flow.limitRate / 2, flow.marketRate / 2, flow.marketRate / 2]
        if baselines(for: half) == nil {
            return "cross-excitation \(crossExcitation) is too strong for these rates: a baseline μ = (I − α)Λ would be ≤ 0 (lower cross or self excitation)"
        }
        return nil
    }

    /// The baselines μ = (I − α)Λ that give the long-run rates Λ (limit buy, limit sell,
    /// market buy, market sell), or nil when one would be ≤ 0 (too much cross-excitation for
    /// these rates).
    public func baselines(for rates: [Double]) -> [Double]? {
        var mu = [Double](repeating: 0, count: 4)
        for i in 0..<4 {
            var s = rates[i]
            for j in 0..<4 { s -= (i == j ? selfExcitation : crossExcitation) * rates[j] }
            if !(s > 0) { return nil }
            mu[i] = s
        }
        return mu
    }
}

/// How arrivals are timed.
public enum FlowModel: Sendable, Equatable, Hashable {
    /// Independent Poisson processes (zero intelligence).
    case zeroIntelligence
    /// Self- and cross-exciting Hawkes arrivals.
    case hawkes(HawkesParameters)

    public var name: String {
        switch self {
        case .zeroIntelligence: return "zi"
        case .hawkes: return "hawkes"
        }
    }
}

/// Counts of what a generator produced.
public struct FlowCounts: Sendable, Equatable {
    public var limitOrders = 0
    public var marketOrders = 0
    /// Market orders that found the opposite side empty (no events).
    public var unfilledMarketOrders = 0
    public var cancels = 0
    public var executions = 0
    public var events = 0
    public init() {}
}

/// A crowd's order flow on its own L3 book (what the public feed shows). Our orders are not in
/// it: the venue's exchange simulator matches them against this flow (see `LiveVenue`).
///
/// Each call to `step` produces one arrival at `nextTime` and the feed events it causes, then
/// draws the next arrival (Gillespie's method for Poisson rates that change with the book;
/// Ogata's thinning for Hawkes intensities).
///
/// Invariants: `book` never crosses (limit orders are placed off the opposite best; market
/// orders consume it); `live` holds exactly the book's order handles; event times never
/// decrease. Complexity: O(1) per event apart from the book's level lookups.
public struct OrderFlowGenerator: Sendable {
    public let parameters: FlowParameters
    public let model: FlowModel
    /// Absolute tick of relative price 0 in the events produced.
    public let base: Ticks
    /// The crowd's book (absolute ticks).
    public private(set) var book = L3Book()
    public private(set) var counts = FlowCounts()
    /// Exchange time of the next arrival (Nanos.max when the session has closed).
    public private(set) var nextTime: Nanos
    /// No arrivals at or after this time (the venue's close; Nanos.max for 24/7 markets).
    public let endTime: Nanos

    private let startTime: Nanos
    private var rng: SplitMix64
    /// Seconds since `startTime` of the next arrival (continuous; rounded down to ns).
    private var clock: Double = 0
    private var nextType = 0
    private var nextID: UInt32 = 1
    private var live = ContiguousArray<UInt32>()
    private var slot = ContiguousArray<Int32>()
    private var reference: Ticks
    // Hawkes state.
    private var mu: [Double] = [0, 0, 0, 0]
    private var excitation: [Double] = [0, 0, 0, 0]
    private var geometricLog: Double

    /// - Parameters:
    ///   - reference: absolute ticks of the starting price (the initial book is placed around it).
    ///   - start: exchange time of the first event (ns since the epoch).
    ///   - end: no arrivals from this time on (Nanos.max: never closes).
    public init(parameters: FlowParameters, model: FlowModel, reference: Ticks, start: Nanos, end: Nanos = Nanos.max,
                seed: UInt64)
    {
        precondition(parameters.problem == nil, parameters.problem ?? "")
        self.parameters = parameters
        self.model = model
        self.base = reference
        self.reference = reference
        self.startTime = start
        self.endTime = end
        rng = SplitMix64(seed: seed ^ 0x5A17_C0DE_F10E_0001)
        // Sizes 1 + Geometric(p) with mean 1 + (1-p)/p = meanSize → p = 1/meanSize.
        let p = 1 / parameters.meanSize
        geometricLog = p >= 1 ? 0 : MMMath.log(1 - p)
        nextTime = start
        if case .hawkes(let h) = model {
            precondition(h.problem(for: parameters) == nil, h.problem(for: parameters) ?? "")
            let half = [parameters.limitRate / 2, parameters.limitRate / 2, parameters.marketRate / 2, parameters.marketRate / 2]
            guard let m = h.baselines(for: half) else { preconditionFailure("Hawkes baselines not positive: check problem(for:)") }
            mu = m
        }
    }

    /// Number of resting crowd orders.
    public var restingOrders: Int { live.count }

    /// The opening book: `equilibriumOrders` limit orders, half a side, on the K ticks off the
    /// reference (one tick spread), all stamped at the start time. Call once, first.
    public mutating func open(_ sink: (Event) -> Void) {
        let n = max(2, parameters.equilibriumOrders)
        for i in 0..<n {
            let side: Side = i % 2 == 0 ? .buy : .sell
            let k = Ticks(rng.next() % UInt64(parameters.priceRange))
            let price = side == .buy ? reference - 1 - k : reference + 1 + k
            add(side: side, price: price, quantity: size(), time: startTime, last: i == n - 1, sink)
        }
        drawNext(after: 0)
    }

    /// Produces the arrival at `nextTime` and its events (in order, the last flagged
    /// `.endOfMessage`), then draws the next arrival. Does nothing after the close.
    public mutating func step(_ sink: (Event) -> Void) {
        guard nextTime != Nanos.max else { return }
        let t = nextTime
        let type = nextType
        switch type {
        case 0, 1:
            let side: Side = type == 0 ? .buy : .sell
            let k = Ticks(rng.next() % UInt64(parameters.priceRange))
            let ask = book.bestAsk, bid = book.bestBid
            let price: Ticks
            if side == .buy {
                price = (ask != Ticks.max ? ask : (bid != Ticks.min ? bid + 1 : reference)) - 1 - k
            } else {
                price = (bid != Ticks.min ? bid : (ask != Ticks.max ? ask - 1 : reference)) + 1 + k
            }
            counts.limitOrders += 1
            add(side: side, price: price, quantity: size(), time: t, last: true, sink)
        case 2, 3:
            counts.marketOrders += 1
            let side: Side = type == 2 ? .buy : .sell
            if market(side: side, quantity: size(), limit: side == .buy ? Ticks.max : Ticks.min, time: t, endMessage: true, sink) == 0 {
                counts.unfilledMarketOrders += 1
            }
        default:
            // Cancel a uniformly chosen resting order (each cancels at rate δ).
            if !live.isEmpty {
                let id = live[Int(rng.next() % UInt64(live.count))]
                if let o = book.order(id) {
                    counts.cancels += 1
                    emit(Event(kind: .cancel, side: o.side, price: Int32(o.price - base), quantity: Int32(clamping: o.quantity),
                               orderID: id, exchTime: t, localTime: t + parameters.feedLatency, flags: [.fullCancel, .endOfMessage]), sink)
                    book.cancel(id, quantity: o.quantity, full: true, side: o.side, price: o.price)
                    forget(id)
                }
            }
        }
        if type <= 3, case .hawkes(let h) = model {
            for i in 0..<4 { excitation[i] += (i == type ? h.selfExcitation : h.crossExcitation) * h.decay }
        }
        drawNext(after: clock)
    }

    /// `step` appending the events to `buffer`.
    @inlinable
    public mutating func step(into buffer: inout ContiguousArray<Event>) {
        step { buffer.append($0) }
    }

    /// Produces every arrival with `nextTime <= time`.
    @inlinable
    public mutating func run(through time: Nanos, _ sink: (Event) -> Void) {
        while nextTime <= time { step(sink) }
    }

    // MARK: - Internals

    private mutating func size() -> Lots {
        if geometricLog == 0 { return 1 }
        let u = 1 - rng.nextUnit()           // (0, 1]
        return 1 + Lots(MMMath.log(u) / geometricLog)
    }

    private mutating func add(side: Side, price: Ticks, quantity: Lots, time: Nanos, last: Bool, _ sink: (Event) -> Void) {
        let id = nextID
        nextID &+= 1
        emit(Event(kind: .add, side: side, price: Int32(price - base), quantity: Int32(clamping: quantity), orderID: id,
                   exchTime: time, localTime: time + parameters.feedLatency, flags: last ? .endOfMessage : []), sink)
        try? book.add(id, side: side, price: price, quantity: quantity)
        if Int(id) >= slot.count { slot.append(contentsOf: repeatElement(-1, count: Int(id) + 1 - slot.count + slot.count)) }
        slot[Int(id)] = Int32(live.count)
        live.append(id)
    }

    // MARK: - Participants (the impact engine, `ImpactExchange`)
    //
    // Orders of participants other than the crowd (our bot, the manual account) live in the
    // same book under handles from the same counter, so the feed shows them as ordinary
    // orders. They are not in `live`: crowd cancels never pick them and they do not count in
    // the cancel intensity δ·N. Crowd limit prices are drawn off the best quotes of the whole
    // book, so a participant's quote moves where the crowd places its orders.

    /// True when handle `id` is a resting crowd order.
    public func isCrowdOrder(_ id: UInt32) -> Bool {
        Int(id) < slot.count && slot[Int(id)] >= 0
    }

    /// A fresh order handle for a participant's order.
    public mutating func newHandle() -> UInt32 {
        let id = nextID
        nextID &+= 1
        return id
    }

    /// Rests a participant's order `id` (from `newHandle`) at the back of its level; emits its `add`.
    public mutating func restParticipant(_ id: UInt32, side: Side, price: Ticks, quantity: Lots, time: Nanos,
                                         into buffer: inout ContiguousArray<Event>)
    {
        emit(Event(kind: .add, side: side, price: Int32(price - base), quantity: Int32(clamping: quantity), orderID: id,
                   exchTime: time, localTime: time + parameters.feedLatency, flags: .endOfMessage), into: &buffer)
        try? book.add(id, side: side, price: price, quantity: quantity)
    }

    /// Removes a participant's resting order; emits a full `cancel`.
    public mutating func cancelParticipant(_ id: UInt32, time: Nanos, into buffer: inout ContiguousArray<Event>) {
        guard let o = book.order(id) else { return }
        emit(Event(kind: .cancel, side: o.side, price: Int32(o.price - base), quantity: Int32(clamping: o.quantity), orderID: id,
                   exchTime: time, localTime: time + parameters.feedLatency, flags: [.fullCancel, .endOfMessage]), into: &buffer)
        book.cancel(id, quantity: o.quantity, full: true, side: o.side, price: o.price)
    }

    /// Reduces a participant's resting order to `quantity` (0 < quantity <= its size), keeping
    /// its queue position; emits a `modify`.
    public mutating func reduceParticipant(_ id: UInt32, to quantity: Lots, time: Nanos, into buffer: inout ContiguousArray<Event>) {
        guard let o = book.order(id), quantity > 0, quantity <= o.quantity else { return }
        emit(Event(kind: .modify, side: o.side, price: Int32(o.price - base), quantity: Int32(clamping: quantity), orderID: id,
                   exchTime: time, localTime: time + parameters.feedLatency, flags: .endOfMessage), into: &buffer)
        try? book.modify(id, side: o.side, price: o.price, quantity: quantity)
    }

    /// A participant's marketable order: takes up to `quantity` from the opposite side at prices
    /// up to `limit` (buy: at or below; sell: at or above), front of each queue first, level by
    /// level, emitting `execute`s and one `trade` print per level (aggressor `side`). The last
    /// print ends the message when `endMessage`. Returns the quantity executed.
    public mutating func take(side: Side, quantity: Lots, limit: Ticks, time: Nanos, endMessage: Bool,
                              into buffer: inout ContiguousArray<Event>) -> Lots
    {
        market(side: side, quantity: quantity, limit: limit, time: time, endMessage: endMessage) { buffer.append($0) }
    }

    private mutating func forget(_ id: UInt32) {
        let k = Int(slot[Int(id)])
        let lastID = live[live.count - 1]
        live[k] = lastID
        slot[Int(lastID)] = Int32(k)
        live.removeLast()
        slot[Int(id)] = -1
    }

    /// A market order of `quantity` on `side`: executes the opposite queue front first, level by
    /// level; one `trade` print per price level after its executions.
    /// Stops at `limit` (Ticks.max / Ticks.min: none). Returns the quantity executed.
    private mutating func market(side: Side, quantity: Lots, limit: Ticks, time: Nanos, endMessage: Bool,
                                 _ sink: (Event) -> Void) -> Lots
    {
        var left = quantity
        let resting = side.opposite
        var print: Event? = nil
        while left > 0 {
            let price = side == .buy ? book.bestAsk : book.bestBid
            if price == Ticks.max || price == Ticks.min { break }
            if side == .buy ? price > limit : price < limit { break }
            if let p = print { emit(p, sink); print = nil }
            var atLevel: Lots = 0
            while left > 0, let o = book.frontOrder(resting, at: price) {
                let q = min(left, o.quantity)
                emit(Event(kind: .execute, side: resting, price: Int32(price - base), quantity: Int32(clamping: q), orderID: o.orderID,
                           exchTime: time, localTime: time + parameters.feedLatency), sink)
                book.execute(o.orderID, quantity: q, side: resting, price: price)
                if q == o.quantity && isCrowdOrder(o.orderID) { forget(o.orderID) }
                counts.executions += 1
                atLevel += q
                left -= q
            }
            if atLevel == 0 { break }
            print = Event(kind: .trade, side: side, price: Int32(price - base), quantity: Int32(clamping: atLevel),
                          exchTime: time, localTime: time + parameters.feedLatency)
            reference = price
        }
        if var p = print {
            if endMessage { p.flags = .endOfMessage }
            emit(p, sink)
        }
        return quantity - left
    }

    private mutating func emit(_ e: Event, into buffer: inout ContiguousArray<Event>) {
        counts.events += 1
        buffer.append(e)
    }

    private mutating func emit(_ e: Event, _ sink: (Event) -> Void) {
        counts.events += 1
        sink(e)
    }

    /// Draws the next arrival's time and type after `now` (seconds since start).
    private mutating func drawNext(after now: Double) {
        var t = now
        let n = Double(live.count)
        let cancelIntensity = parameters.cancelRate * n
        switch model {
        case .zeroIntelligence:
            let half = parameters.limitRate / 2, mhalf = parameters.marketRate / 2
            let total = parameters.limitRate + parameters.marketRate + cancelIntensity
            t += -MMMath.log(1 - rng.nextUnit()) / total
            var u = rng.nextUnit() * total
            var type = 4
            if u < half { type = 0 } else {
                u -= half
                if u < half { type = 1 } else {
                    u -= half
                    if u < mhalf { type = 2 } else if u - mhalf < mhalf { type = 3 }
                }
            }
            nextType = type
        case .hawkes(let h):
            // Ogata's thinning: the intensity only decays between events, so its current value
            // bounds it until the next arrival.
            while true {
                var bound = cancelIntensity
                for i in 0..<4 { bound += mu[i] + excitation[i] }
                let dt = -MMMath.log(1 - rng.nextUnit()) / bound
                t += dt
                let decay = MMMath.exp(-h.decay * dt)
                var lam = cancelIntensity
                for i in 0..<4 { excitation[i] *= decay; lam += mu[i] + excitation[i] }
                var u = rng.nextUnit() * bound
                if u >= lam { continue }      // rejected: no arrival at t
                var type = 4
                for i in 0..<4 {
                    let r = mu[i] + excitation[i]
                    if u < r { type = i; break }
                    u -= r
                }
                nextType = type
                break
            }
        }
        clock = t
        let ns = startTime + Nanos((t * 1e9).rounded(.down))
        nextTime = ns >= endTime ? Nanos.max : ns
    }
}

extension FlowParameters {
    /// Order flow of a liquid name of this product kind, in the instrument's lots: the defaults
    /// of `InstrumentPreset.activity` (docs/LIVE.md lists them).
    public static func typical(_ kind: ProductKind) -> FlowParameters {
        switch kind {
        case .equity, .option, .spot:
            return FlowParameters(limitRate: 40, marketRate: 4, cancelRate: 0.1, meanSize: 25, priceRange: 20)
        case .future:
            return FlowParameters(limitRate: 60, marketRate: 6, cancelRate: 0.15, meanSize: 3, priceRange: 20)
        case .perpetual:
            return FlowParameters(limitRate: 200, marketRate: 20, cancelRate: 0.4, meanSize: 40, priceRange: 50)
        }
    }
}
