import Foundation
import Synchronization
public import MithaiEngine
import MithaiMarketData

/// What an observer of a live session sees after each batch, per instrument (see
/// `LiveSessionObject.observe`). Simulated time; money as doubles in the instrument's currency.
public struct LiveTick: Sendable {
    public struct Instrument: Sendable {
        public var symbol: String
        /// Mid price (NaN while a side is empty).
        public var mid: Double
        /// Bot and manual positions in the instrument's quantity units.
        public var botPosition: Double
        public var manualPosition: Double
        /// Net P&L (marked at the mid, after fees).
        public var botPnL: Double
        public var manualPnL: Double
        /// Order round trip percentiles of the bot (ns, simulated), nil before the first answer.
        public var roundTripP50: Int64?
        public var roundTripP99: Int64?
    }
    /// Simulated time, ns since the epoch.
    public var time: Nanos
    public var instruments: [Instrument]
    /// Simulated events processed so far (all instruments).
    public var events: Int
    public var state: LiveSessionObject.State
}

/// One instrument of a running session: its venue and what is needed to turn it into a run.
final class LiveLeg: @unchecked Sendable {
    // @unchecked: only touched under the session's lock.
    let instrument: Instrument
    let venue: any LiveVenueHandle
    let configuration: BacktestConfiguration
    let inventoryLimit: Lots
    let base: Ticks
    init(instrument: Instrument, venue: any LiveVenueHandle, configuration: BacktestConfiguration, inventoryLimit: Lots, base: Ticks) {
        self.instrument = instrument
        self.venue = venue
        self.configuration = configuration
        self.inventoryLimit = inventoryLimit
        self.base = base
    }
}

