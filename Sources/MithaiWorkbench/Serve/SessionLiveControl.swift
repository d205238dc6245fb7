import Foundation
import Synchronization
import MithaiLanguage
import MithaiEngine
import MithaiMarketData

/// The session's `LiveControl`: the bot behind `serve` is the session's live session.
///
/// - `start` with `market` runs, as statements of the session (journaled, kept by `.save`),
///   `market NAME = zi preset=KEY seed=S` when the market is a preset, `strategy botN = KIND ...`
///   when the strategy is a kind, then `live STRAT on MARKET speed=Nx ...`. A session started in
///   the shell with `live` is followed the same way (`LiveCommands.live` calls `attach`).
/// - `stop` stops the live session and runs `stop`, so it becomes a stored run (r1, r2, ...).
/// - `start` with `dataset` keeps the paced backtest replay (`BacktestReplayControl`).
///
/// Frames come from the live session's observer hook (`LiveSessionObject.observe`), called on
/// its runner thread after every batch: at most `framesPerSecond` of them per wall second do
/// any work (the lock of the live session is taken for a few microseconds to read the book,
/// the bot's account and its new fills); a small thread publishes `status` once a second, also
/// while the session is paused or after it stopped. Locks: the control's own mutex is never
/// held while taking the live session's lock or the session's (`access`).
public final class SessionLiveControl: LiveControl {
    struct Followed {
        var session: LiveSessionObject
        /// Identity of this follow: frames of an older session are ignored.
        var generation: Int
        var prices: [PriceFrame] = []
        var pnl: [PnLFrame] = []
        var mids: [(Nanos, Double)] = []
        var lastFrame: ContinuousClock.Instant
        var lastStats: ContinuousClock.Instant
        var frameNumber = 0
        var publishedFills = 0
        var lastTradeTime: Nanos = .min
        var lastTrade: Double?
        var perf = Perf()
        var runs: [String]?
        var finalStatusSent = false
    }
    struct Perf { var winRate: Double?; var sharpe: Double?; var maxDrawdown: Double?; var roundTrips = 0; var makerFills = 0 }

    private struct State {
        var followed: Followed?
        /// True while the replay bot (dataset) is the one shown.
        var replayActive = false
        var generation = 0
    }

    private let access: SessionAccess
    private let broadcaster = LiveBroadcaster()
    /// The bot for `start` with a dataset.
    public let replay: BacktestReplayControl
    private let state = Mutex(State())

    public static let framesPerSecond = BacktestReplayControl.framesPerSecond
    static let bookLevels = BacktestReplayControl.maxLevels

    public init(access: SessionAccess) {
        self.access = access
        self.replay = BacktestReplayControl(access: access, broadcaster: broadcaster)
    }

    /// Subscribers still connected.
    public var subscriberCount: Int { broadcaster.count }

    private var followedSession: LiveSessionObject? { state.withLock { $0.replayActive ? nil : $0.followed?.session } }

    // MARK: - LiveControl

    public func attach(_ session: LiveSessionObject) {
        let generation: Int = state.withLock { s in
            s.generation += 1
            let now = ContinuousClock.now
            s.followed = Followed(session: session, generation: s.generation, lastFrame: now - .seconds(1), lastStats: now - .seconds(10))
            s.replayActive = false
            return s.generation
        }
        _ = replay.stop()
        session.observe { [weak self] _ in self?.onBatch(generation, force: false) }
        let thread = Thread { [weak self] in
            while let self, self.heartbeat(generation) { Thread.sleep(forTimeInterval: 1) }
        }
        thread.name = "mithai-serve-status"
        thread.start()
        broadcaster.publish(.status(status()))
    }

    public func status() -> LiveStatus {
        guard let f = state.withLock({ s in s.replayActive ? nil : s.followed }) else { return replay.status() }
        return Self.status(of: f)
    }

