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
    let lock = NSLock()
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

    /// Live alerts are checked on a fixed grid of simulated time (multiples of this step since
    /// the epoch), never at batch ends: batches depend on pacing (speed, machine load), the
    /// grid does not, so a session fires the same alerts at the same instants at 10x and max.
    public static let alertStep: Nanos = 100 * Time.millisecond
    /// The session's copy of the user's alert book (its own firing state), kept in step with
    /// `alertInbox`'s published rules; nil without an inbox.
    private var alerts: AlertBook
    private let alertInbox: AlertInbox?
    /// The next grid instant to check.
    private var nextAlertCheck: Nanos = 0
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
        let now = legs.map(\.venue.now).min() ?? t0
        nextAlertCheck = Self.gridPoint(after: now)
    }

    /// The first multiple of `alertStep` strictly after `t`.
    static func gridPoint(after t: Nanos) -> Nanos {
        let q = t >= 0 ? t / alertStep : (t - alertStep + 1) / alertStep
        return (q + 1) * alertStep
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
        let wanted = alertInbox == nil ? [] : alerts.valueNames
        if wanted.isEmpty {
            nextAlertCheck = max(nextAlertCheck, Self.gridPoint(after: target))
        } else {
            // Run to each grid instant in (now, target], check the alerts there, then on to
            // the target.
            while nextAlertCheck <= target {
                var running = false
                for l in legs where !l.venue.finished {
                    if l.venue.run(to: nextAlertCheck) { running = true }
                }
                checkAlerts(at: nextAlertCheck, wanted: wanted)
                nextAlertCheck += Self.alertStep
                if !running { break }
            }
        }
        for l in legs where !l.venue.finished {
            if l.venue.run(to: target) { anyRunning = true }
        }
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
    private func checkAlerts(at t: Nanos, wanted: [String]) {
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
        alertInbox?.post(alerts.evaluate(AlertSnapshot(time: t, values: values)), zone: alertZone)
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
            if sleepFor > 0 { Thread.sleep(forTimeInterval: sleepFor) }
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
