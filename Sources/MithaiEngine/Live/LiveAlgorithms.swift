/// Execution algorithms inside a live venue, beside the bot, on the venue's manual account.
///
/// A parent order started in a running session (`twap 500 over 10m` in the shell) is an
/// `ExecutionAlgorithm` — the same scheduler as on a dataset (docs/EXECUTION.md) — deciding on
/// the venue's manual `Trader`: its children are manual orders (ids from the manual counter, so
/// they show in `orders` and `fills` beside hand-typed ones), they pay the venue's latency and
/// fees, and their fills change the manual account's position and money.
///
/// The venue calls three hooks (LiveVenue.swift), each a single `isIdle` test when no parent
/// is working:
/// - `observe` for every trade print reaching the bot's side (local time): the live volume
///   curve (participation, caps) and each working parent's interval VWAP;
/// - `decide` at each decision time, after the bot decided and its requests left: each working
///   parent whose own interval has come decides on the manual trader, with the bot's book view
///   lent to it (O(1) swap), then the venue sends the manual outbox;
/// - `didFill` for each manual fill: routed to the parent owning the child id.
///
/// Determinism: parents decide only at the venue's decision times and read only what the
/// venue's driver produced by then, so the children and fills depend on the seed and on the
/// simulated times at which parents were started or cancelled, never on how `run(to:)` slices
/// time (tested in LiveAlgorithmTests).
///
/// VWAP without `participation=`: on a dataset the schedule reads the window's own volume curve
/// (a perfect forecast). A live venue cannot read the future: its profile is the volume curve of
/// the equal window just before the start (the prints the venue recorded; equal slices when
/// none), a causal forecast.
public struct LiveParent: Sendable {
    /// 1, 2, ... in start order (per venue).
    public let id: Int
    public internal(set) var algorithm: ExecutionAlgorithm
    /// Simulated time the parent was requested.
    public let requested: Nanos
    /// Time between the parent's own decisions (a multiple of the venue's decision interval is
    /// exact; otherwise the first decision time at or after each due time).
    public let every: Nanos
    var nextDecision: Nanos = Nanos.min
    /// Ids of every child sent.
    public internal(set) var children: Set<OrderID> = []
    public internal(set) var fills: ContiguousArray<Fill> = []
    /// The children's order records, copied from the manual trader when the parent ends.
    public internal(set) var orders: ContiguousArray<OrderRecord> = []
    /// Prints seen at local times in [start, end] (interval VWAP).
    var printVolume: Lots = 0
    var printValue: Double = 0
    /// When `cancel` was asked.
    public internal(set) var cancelTime: Nanos? = nil
    /// The report, once the parent has ended.
    public internal(set) var report: ExecutionReport? = nil

    public var isDone: Bool { report != nil }
    public var filled: Lots { algorithm.filled }
    /// Open quantity of live children.
    public var averagePriceTicks: Double? {
        var q: Lots = 0, pq = 0.0
        for f in fills { q += f.quantity; pq += Double(f.price) * Double(f.quantity) }
        return q > 0 ? pq / Double(q) : nil
    }
    /// Arrival mid (ticks), nil before the parent started.
    public var arrivalMidTicks: Double? { algorithm.startTime == 0 ? nil : Double(algorithm.arrivalMidHalfTicks) / 2 }
    /// Cost vs arrival so far (bps; positive = worse).
    public var slippageVsArrivalBps: Double? {
        guard let a = averagePriceTicks, let m = arrivalMidTicks, m != 0 else { return nil }
        return (algorithm.parent.side == .buy ? 1.0 : -1.0) * (a - m) / m * 10_000
    }
    /// VWAP of the prints seen since the start (ticks).
    public var intervalVWAPTicks: Double? { printVolume > 0 ? printValue / Double(printVolume) : nil }
    public var state: String {
        if let r = report { return r.cancelled ? "cancelled" : r.completion >= 1 ? "complete" : "incomplete" }
        if cancelTime != nil { return "cancelling" }
        return algorithm.startTime == 0 ? "waiting" : "working"
    }

    /// Whether a print at local time `t` falls in the parent's window.
    func inWindow(_ t: Nanos) -> Bool {
        let a = algorithm
        guard a.startTime != 0, t >= a.startTime, t <= a.endTime else { return false }
        if let c = cancelTime, t > c { return false }
        if let c = a.parent.cancelAt, t > c { return false }
        return true
    }
}

/// The parents of one live venue.
public struct LiveAlgorithms: Sendable {
    /// Every parent, in start order (working and ended).
    public private(set) var parents: [LiveParent] = []
    private var working = 0
    /// Prints since the first working parent was started (local time).
    private var volume = VolumeCurve()

    public init() {}

    /// True when no parent is working: the venue's hooks then cost one test.
    @inlinable public var isIdle: Bool { workingCount == 0 }
    public var workingCount: Int { working }