    public func start(_ request: LiveStartRequest) throws(LiveRequestError) -> LiveStatus {
        guard request.market != nil else {
            guard request.dataset != nil else {
                throw LiveRequestError(field: "dataset", "dataset or market is required: a loaded dataset to replay, or a live market (a market of the session or a preset such as binance:BTCUSDT)")
            }
            // Checked and started first: a bad request leaves the live session running.
            _ = try replay.start(request)
            state.withLock { $0.replayActive = true }
            stopLive()
            return replay.status()
        }
        if request.dataset != nil {
            throw LiveRequestError(field: "dataset", "pass a market or a dataset, not both (to run live on a dataset: market NAME = replay DATA in the shell, then market=NAME)")
        }
        let speed = request.speed ?? 1
        guard speed.isFinite, speed > 0, speed <= 1_000_000 else {
            throw LiveRequestError(field: "speed", "speed is a multiple of real time in (0, 1000000], e.g. 10")
        }
        // The request is checked (names, options) before anything is stopped.
        let statements = try access.exclusive { session throws(LiveRequestError) in try Self.statements(for: request, speed: speed, session: session) }
        _ = replay.stop()
        // A running live session is stopped first (it becomes a run), outside the session lock
        // so a shell statement waiting on it (`wait`) can finish.
        stopLive()
        try access.exclusive { session throws(LiveRequestError) in
            do throws(Session.OnBehalfError) { _ = try session.executeOnBehalf(statements.texts) } catch {
                let text = statements.texts[error.index]
                var field = statements.field(of: text)
                if error.index == statements.texts.count - 1 {
                    field = "options"
                    if case .diagnostic(let d) = error.error {
                        field = statements.optionField(at: d.range.lower) ?? (request.params == nil ? "strategy" : "params")
                    }
                }
                throw LiveRequestError(field: field, BacktestReplayControl.message(error.error))
            }
        }
        // `live` attached the new session.
        return status()
    }

    public func stop() -> LiveStatus {
        if state.withLock({ $0.replayActive }) || state.withLock({ $0.followed == nil }) { return replay.stop() }
        stopLive()
        return status()
    }

    public func fills(before: Int?, limit: Int) -> LiveFillPage {
        guard let s = followedSession else { return replay.fills(before: before, limit: limit) }
        let leg = s.legs[0]
        let (fills, scale) = s.lock.withLock { (leg.venue.botFills, leg.venue.valuation.scale) }
        let total = fills.count
        let upper = min(total, max(0, (before ?? Int.max) - 1))
        let lower = max(0, upper - max(0, limit))
        let page = (lower..<upper).reversed().map { Self.fill(fills[$0], seq: $0 + 1, leg: leg, scale: scale) }
        return LiveFillPage(total: total, fills: page, nextBefore: lower > 0 ? lower + 1 : nil)
    }

    public func book(levels: Int) -> LiveBook? {
        guard let s = followedSession else { return replay.book(levels: levels) }
        return Self.book(s, levels: levels)
    }

    public func history(limit: Int) -> LiveHistory {
        let h: LiveHistory? = state.withLock { s in
            guard !s.replayActive, let f = s.followed else { return nil }
            let n = max(0, limit)
            return LiveHistory(prices: Array(f.prices.suffix(n)), pnl: Array(f.pnl.suffix(n)))
        }
        return h ?? replay.history(limit: limit)
    }

    public func subscribe(capacity: Int) -> LiveSubscription {
        let sub = broadcaster.subscribe(capacity: capacity)
        sub.publish(.status(status()))
        if let b = book(levels: 20) { sub.publish(.depth(b)) }
        return sub
    }

    // MARK: - Stopping

    /// Stops the followed live session if it runs, then (under the session's lock) runs `stop`
    /// so its runs are stored, unless the shell already collected them.
    private func stopLive() {
        guard let (s, generation) = state.withLock({ st in st.followed.map { ($0.session, $0.generation) } }) else { return }
        if s.currentState != .stopped { s.stop(reason: "stopped") }
        s.waitUntilDone()
        let names: [String]? = access.exclusive { session in
            if s.runs.isEmpty, LiveCommands.current(session.workspace) === s {
                _ = try? session.executeOnBehalf(["stop"])
            }
            return s.runs.isEmpty ? nil : s.runs.map(\.name)
        }
        state.withLock { st in
            if st.followed?.generation == generation { st.followed?.runs = names }
        }
        onBatch(generation, force: true)
    }

    // MARK: - Frames