/// A live session: venues running in simulated time on a background thread, paced against the
/// wall clock (`speed`), under one lock. Commands take the lock briefly to read or to send
/// orders; the runner takes it for one batch at a time (at most ~2 ms of work at `speed=max`),
/// so the shell answers within a batch.
///
/// Lifecycle: running ⇄ paused → stopped (by `stop`, the `for=` duration, the venue's close,
/// or the end of a replayed dataset). A stopped session holds its runs until a command
/// collects them into the workspace.
public final class LiveSessionObject: WorkspaceObject, @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`; `let`s are immutable.
    public enum State: String, Sendable { case running, paused, stopped }

    public let kind = "live"
    public let name: String
    public let market: MarketObject
    public let strategy: StrategyObject
    /// Simulated seconds per wall second; nil = as fast as possible.
    public let speed: Double?
    public let duration: Nanos?
    let legs: [LiveLeg]
    let lock = SessionLock()
    private var state: State
    private var stopReason = ""
    private var wallStart = ContinuousClock.now
    private var simAtWallStart: Nanos = 0
    private var endTime: Nanos = Nanos.max
    private var observers: [@Sendable (LiveTick) -> Void] = []
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    private var finishedFlag = false
    /// The runs made when the session stopped (one per instrument), once collected.
    private(set) var runs: [RunObject] = []
    /// Wall time spent in the engine and events processed (for `bench` and `status`).
    private(set) var engineSeconds: Double = 0
    private(set) var batches = 0

    // MARK: Alerts (under `lock`)

    /// Live alerts are checked at instants that do not depend on pacing (speed, machine load,
    /// batch ends), so a session fires the same alerts at the same instants at 10x, at max and
    /// when stepped:
    /// - a rule over prices only (mid, bid, ask, spread, last) at every market event that
    ///   changes one of its values, at the event's local time (the bot's view of the book is
    ///   followed by a shadow book fed from the venue's recorded feed, `AlertShadow`);
    /// - other rules, and rules with `check=DURATION`, on a grid of simulated time: multiples
    ///   of their step since the epoch (default `alertStep`).
    /// At one instant, event-checked rules come before grid-checked ones; within each, the
    /// order of definition.
    public static let alertStep: Nanos = AlertRule.standardInterval
    /// The session's copy of the user's alert book (its own firing state), kept in step with
    /// `alertInbox`'s published rules; nil without an inbox.
    private var alerts: AlertBook
    private let alertInbox: AlertInbox?
    /// The next instant of each grid step in use.
    private var nextAlertChecks: [Nanos: Nanos] = [:]
    /// Per leg: the shadow book and last trade of event-checked rules, and the price values
    /// they last saw.
    private var shadows: [AlertShadow] = []
    private var eventValues: [String: Double] = [:]
    /// Highest bot equity seen at a check (for `drawdown(LIVE)`), and the values' zone.
    private var peakEquity = -Double.infinity
    private let alertZone: String

    init(name: String, market: MarketObject, strategy: StrategyObject, speed: Double?, duration: Nanos?, legs: [LiveLeg],
         paused: Bool, alerts: AlertBook = AlertBook(), alertInbox: AlertInbox? = nil)
    {
        var book = alerts
        book.beginTimeline()
        self.alerts = book
        self.alertInbox = alertInbox
        let zone = legs.first?.instrument.timeZone ?? ""
        alertZone = zone.isEmpty ? "UTC" : zone
        self.name = name
        self.market = market
        self.strategy = strategy
        self.speed = speed
        self.duration = duration
        self.legs = legs
        self.state = paused ? .paused : .running
        // t0 of every leg: the first event (the same instant for all flow venues of a market).
        for l in legs { l.venue.run(to: Nanos.min + 1) }
        let t0 = legs.map(\.venue.startTime).min() ?? 0
        simAtWallStart = t0
        if let d = duration { endTime = t0 + d }
        shadows = legs.map { _ in AlertShadow() }
    }

    /// The first multiple of `step` strictly after `t`.
    static func gridPoint(after t: Nanos, step: Nanos = alertStep) -> Nanos {
        let q = t >= 0 ? t / step : (t - step + 1) / step
        return (q + 1) * step
    }

    public var summary: String {
        "live \(name): \(strategy.name) on \(market.name) [\(currentState.rawValue)]"
    }
    public var display: String { summary }
    public var canonical: String { "live|\(name)|\(strategy.summary)|\(market.canonical)|\(speed.map { String($0) } ?? "max")|\(duration ?? 0)" }

    public var currentState: State { lock.withLock { state } }

    /// Registers `body`, called on the runner thread after every batch (outside the lock) with
    /// the state at that simulated time. For alerts, servers and recorders built on top.
    public func observe(_ body: @escaping @Sendable (LiveTick) -> Void) {
        lock.withLock { observers.append(body) }
    }

    /// Simulated time now (the slowest leg's).
    public var now: Nanos { lock.withLock { legs.map(\.venue.now).min() ?? 0 } }

    // MARK: Control

    func start() {
        let t = Thread { [self] in self.loop() }
        t.name = "mithai-live-\(name)"
        t.stackSize = 1 << 22
        thread = t
        LiveSessions.register(self)
        t.start()
    }

    func pause() {
        lock.withLock { if state == .running { state = .paused } }
    }

    func resume() {
        lock.withLock {
            guard state == .paused else { return }
            state = .running
            for l in legs { l.venue.botHalted = false }
            wallStart = ContinuousClock.now
            simAtWallStart = legs.map(\.venue.now).min() ?? simAtWallStart
        }
    }

    /// Stops the session (the runner finishes its batch, then makes the runs).
    func stop(reason: String = "stopped") {
        lock.withLock {
            if state != .stopped { state = .stopped; stopReason = reason }
        }
        waitUntilDone()
    }

    /// Blocks until the session has stopped and its runs are made.
    func waitUntilDone() {
        if lock.withLock({ finishedFlag }) { return }
        done.wait()
        done.signal()
    }

    /// Advances a paused session by `span` of simulated time, synchronously.
    func step(_ span: Nanos) {
        lock.withLock {
            guard state == .paused else { return }
            let target = (legs.map(\.venue.now).min() ?? 0) + span
            advance(to: min(target, endTime))
        }
    }

    /// With the lock held: runs all legs to `target`; stops the session when they finish or
    /// the duration is reached.
    private func advance(to target: Nanos) {
        let t0 = ContinuousClock.now
        var anyRunning = false
        if let inbox = alertInbox, let newer = inbox.rules(ifNewerThan: alerts.revision) { alerts.sync(rules: newer) }
        let hasAlerts = alertInbox != nil && !alerts.valueNames.isEmpty
        // The grid steps in use; a step new to the session starts after the current time.
        let now = legs.map(\.venue.now).min() ?? 0
        var steps = Set<Nanos>()
        var eventWanted: [String] = []
        if hasAlerts {
            for r in alerts.rules where alerts.isArmed(r.name) {
                if let d = r.checkInterval { steps.insert(d) }
            }
            eventWanted = alerts.valueNames { $0.checkInterval == nil }
        }
        for d in nextAlertChecks.keys where !steps.contains(d) { nextAlertChecks[d] = nil }
        for d in steps where nextAlertChecks[d] == nil { nextAlertChecks[d] = Self.gridPoint(after: now, step: d) }
        if eventWanted.isEmpty {
            // Nothing follows events: the shadows catch up when next needed.
            for k in shadows.indices { shadows[k].stale = true }
        } else {
            catchUpShadows(wanted: eventWanted)
        }
        // Run to each grid instant in (now, target], check the alerts there (the events
        // before it first), then on to the target.
        while let t = nextAlertChecks.values.min(), t <= target {
            var running = false
            for l in legs where !l.venue.finished {
                if l.venue.run(to: t) { running = true }
            }
            if !eventWanted.isEmpty { followEvents(through: t, wanted: eventWanted) }
            let due = Set(nextAlertChecks.filter { $0.value == t }.keys)
            let wanted = alerts.valueNames { r in r.checkInterval.map { due.contains($0) } ?? false }
            checkAlerts(at: t, wanted: wanted, due: due)
            for d in due { nextAlertChecks[d]! += d }
            if !running { break }
        }
        for l in legs where !l.venue.finished {
            if l.venue.run(to: target) { anyRunning = true }
        }
        if !eventWanted.isEmpty { followEvents(through: target, wanted: eventWanted) }
        let el = ContinuousClock.now - t0
        engineSeconds += Double(el.components.seconds) + Double(el.components.attoseconds) / 1e18
        batches += 1
        if !anyRunning { state = .stopped; stopReason = "feed ended" }
        if target >= endTime { state = .stopped; stopReason = "duration reached" }
    }

    /// With the lock held: evaluates the session's alert book on the values at simulated time
    /// `t` and posts what fires. Values (docs/ALERTS.md): per instrument, under its symbol (and
    /// the market's name for the first instrument, the replayed dataset's name for a replay):
    /// `mid` `bid` `ask` `spread` `last` in price units; for the bot, under the session's name:
    /// `position` (first instrument, in its units), `pnl` (net of fees, summed), `drawdown`
    /// (peak-to-now of pnl at the checks), `drawdown%` (of max position × mid), `fills`;
    /// `latency.p50/p99/p999` (order round trip of the first instrument's bot).
    private func checkAlerts(at t: Nanos, wanted: [String], due: Set<Nanos>) {
        let want = Set(wanted)
        var values: [String: Double] = [:]
        var equity = 0.0, fills = 0.0
        for (k, l) in legs.enumerated() {
            let v = l.venue
            let tick = l.instrument.tickSize.doubleValue
            var aliases = [l.instrument.symbol]
            if k == 0 { aliases.append(market.name); if let d = market.replay { aliases.append(d.name) } }
            let book = v.book
            let bid = book.bestBid == Ticks.min || book.bestBid == Ticks.max ? Double.nan : Double(book.bestBid) * tick
            let ask = book.bestAsk == Ticks.min || book.bestAsk == Ticks.max ? Double.nan : Double(book.bestAsk) * tick
            for a in aliases {
                if want.contains("mid(\(a))") { values["mid(\(a))"] = v.markHalfTicks == 0 ? .nan : Double(v.markHalfTicks) / 2 * tick }
                if want.contains("bid(\(a))") { values["bid(\(a))"] = bid }
                if want.contains("ask(\(a))") { values["ask(\(a))"] = ask }
                if want.contains("spread(\(a))") { values["spread(\(a))"] = bid.isNaN || ask.isNaN ? .nan : Double(book.bestAsk - book.bestBid) * tick }
                if want.contains("last(\(a))"), let e = v.recentTrades(1).first { values["last(\(a))"] = Double(v.base + Ticks(e.price)) * tick }
            }
            equity += v.valuation.scale.double(v.bot.equity)
            fills += Double(v.bot.fills)
        }
        peakEquity = max(peakEquity, equity)
        if let l = legs.first {
            let v = l.venue
            let lot = l.instrument.lotSize.doubleValue
            values["position(\(name))"] = Double(v.bot.position) * lot
            values["pnl(\(name))"] = equity
            values["drawdown(\(name))"] = peakEquity - equity
            let mid = Double(v.markHalfTicks) / 2 * l.instrument.tickSize.doubleValue
            if mid > 0 && l.inventoryLimit > 0 { values["drawdown%(\(name))"] = (peakEquity - equity) / (Double(l.inventoryLimit) * lot * mid) }
            values["fills(\(name))"] = fills
            if let p = v.roundTrip.percentile(50) { values["latency.p50"] = Double(p) }
            if let p = v.roundTrip.percentile(99) { values["latency.p99"] = Double(p) }
            if let p = v.roundTrip.percentile(99.9) { values["latency.p999"] = Double(p) }
        }
        alertInbox?.post(alerts.evaluate(AlertSnapshot(time: t, values: values), where: { r in r.checkInterval.map { due.contains($0) } ?? false }),
                         zone: alertZone)
    }

    /// With the lock held: brings stale shadow books (event-checked rules were just added, or
    /// the session starts) up to what the bot's side has seen, silently, then evaluates the
    /// event-checked rules once on that state at the session's current time.
    private func catchUpShadows(wanted: [String]) {
        guard shadows.contains(where: \.stale) else { return }
        withFeeds { feeds in
            for k in shadows.indices where shadows[k].stale {
                shadows[k].stale = false
                let f = feeds[k], base = legs[k].venue.base, now = legs[k].venue.now
                while shadows[k].cursor < f.count && f[shadows[k].cursor].localTime <= now {
                    shadows[k].apply(f[shadows[k].cursor], base: base)
                    shadows[k].cursor += 1
                }
            }
        }
        let want = Set(wanted)
        for k in legs.indices { publish(k, want) }
        let t = legs.map(\.venue.now).min() ?? 0
        let fired = alerts.evaluate(AlertSnapshot(time: t, values: eventValues), where: { $0.checkInterval == nil })
        if !fired.isEmpty { alertInbox?.post(fired, zone: alertZone) }
    }

    /// With the lock held: feeds each leg's shadow book the market events the bot's side has
    /// seen up to local time `t` (merged across legs by local time), and after each event that
    /// changes a wanted price value evaluates the event-checked rules at that event's time.
    private func followEvents(through t: Nanos, wanted: [String]) {
        let want = Set(wanted)
        withFeeds { feeds in
            while true {
                // The leg whose next event is earliest (ties: leg order).
                var pick = -1
                var at = Nanos.max
                for k in legs.indices {
                    let c = shadows[k].cursor
                    if c < feeds[k].count, feeds[k][c].localTime <= t, feeds[k][c].localTime < at { at = feeds[k][c].localTime; pick = k }
                }
                guard pick >= 0 else { break }
                let f = feeds[pick]
                let e = f[shadows[pick].cursor]
                shadows[pick].cursor += 1
                if shadows[pick].apply(e, base: legs[pick].venue.base) { shadows[pick].dirty = true }
                // Looked at only at the end of a message (a market order's executions and
                // prints, the opening book): never a half-applied book.
                let c = shadows[pick].cursor
                let end = e.flags.contains(.endOfMessage) || c >= f.count || f[c].localTime != e.localTime
                guard end, shadows[pick].dirty else { continue }
                shadows[pick].dirty = false
                guard publish(pick, want) else { continue }
                let fired = alerts.evaluate(AlertSnapshot(time: e.localTime, values: eventValues), where: { $0.checkInterval == nil })
                if !fired.isEmpty { alertInbox?.post(fired, zone: alertZone) }
            }
        }
    }

    /// Calls `body` with each leg's market events as the bot's side receives them: the
    /// recorded feed of a flow venue, the dataset of a replay (no copies).
    private func withFeeds(_ body: ([UnsafeBufferPointer<Event>]) -> Void) {
        if let d = market.replay {
            d.dataset.withEvents { body([$0]) }
            return
        }
        func nest(_ k: Int, _ acc: [UnsafeBufferPointer<Event>]) {
            if k == legs.count { body(acc); return }
            legs[k].venue.recorded.withUnsafeBufferPointer { nest(k + 1, acc + [$0]) }
        }
        nest(0, [])
    }

    /// Writes leg `k`'s wanted price values into `eventValues` under each of its names (its
    /// symbol; for the first leg also the market's name and a replayed dataset's); true when
    /// one changed. NaN (a side empty, no trade yet) makes a condition unknown.
    @discardableResult
    private func publish(_ k: Int, _ want: Set<String>) -> Bool {
        var aliases = [legs[k].instrument.symbol]
        if k == 0 { aliases.append(market.name); if let d = market.replay { aliases.append(d.name) } }
        let sh = shadows[k]
        let tick = legs[k].instrument.tickSize.doubleValue
        let bid = sh.bid.map { Double($0) * tick } ?? .nan
        let ask = sh.ask.map { Double($0) * tick } ?? .nan
        let last = sh.last.map { Double($0) * tick } ?? .nan
        var changed = false
        func set(_ n: String, _ v: Double) {
            guard want.contains(n) else { return }
            if let old = eventValues[n], old == v || (old.isNaN && v.isNaN) { return }
            eventValues[n] = v
            changed = true
        }
        for a in aliases {
            set("mid(\(a))", bid.isNaN || ask.isNaN ? .nan : (bid + ask) / 2)
            set("bid(\(a))", bid)
            set("ask(\(a))", ask)
            set("spread(\(a))", bid.isNaN || ask.isNaN ? .nan : ask - bid)
            set("last(\(a))", last)
        }
        return changed
    }

    // MARK: Runner

    private func loop() {
        while true {
            var sleepFor: Double = 0
            var finished = false
            var tick: LiveTick?
            var callbacks: [@Sendable (LiveTick) -> Void] = []
            lock.withLock {
                switch state {
                case .stopped:
                    finished = true
                case .paused:
                    sleepFor = 0.01
                case .running:
                    let now = legs.map(\.venue.now).min() ?? 0
                    let target: Nanos
                    if let speed {
                        let wall = ContinuousClock.now - wallStart
                        let ns = Double(wall.components.seconds) * 1e9 + Double(wall.components.attoseconds) / 1e9
                        target = min(endTime, simAtWallStart + Nanos(ns * speed))
                        sleepFor = 0.005
                    } else {
                        // As fast as possible, in slices of about 4,000 events (a millisecond or
                        // two of engine work), so commands wait at most one slice for the lock.
                        let t0 = legs.map(\.venue.startTime).min() ?? now
                        let elapsed = Double(max(1, now - t0)) / 1e9
                        let rate = totalEvents > 0 ? Double(totalEvents) / elapsed : 1000
                        let span = Nanos(min(60e9, max(1e6, 4000 / rate * 1e9)))
                        target = min(endTime, now + span)
                    }
                    if target > now { advance(to: target) }
                    if !observers.isEmpty {
                        tick = snapshotTick()
                        callbacks = observers
                    }
                    if state == .stopped { finished = true }
                }
            }
            if let tick { for c in callbacks { c(tick) } }
            if finished { break }
            if sleepFor > 0 { Thread.sleep(forTimeInterval: sleepFor) } else { lock.yieldToWaiters() }
        }
        finish()
    }

    /// Events processed by every leg's exchange side.
    var totalEvents: Int { legs.reduce(0) { $0 + $1.venue.exchangeEvents } }

    private func finish() {
        lock.withLock { finishedFlag = true }
        LiveSessions.unregister(self)
        done.signal()
    }

    /// True once stopped and finished.
    var isFinished: Bool { lock.withLock { finishedFlag } }

    /// Makes the runs of a finished session under `names` (one per leg), once; later calls
    /// return the same runs. Empty while the session is still going.
    func collectRuns(names: [String]) -> (runs: [RunObject], fresh: Bool) {
        lock.withLock {
            guard finishedFlag else { return ([], false) }
            if !runs.isEmpty { return (runs, false) }
            runs = legs.enumerated().map { (k, l) in makeRun(l, name: names[k]) }
            return (runs, true)
        }
    }

    /// True once `collectRuns` made the session's stored runs.
    var hasStoredRuns: Bool { lock.withLock { !runs.isEmpty } }

    /// The bot's runs so far (one per leg), named after the session, without stopping it.
    func runsSoFar() -> [RunObject] {
        lock.withLock {
            legs.map { l in makeRun(l, name: legs.count == 1 ? name : "\(name).\(l.instrument.symbol)") }
        }
    }

    /// The bot's run on one leg, as a stored run (the feed becomes the run's dataset).
    private func makeRun(_ l: LiveLeg, name runName: String) -> RunObject {
        let result = l.venue.result(stoppedEarly: stopReason == "stopped")
        let data = Dataset.simulated(l.venue.recorded, instrument: l.instrument, baseTick: l.base,
                                     source: "market \(market.name) \(l.instrument.symbol)")
        let dataName = legs.count == 1 ? market.name : "\(market.name).\(l.instrument.symbol)"
        let dataObject = DatasetObject(name: dataName, dataset: data, instrument: l.instrument)
        let stats = RunStatistics(result, options: .init(binLength: Time.day, inventoryLimit: l.inventoryLimit))
        let text: [(String, String)] = [("live", name), ("market", market.name), ("speed", speed.map { "\(Format.real($0))x" } ?? "max"),
                                        ("seed", String(market.seed)), ("from", String(result.startTime)), ("to", String(result.endTime)),
                                        ("stop", stopReason)]
        return RunObject(name: runName, strategy: strategy, data: dataObject, configuration: l.configuration, configurationText: text,
                         result: result, statistics: stats, status: stopReason == "stopped" ? "stopped" : "complete",
                         seconds: engineSeconds)
    }

    // MARK: Snapshots (call with the lock held)

    func snapshotTick() -> LiveTick {
        LiveTick(time: legs.map(\.venue.now).min() ?? 0, instruments: legs.map { l in
            let v = l.venue
            let mid = v.markHalfTicks == 0 ? Double.nan : Double(v.markHalfTicks) / 2 * l.instrument.tickSize.doubleValue
            let lot = l.instrument.lotSize.doubleValue
            return LiveTick.Instrument(symbol: l.instrument.symbol, mid: mid, botPosition: Double(v.bot.position) * lot,
                                       manualPosition: Double(v.manualAccount.position) * lot,
                                       botPnL: v.valuation.scale.double(v.bot.equity),
                                       manualPnL: v.valuation.scale.double(v.manualAccount.equity),
                                       roundTripP50: v.roundTrip.percentile(50), roundTripP99: v.roundTrip.percentile(99))
        }, events: totalEvents, state: state)
    }

    /// A consistent copy of the state for display.
    public func tick() -> LiveTick { lock.withLock { snapshotTick() } }

    var stopDescription: String { lock.withLock { stopReason } }
}


/// Every running live session of the process, so scripts and piped input can wait for them
/// before exiting.
public enum LiveSessions {
    private static let running = Mutex<[LiveSessionObject]>([])

    static func register(_ s: LiveSessionObject) { running.withLock { $0.append(s) } }
    static func unregister(_ s: LiveSessionObject) { running.withLock { $0.removeAll { $0 === s } } }

    /// Number of sessions still running.
    public static var count: Int { running.withLock { $0.count } }

    /// Whether a session is running now (not paused, not stopped).
    public static var anyRunning: Bool { running.withLock { $0.contains { $0.currentState == .running } } }

    /// Blocks until every live session has ended (paused ones are resumed: a script that ends
    /// with a paused session would otherwise never exit).
    public static func waitAll() {
        while let s = running.withLock({ $0.first }) {
            s.resume()
            s.waitUntilDone()
            unregister(s)
        }
    }

    /// Stops every live session (interactive exit).
    public static func stopAll() {
        while let s = running.withLock({ $0.first }) {
            s.stop()
            unregister(s)
        }
    }
}

/// The bot's view of one leg's book for event-checked alerts: an L3 book fed with the events
/// the bot's side receives (the same events, in the same order, as `Trader.apply`), the last
/// trade, and how far into the feed it is.
struct AlertShadow {
    var book = L3Book()
    var last: Ticks? = nil
    var cursor = 0
    /// True when it has not followed the feed (no event-checked rule): it catches up silently.
    var stale = true
    /// The message being applied changed the top of book or the last trade.
    var dirty = false

    var bid: Ticks? { let b = book.bestBid; return b == Ticks.min || b == Ticks.max ? nil : b }
    var ask: Ticks? { let a = book.bestAsk; return a == Ticks.min || a == Ticks.max ? nil : a }

    /// Applies `e`; true when the top of book or the last trade may have changed.
    @discardableResult
    mutating func apply(_ e: Event, base: Ticks) -> Bool {
        if e.kind == .trade {
            last = base + Ticks(e.price)
            return true
        }
        let (b, a) = (book.bestBid, book.bestAsk)
        book.apply(e, base: base)
        return book.bestBid != b || book.bestAsk != a
    }
}

/// The live session's mutex, fair to commands: a thread that wants it says so, and the runner,
/// between two slices at max speed, lets such threads take it before it takes it again. (A
/// plain mutex is not fair: a runner that re-locks at once kept a waiting command out for
/// hundreds of milliseconds on an idle machine.)
final class SessionLock: @unchecked Sendable {
    // @unchecked: NSLock and Atomic are thread-safe; nothing else is stored.
    private let mutex = NSLock()
    private let waiting = Atomic<Int>(0)

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        waiting.add(1, ordering: .sequentiallyConsistent)
        mutex.lock()
        waiting.subtract(1, ordering: .sequentiallyConsistent)
        defer { mutex.unlock() }
        return try body()
    }

    /// For the runner, without the lock: waits (at most about 50 ms) until every thread that
    /// was waiting for the lock has had it.
    func yieldToWaiters() {
        var rounds = 0
        while waiting.load(ordering: .sequentiallyConsistent) > 0 && rounds < 2_000 {
            usleep(25)
            rounds += 1
        }
    }
}