    /// Adds a parent requested at simulated time `now`; it starts at the first decision with a
    /// two-sided book (its `parent.start` permitting). Returns its id.
    mutating func start(_ algorithm: ExecutionAlgorithm, every: Nanos, at now: Nanos) -> Int {
        if working == 0 { volume = VolumeCurve() }
        let id = (parents.last?.id ?? 0) + 1
        parents.append(LiveParent(id: id, algorithm: algorithm, requested: now, every: every))
        working += 1
        return id
    }

    /// Cancels parent `id` at `now`: no new children; open ones are cancelled at the next
    /// decision time. False when there is no such working parent.
    mutating func cancel(_ id: Int, at now: Nanos) -> Bool {
        guard let k = parents.firstIndex(where: { $0.id == id }), !parents[k].isDone, parents[k].cancelTime == nil else { return false }
        parents[k].algorithm.cancel()
        parents[k].cancelTime = now
        parents[k].nextDecision = Nanos.min
        return true
    }

    /// Cancels every working parent.
    mutating func cancelAll(at now: Nanos) -> Int {
        var n = 0
        for p in parents where !p.isDone && p.cancelTime == nil { if cancel(p.id, at: now) { n += 1 } }
        return n
    }

    /// A trade print reaching the bot's side at local time `t`.
    mutating func observe(time t: Nanos, price: Ticks, quantity: Lots) {
        volume.append(time: t, quantity: quantity)
        for k in parents.indices where !parents[k].isDone && parents[k].inWindow(t) {
            parents[k].printVolume += quantity
            parents[k].printValue += Double(price) * Double(quantity)
        }
    }

    /// A fill of the manual account: counted by the parent owning the child.
    mutating func didFill(_ f: Fill) {
        for k in parents.indices where !parents[k].isDone && parents[k].children.contains(f.orderID) {
            parents[k].fills.append(f)
            parents[k].algorithm.didFill(f)
            return
        }
    }

    /// Decision time `t`: each working parent due decides on `manual` with `bot`'s book view;
    /// children take ids after `nextID` (the manual counter, advanced).
    mutating func decide(at t: Nanos, manual: inout Trader, bot: inout Trader, nextID: inout OrderID) {
        manual.time = t
        manual.exchangeBooks(with: &bot)
        defer { manual.exchangeBooks(with: &bot) }
        for k in parents.indices where !parents[k].isDone {
            if t < parents[k].nextDecision { continue }
            if parents[k].every > 0 { parents[k].nextDecision = t + parents[k].every }
            let first = nextID + 1
            parents[k].algorithm.nextID = first
            swap(&parents[k].algorithm.volume, &volume)
            parents[k].algorithm.decide(&manual)
            swap(&parents[k].algorithm.volume, &volume)
            let next = parents[k].algorithm.nextID
            if next > first {
                for id in first..<next { parents[k].children.insert(id) }
                nextID = next - 1
            }
            if parents[k].algorithm.finished { finish(k, at: t, manual: manual) }
        }
        if working == 0 { volume = VolumeCurve() }
    }

    private mutating func finish(_ k: Int, at t: Nanos, manual: Trader) {
        var p = parents[k]
        let a = p.algorithm
        p.orders = ContiguousArray(manual.orderRecords.filter { p.children.contains($0.id) })
        p.report = ExecutionReport.fromFills(a, fills: p.fills, printVolume: p.printVolume, printValue: p.printValue, end: t,
                                             cancelTime: p.cancelTime, requested: p.requested, valuation: manual.ledger.valuation)
        parents[k] = p
        working -= 1
    }
}

extension VolumeCurve {
    /// Appends `quantity` printed at local time `t` (times must not decrease).
    mutating func append(time t: Nanos, quantity: Lots) {
        let total = (cumulative.last ?? 0) + quantity
        if let last = times.last, last == t { cumulative[cumulative.count - 1] = total } else {
            times.append(t)
            cumulative.append(total)
        }
    }
}

extension LiveVenue {
    /// Starts a parent on the manual account at the current simulated time. `every`: time
    /// between its decisions (0: each of the venue's). Returns the parent's id.
    public mutating func startAlgorithm(_ parent: ParentOrder, style: ExecutionStyle, every: Nanos = 0, catchUp: Nanos? = nil,
                                        aggressive: Bool = false) -> Int
    {
        var profile: [Double]? = nil
        if case .vwap(let n) = style, let d = parent.duration {
            // Causal forecast: the volume curve of the equal window before now.
            var history = VolumeCurve()
            let from = now - d
            var i = recorded.count - 1
            while i >= 0 && recorded[i].localTime >= from { i -= 1 }
            var hasTrades = false
            for e in recorded[(i + 1)...] where e.kind == .trade { hasTrades = true; break }
            for e in recorded[(i + 1)...] where e.localTime <= now && VolumeCurve.isVolume(e.kind, feedHasTrades: hasTrades) {
                history.append(time: e.localTime, quantity: Lots(e.quantity))
            }
            profile = history.profile(start: from, duration: d, slices: n)
        }
        let interval = max(every, settings.decisionInterval)
        let algo = ExecutionAlgorithm(parent: parent, style: style, volume: VolumeCurve(), decisionInterval: interval, catchUp: catchUp,
                                      aggressive: aggressive, profile: profile)
        return algorithms.start(algo, every: every, at: now)
    }