    /// Publishes status once a second; false once the session has ended and said so.
    private func heartbeat(_ generation: Int) -> Bool {
        guard let f = state.withLock({ s in s.followed?.generation == generation ? s.followed : nil }) else { return false }
        if f.session.isFinished {
            // Collect the runs the shell stored (or the API's stop did) for the final status.
            if f.runs == nil, !f.session.runs.isEmpty {
                state.withLock { s in if s.followed?.generation == generation { s.followed?.runs = f.session.runs.map(\.name) } }
            }
            if !f.finalStatusSent || (f.runs == nil && !f.session.runs.isEmpty) {
                onBatch(generation, force: true)
                state.withLock { s in if s.followed?.generation == generation { s.followed?.finalStatusSent = true } }
            }
            // Keep beating until the runs are known (the shell's `stop`/`wait` stores them).
            return f.session.runs.isEmpty
        }
        if !state.withLock({ $0.replayActive }) { broadcaster.publish(.status(status())) }
        return true
    }

    /// After a batch of the live session (runner thread), or forced: a frame when one is due.
    private func onBatch(_ generation: Int, force: Bool) {
        let clock = ContinuousClock()
        let due: Followed? = state.withLock { s in
            guard let f = s.followed, f.generation == generation else { return nil }
            let now = clock.now
            guard force || now - f.lastFrame >= .milliseconds(1000 / Self.framesPerSecond) else { return nil }
            s.followed?.lastFrame = now
            return s.followed
        }
        guard var f = due else { return }
        let s = f.session
        let leg = s.legs[0]
        let inst = leg.instrument
        let tick = inst.tickSize, lot = inst.lotSize
        let statsDue = force || clock.now - f.lastStats >= .seconds(1)
        // One short visit under the live session's lock.
        let (scale, time, bids, asks, account, fills, trades, result) = s.lock.withLock { () -> (MoneyScale, Nanos, [BookLevel], [BookLevel], LiveAccount, ContiguousArray<Fill>, [Event], BacktestResult?) in
            let v = leg.venue
            return (v.valuation.scale, v.now, v.book.levels(.buy, maxLevels: Self.bookLevels), v.book.levels(.sell, maxLevels: Self.bookLevels), v.bot, v.botFills,
                    v.recentTrades(256), statsDue ? v.result(stoppedEarly: false) : nil)
        }
        let base = leg.base
        var volumeLots: Int64 = 0
        for e in trades where e.localTime > f.lastTradeTime { volumeLots += Int64(e.quantity) }
        if let last = trades.last {
            f.lastTrade = BacktestReplayControl.decimal(base + Ticks(last.price), tick)
            f.lastTradeTime = max(f.lastTradeTime, last.localTime)
        }
        let bid = bids.first.map { BacktestReplayControl.decimal($0.price, tick) }
        let ask = asks.first.map { BacktestReplayControl.decimal($0.price, tick) }
        let mid: Double? = bid.flatMap { b in ask.map { (b + $0) / 2 } }
        if let mid {
            f.mids.append((time, mid))
            if let cut = f.mids.firstIndex(where: { $0.0 >= time - 60 * Time.second }), cut > 0 { f.mids.removeFirst(cut) }
        }
        if let result {
            let st = RunStatistics(result, options: .init(binLength: Time.minute))
            // Sharpe over 1-minute bins once there are 30 of them (fewer give absurd annualised figures).
            let enough = result.endTime - result.startTime >= 30 * Time.minute
            f.perf = Perf(winRate: ServeQueries.finite(st.trades.winRate), sharpe: enough ? ServeQueries.finite(st.returns.sharpe) : nil,
                          maxDrawdown: ServeQueries.finite(st.drawdown.maxValue), roundTrips: st.trades.roundTrips, makerFills: st.trades.makerFills)
            f.lastStats = clock.now
        }
        let net = scale.double(account.equity), fees = scale.double(account.fees)
        let position = BacktestReplayControl.decimal(account.position, lot)
        let vol = ServeQueries.finite(BacktestReplayControl.volatilityBps(f.mids))
        let price = PriceFrame(time: time, bid: bid, ask: ask, mid: mid, last: f.lastTrade, volume: BacktestReplayControl.decimal(volumeLots, lot))
        let pnl = PnLFrame(time: time, pnlNet: net, pnlGross: net + fees, fees: fees, position: position, fills: fills.count,
                           winRate: f.perf.winRate, sharpe: f.perf.sharpe, maxDrawdown: f.perf.maxDrawdown, volatilityBps: vol)
        let newFills = (min(f.publishedFills, fills.count)..<fills.count).map { Self.fill(fills[$0], seq: $0 + 1, leg: leg, scale: scale) }
        let frameNumber = f.frameNumber
        let current: Bool = state.withLock { st in
            guard st.followed?.generation == generation else { return false }
            // In place (no copy of the history arrays).
            st.followed!.prices.append(price)
            st.followed!.pnl.append(pnl)
            let keep = BacktestReplayControl.historyLength
            if st.followed!.prices.count > keep + 500 { st.followed!.prices.removeFirst(st.followed!.prices.count - keep) }
            if st.followed!.pnl.count > keep + 500 { st.followed!.pnl.removeFirst(st.followed!.pnl.count - keep) }
            st.followed!.mids = f.mids
            st.followed!.perf = f.perf
            st.followed!.lastStats = f.lastStats
            st.followed!.lastTrade = f.lastTrade
            st.followed!.lastTradeTime = f.lastTradeTime
            st.followed!.publishedFills = fills.count
            st.followed!.frameNumber += 1
            return !st.replayActive
        }
        guard current else { return }
        broadcaster.publish(.price(price))
        for x in newFills { broadcaster.publish(.fill(x)) }
        broadcaster.publish(.pnl(pnl))
        if frameNumber % 2 == 0 || force { broadcaster.publish(.depth(Self.book(s, levels: 20))) }
        if force || s.currentState == .stopped { broadcaster.publish(.status(status())) }
    }

    // MARK: - Views of the live session

    static func status(of f: Followed) -> LiveStatus {
        let s = f.session
        let leg = s.legs[0]
        let inst = leg.instrument
        let state = s.currentState, reason = s.stopDescription
        let (scale, time, t0, account, bidT, askT, rtt, t2o, fills) = s.lock.withLock {
            let v = leg.venue
            return (v.valuation.scale, v.now, v.startTime, v.bot, v.book.bestBid, v.book.bestAsk,
                    (v.roundTrip.percentile(50), v.roundTrip.percentile(99), v.roundTrip.percentile(99.9)),
                    (v.tickToOrder.percentile(50), v.tickToOrder.percentile(99), v.tickToOrder.percentile(99.9)), v.bot.fills)
        }
        let tick = inst.tickSize, lot = inst.lotSize
        var st = LiveStatus.idle
        st.mode = "live"
        st.state = state == .stopped ? (reason == "stopped" ? "stopped" : "finished") : state.rawValue
        if state == .stopped && reason != "stopped" { st.message = reason }
        st.strategy = s.strategy.name
        st.strategyKind = s.strategy.strategyKind.name
        st.market = s.market.name
        st.session = s.name
        st.runs = f.runs
        st.dataset = s.market.replay?.name
        st.symbol = inst.symbol
        st.venue = inst.venue
        st.currency = inst.currency
        st.tickSize = tick.description
        st.lotSize = lot.description
        st.time = time
        st.timeText = Format.isoTimestamp(time, zone: inst.timeZone.isEmpty ? "UTC" : inst.timeZone)
        st.speed = s.speed ?? 0
        var span: Nanos? = s.duration
        if span == nil, s.market.replay == nil, let l = s.market.legs.first, l.end != Nanos.max { span = l.end - l.start }
        if let replayed = s.market.replay {
            span = replayed.dataset.withEvents { all in all.isEmpty ? nil : all[all.count - 1].localTime - t0 }
        }
        if let span, span > 0 { st.progress = min(1, max(0, Double(time - t0) / Double(span))) }
        if state == .stopped && reason != "stopped" { st.progress = 1 }
        st.position = BacktestReplayControl.decimal(account.position, lot)
        st.pnlNet = scale.double(account.equity)
        st.fees = scale.double(account.fees)
        st.pnlGross = st.pnlNet + st.fees
        st.fills = fills
        st.makerFills = f.perf.makerFills
        st.roundTrips = f.perf.roundTrips
        st.winRate = f.perf.winRate
        st.sharpe = f.perf.sharpe
        st.maxDrawdown = f.perf.maxDrawdown
        st.volatilityBps = ServeQueries.finite(BacktestReplayControl.volatilityBps(f.mids))
        if bidT != Ticks.min && bidT != Ticks.max { st.bestBid = BacktestReplayControl.decimal(bidT, tick) }
        if askT != Ticks.min && askT != Ticks.max { st.bestAsk = BacktestReplayControl.decimal(askT, tick) }
        if let b = st.bestBid, let a = st.bestAsk { st.mid = (b + a) / 2 }
        if let p50 = rtt.0, let p99 = rtt.1, let p999 = rtt.2 { st.orderRoundTrip = LatencyPercentiles(p50: p50, p99: p99, p999: p999) }
        if let p50 = t2o.0, let p99 = t2o.1, let p999 = t2o.2 { st.tickToOrder = LatencyPercentiles(p50: p50, p99: p99, p999: p999) }
        return st
    }