    /// Cancels parent `id` (its open children are cancelled at the next decision time).
    public mutating func cancelAlgorithm(_ id: Int) -> Bool { algorithms.cancel(id, at: now) }
}

/// The shell's view of a venue's execution algorithms (`LiveVenueHandle` is type-erased; every
/// live venue box also conforms to this).
public protocol LiveAlgorithmHost: AnyObject {
    func startAlgorithm(_ parent: ParentOrder, style: ExecutionStyle, every: Nanos, catchUp: Nanos?, aggressive: Bool) -> Int
    func cancelAlgorithm(_ id: Int) -> Bool
    var algorithms: LiveAlgorithms { get }
    var decisionInterval: Nanos { get }
}

extension LiveVenueBox: LiveAlgorithmHost {
    func startAlgorithm(_ parent: ParentOrder, style: ExecutionStyle, every: Nanos, catchUp: Nanos?, aggressive: Bool) -> Int {
        venue.startAlgorithm(parent, style: style, every: every, catchUp: catchUp, aggressive: aggressive)
    }
    func cancelAlgorithm(_ id: Int) -> Bool { venue.cancelAlgorithm(id) }
    var algorithms: LiveAlgorithms { venue.algorithms }
    var decisionInterval: Nanos { venue.settings.decisionInterval }
}

extension LiveParent {
    /// The ended parent as a run's result (its children's orders and fills, the account they
    /// make alone, the report), as the dataset form stores. `mark`: the venue's mark now.
    public func result(valuation: Valuation, settings: BacktestSettings, markHalfTicks mark: Int64, stoppedEarly: Bool) -> BacktestResult {
        var ledger = Ledger(valuation: valuation)
        var totals = ExchangeTotals()
        var own = fills
        for (k, f) in fills.enumerated() {
            ledger.apply(side: f.side, price: f.price, quantity: f.quantity, value: f.value, fee: f.fee)
            // The parent's own position (the manual account may hold other parents' and typed orders).
            own[k].positionAfter = ledger.position
            totals.fills += 1
            totals.position += f.side == .buy ? f.quantity : -f.quantity
            totals.cash += valuation.cashFlow(side: f.side, value: f.value)
            totals.fees += f.fee
            totals.tradedQuantity += f.quantity
            totals.tradedValue += f.value
        }
        var counters = RequestCounters()
        counters.submitted = orders.count
        var s = settings
        s.decisionInterval = algorithm.decisionInterval
        let start = report?.start ?? requested
        let end = report?.end ?? start
        var r = BacktestResult(valuation: valuation, settings: s, startTime: start, endTime: max(end, start), steps: 0,
                               exchangeEvents: 0, localEvents: 0, fills: own, orders: orders, equity: [], counters: counters,
                               position: ledger.position, cash: ledger.cash, fees: ledger.fees, realized: ledger.realized,
                               tradedValue: ledger.tradedValue, tradedQuantity: ledger.tradedQuantity, finalMarkHalfTicks: mark,
                               exchangeTotals: totals, tickToOrder: LatencyHistogram(), orderRoundTrip: LatencyHistogram(),
                               stoppedEarly: stoppedEarly, sharedBook: false)
        r.execution = report
        return r
    }
}

extension LiveParent {
    /// The report of a parent still working at `t` (a session that stops under it): what filled,
    /// marked cancelled; the ended parent's own report otherwise.
    public func reportSoFar(at t: Nanos) -> ExecutionReport {
        if let r = report { return r }
        let a = algorithm
        var fees = Money.zero
        for f in fills { fees += f.fee }
        let vwap = intervalVWAPTicks
        var vs: Double? = nil
        if let x = averagePriceTicks, let b = vwap, b != 0 { vs = (a.parent.side == .buy ? 1.0 : -1.0) * (x - b) / b * 10_000 }
        return ExecutionReport(algorithm: a.style.name, side: a.parent.side, quantity: a.parent.quantity, filled: filled,
                               completion: Double(filled) / Double(a.parent.quantity), childOrders: a.childOrders,
                               passiveChildren: a.passiveChildren, aggressiveChildren: a.aggressiveChildren, fills: fills.count,
                               makerFills: fills.filter(\.isMaker).count, averagePriceTicks: averagePriceTicks,
                               arrivalMidTicks: arrivalMidTicks ?? 0, intervalVWAPTicks: vwap, marketVolume: printVolume,
                               participation: printVolume > 0 ? Double(filled) / Double(printVolume) : nil,
                               slippageVsArrivalBps: slippageVsArrivalBps, slippageVsVWAPBps: vs, shortfall: nil, fees: fees,
                               start: a.startTime == 0 ? requested : a.startTime, end: t, cancelled: true)
    }
}