    static func fill(_ f: Fill, seq: Int, leg: LiveLeg, scale: MoneyScale) -> LiveFill {
        let inst = leg.instrument
        return LiveFill(seq: seq, time: f.exchangeTime, timeText: Format.isoTimestamp(f.exchangeTime, zone: inst.timeZone.isEmpty ? "UTC" : inst.timeZone),
                        side: f.side == .buy ? "buy" : "sell", price: BacktestReplayControl.decimal(f.price, inst.tickSize),
                        qty: BacktestReplayControl.decimal(f.quantity, inst.lotSize), maker: f.isMaker,
                        fee: scale.double(f.fee), position: BacktestReplayControl.decimal(f.positionAfter, inst.lotSize),
                        orderId: Int64(bitPattern: UInt64(f.orderID)))
    }

    static func book(_ s: LiveSessionObject, levels: Int) -> LiveBook {
        let leg = s.legs[0]
        let inst = leg.instrument
        let (time, bids, asks) = s.lock.withLock {
            (leg.venue.now, leg.venue.book.levels(.buy, maxLevels: levels), leg.venue.book.levels(.sell, maxLevels: levels))
        }
        func side(_ l: [BookLevel]) -> [LiveLevel] {
            l.map { LiveLevel(price: BacktestReplayControl.decimal($0.price, inst.tickSize), qty: BacktestReplayControl.decimal($0.quantity, inst.lotSize), orders: Int($0.orders)) }
        }
        return LiveBook(time: time, timeText: Format.isoTimestamp(time, zone: inst.timeZone.isEmpty ? "UTC" : inst.timeZone), symbol: inst.symbol,
                        bids: side(bids), asks: side(asks))
    }

    // MARK: - The statements of a start

    /// The statements `start` runs, with which request field each part comes from.
    struct Statements {
        var texts: [String] = []
        var fields: [String: String] = [:]
        /// Byte ranges of the `live` statement's options and the fields they come from.
        var optionAt: [(Range<Int>, String)] = []
        func field(of text: String) -> String { fields[text] ?? "market" }
        func optionField(at offset: Int) -> String? { optionAt.first { $0.0.contains(offset) }?.1 }
    }

    /// `live` options a request may pass (values checked against a small alphabet: no paths).
    static let liveOptionKeys = ["latency", "queue", "fill", "maker", "taker", "for", "seed"]

    static func statements(for request: LiveStartRequest, speed: Double, session: Session) throws(LiveRequestError) -> Statements {
        let ws = session.workspace
        var out = Statements()
        func taken(_ n: String) -> Bool { ws[n] != nil || out.texts.contains { $0.hasPrefix("market \(n) ") || $0.hasPrefix("strategy \(n) ") } }
        guard BacktestReplayControl.isName(request.strategy) else { throw LiveRequestError(field: "strategy", "strategy must be a name such as mm or grid") }
        let options = request.options ?? [:]
        for (key, value) in options {
            guard liveOptionKeys.contains(key) else {
                throw LiveRequestError(field: "options.\(key)", "unknown option '\(key)' for a live market; options: \(liveOptionKeys.joined(separator: ", "))")
            }
            try BacktestReplayControl.checkToken(value, field: "options.\(key)")
            if key == "latency", value.hasSuffix(".csv") || value.hasSuffix(".txt") {
                throw LiveRequestError(field: "options.latency", "latency is a duration (10ms) or entry,response (5ms,8ms) here; files are not read for requests")
            }
        }
        // The market.
        let marketText = request.market ?? ""
        var marketName = marketText
        var lots: [ExactDecimal] = []
        if case .object(let o)? = ws[marketText], let m = o.as(MarketObject.self) {
            lots = m.replay.map { [$0.instrument.lotSize] } ?? m.legs.map(\.instrument.lotSize)
            if options["seed"] != nil { throw LiveRequestError(field: "options.seed", "seed is the seed of a preset's market; '\(marketText)' is defined with its own") }
        } else if let preset = InstrumentPresets.named(marketText) {
            lots = [preset.instrument.lotSize]
            let stem = preset.instrument.symbol.lowercased().filter { $0.isLetter || $0.isNumber }
            var name = stem.first?.isLetter == true ? stem : "m\(stem)"
            var k = 1
            while taken(name) { k += 1; name = "\(stem.first?.isLetter == true ? stem : "m\(stem)")\(k)" }
            let seed = options["seed"] ?? "1"
            guard Int(seed) != nil else { throw LiveRequestError(field: "options.seed", "seed is a whole number") }
            let text = "market \(name) = zi preset=\(marketText) seed=\(seed)"
            out.texts.append(text)
            out.fields[text] = "market"
            marketName = name
        } else {
            let markets = ws.names.filter { if case .object(let o)? = ws[$0], o.as(MarketObject.self) != nil { true } else { false } }
            throw LiveRequestError(field: "market", "no market named '\(marketText)'; markets: \(markets.isEmpty ? "none" : markets.joined(separator: ", ")); presets: \(InstrumentPresets.keys.joined(separator: " "))", status: 404)
        }
        // The strategy.
        var strategyName = request.strategy
        if case .object(let so)? = ws[request.strategy], let defined = so.as(StrategyObject.self) {
            if let p = request.params, !p.isEmpty {
                throw LiveRequestError(field: "params", "params configure a strategy kind; '\(request.strategy)' is a defined strategy with its own parameters")
            }
            // Checked against the market's lot now, so a strategy that cannot trade it does not
            // stop the running bot first.
            for lot in lots {
                do {
                    if defined.strategyKind.name == "grid" { _ = try BacktestCommands.gridParameters(defined, lot: lot, range: SourceRange(0, 0)) }
                    else { _ = try BacktestCommands.marketMakingModel(defined, lot: lot, range: SourceRange(0, 0)) }
                } catch { throw LiveRequestError(field: "strategy", BacktestReplayControl.message(error)) }
            }
        } else if Strategies.kind(request.strategy) != nil {
            var name = "bot"
            var k = 1
            while taken(name) { k += 1; name = "bot\(k)" }
            var text = "strategy \(name) = \(request.strategy)"
            for (key, value) in (request.params ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard BacktestReplayControl.isName(key) else { throw LiveRequestError(field: "params", "'\(key)' is not a parameter name") }
                try BacktestReplayControl.checkToken(value, field: "params.\(key)")
                text += " \(key)=\(value)"
            }
            out.texts.append(text)
            out.fields[text] = "params"
            strategyName = name
        } else {
            let known = ws.names.filter { if case .object(let o)? = ws[$0], o.as(StrategyObject.self) != nil { true } else { false } }
            throw LiveRequestError(field: "strategy", "no strategy named '\(request.strategy)'; defined: \(known.isEmpty ? "none" : known.joined(separator: ", ")); kinds: \(Strategies.all.map(\.name).joined(separator: ", "))", status: 404)
        }
        var text = "live \(strategyName) on \(marketName) speed=\(Format.real(speed))x"
        for (key, value) in options.sorted(by: { $0.key < $1.key }) where key != "seed" {
            let lower = text.utf8.count + 1
            text += " \(key)=\(value)"
            out.optionAt.append((lower..<text.utf8.count, "options.\(key)"))
        }
        out.texts.append(text)
        return out
    }
}
