import Foundation
import Synchronization
import MithaiLanguage
import MithaiEngine
import MithaiMarketData

/// `LiveControl` backed by a backtest replayed against the wall clock: `start` resolves the
/// strategy and dataset in the workspace (under the session's lock), runs the backtest on a
/// background thread (the engine is pure and thread-safe), then walks the result forward at
/// `speed` times real time, publishing price, fill, P&L and depth frames at a browser's pace.
///
/// The bot's run is not added to the workspace: a statement never made it, so a saved script
/// stays replayable; it is readable through this control (status, fills, book).
public final class BacktestReplayControl: LiveControl {
    /// Frames per second of price and P&L (depth at half this, status at 1 Hz).
    public static let framesPerSecond = 10
    /// Levels per side kept for `book(levels:)` and depth frames.
    public static let maxLevels = 50

    private struct State {
        var generation = 0
        var status = LiveStatus.idle
        var run: RunObject?
        var ladder: LadderSnapshot?
        var publishedFills = 0
        var cancelled = false
        var prices: [PriceFrame] = []
        var pnl: [PnLFrame] = []
    }

    /// Frames kept for `history` (about five minutes at 10 per second).
    public static let historyLength = 3000

    private let access: SessionAccess
    private let state = Mutex(State())
    private let broadcaster: LiveBroadcaster

    /// `broadcaster`: where frames go (shared with the session's `SessionLiveControl`).
    public init(access: SessionAccess, broadcaster: LiveBroadcaster = LiveBroadcaster()) {
        self.access = access
        self.broadcaster = broadcaster
    }

    // MARK: - LiveControl

    public func status() -> LiveStatus { state.withLock { $0.status } }

    /// Subscribers still connected (cancelled ones are dropped at the next publish).
    public var subscriberCount: Int { broadcaster.count }

    public func subscribe(capacity: Int) -> LiveSubscription {
        let s = broadcaster.subscribe(capacity: capacity)
        s.publish(.status(status()))
        if let book = book(levels: 20) { s.publish(.depth(book)) }
        return s
    }

    public func fills(before: Int?, limit: Int) -> LiveFillPage {
        let (run, published) = state.withLock { ($0.run, $0.publishedFills) }
        guard let run else { return LiveFillPage(total: 0, fills: [], nextBefore: nil) }
        let upper = min(published, max(0, (before ?? Int.max) - 1))
        let lower = max(0, upper - max(0, limit))
        let page = (lower..<upper).reversed().map { Self.fill(run, index: $0) }
        return LiveFillPage(total: published, fills: page, nextBefore: lower > 0 ? lower + 1 : nil)
    }

    public func book(levels: Int) -> LiveBook? {
        let (run, ladder) = state.withLock { ($0.run, $0.ladder) }
        guard let run, let ladder else { return nil }
        return Self.book(run.data, ladder, levels: levels)
    }

    public func history(limit: Int) -> LiveHistory {
        state.withLock { s in
            let n = max(0, limit)
            return LiveHistory(prices: Array(s.prices.suffix(n)), pnl: Array(s.pnl.suffix(n)))
        }
    }

    public func stop() -> LiveStatus {
        let (status, stopped) = state.withLock { s -> (LiveStatus, Bool) in
            s.generation += 1
            s.cancelled = true
            guard s.status.state == "running" || s.status.state == "preparing" else { return (s.status, false) }
            s.status.state = "stopped"
            s.status.message = "stopped by request"
            return (s.status, true)
        }
        if stopped { broadcaster.publish(.status(status)) }
        return status
    }

    public func start(_ request: LiveStartRequest) throws(LiveRequestError) -> LiveStatus {
        if let market = request.market, request.dataset == nil {
            throw LiveRequestError(field: "market", "no live market '\(market)' in this session: the bot replays a dataset (pass \"dataset\")", status: 422)
        }
        let speed = request.speed ?? 1
        guard speed.isFinite, speed > 0, speed <= 1_000_000 else {
            throw LiveRequestError(field: "speed", "speed is a multiple of real time in (0, 1000000], e.g. 60")
        }
        let (strategy, setup) = try access.exclusive { session throws(LiveRequestError) in
            try Self.prepare(request, session: session)
        }
        _ = stop()
        let generation: Int = state.withLock { s in
            s.generation += 1
            s.cancelled = false
            s.run = nil
            s.ladder = nil
            s.publishedFills = 0
            s.prices = []
            s.pnl = []
            var st = LiveStatus.idle
            st.state = "preparing"
            st.speed = speed
            st.strategy = strategy.name
            st.strategyKind = strategy.strategyKind.name
            st.dataset = setup.data.name
            st.symbol = setup.data.instrument.symbol
            st.venue = setup.data.instrument.venue
            st.currency = setup.data.instrument.currency
            st.tickSize = setup.data.instrument.tickSize.description
            st.lotSize = setup.data.instrument.lotSize.description
            s.status = st
            return s.generation
        }
        broadcaster.publish(.status(status()))
        let thread = Thread { [self] in self.runBot(strategy: strategy, setup: setup, speed: speed, generation: generation) }
        thread.name = "mithai-bot"
        thread.start()
        return status()
    }

    // MARK: - Preparing

    /// Option keys a request may pass to the backtest, and the characters their values may use
    /// (no paths: a request never names a file).
    static let optionKeys = ["latency", "queue", "fill", "maker", "taker", "from", "to", "bin", "seed"]

    static func checkToken(_ text: String, field: String) throws(LiveRequestError) {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:,+-")
        guard !text.isEmpty, text.count <= 64, text.unicodeScalars.allSatisfy({ allowed.contains($0) }), !text.hasPrefix("-") || Double(text) != nil
        else { throw LiveRequestError(field: field, "'\(text)' is not a valid \(field): use letters, digits and _ . : , + - only") }
    }

    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, CharacterSet.letters.contains(first) || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" } && text.count <= 64
    }

    /// Resolves the strategy and the backtest setup in the workspace (caller holds the lock).
    static func prepare(_ request: LiveStartRequest, session: Session) throws(LiveRequestError) -> (StrategyObject, BacktestCommands.RunSetup) {
        var ws = session.workspace
        guard isName(request.strategy) else { throw LiveRequestError(field: "strategy", "strategy must be a name such as mm or grid") }
        guard let datasetName = request.dataset else { throw LiveRequestError(field: "dataset", "dataset is required: the name of a loaded dataset") }
        guard isName(datasetName) else { throw LiveRequestError(field: "dataset", "dataset must be a name such as btc") }
        let datasets = DataCommands.allDatasets(ws).map(\.name)
        guard case .object(let o) = ws[datasetName], o.as(DatasetObject.self) != nil else {
            throw LiveRequestError(field: "dataset", "no dataset named '\(datasetName)'" + (datasets.isEmpty ? "; load one in the shell first" : "; datasets: " + datasets.joined(separator: ", ")), status: 404)
        }
        var strategyName = request.strategy
        if case .object(let so) = ws[request.strategy], so.as(StrategyObject.self) != nil {
            if let p = request.params, !p.isEmpty {
                throw LiveRequestError(field: "params", "params configure a strategy kind; '\(request.strategy)' is a defined strategy with its own parameters")
            }
        } else if Strategies.kind(request.strategy) != nil {
            var name = "bot"
            var k = 1
            while ws[name] != nil { k += 1; name = "bot\(k)" }
            var text = "strategy \(name) = \(request.strategy)"
            var paramAt: [(Range<Int>, String)] = []
            for (key, value) in (request.params ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard isName(key) else { throw LiveRequestError(field: "params", "'\(key)' is not a parameter name") }
                try checkToken(value, field: "params.\(key)")
                let lower = text.utf8.count + 1
                text += " \(key)=\(value)"
                paramAt.append((lower..<text.utf8.count, "params.\(key)"))
            }
            do { _ = try evaluate(text, session: session, ws: &ws) } catch {
                var field = "params"
                if case .diagnostic(let d) = error, let f = paramAt.first(where: { $0.0.contains(d.range.lower) }) { field = f.1 }
                throw LiveRequestError(field: field, message(error))
            }
            strategyName = name
        } else {
            let known = ws.names.filter { if case .object(let o) = ws[$0], o.as(StrategyObject.self) != nil { true } else { false } }
            throw LiveRequestError(field: "strategy", "no strategy named '\(request.strategy)'; defined: \(known.isEmpty ? "none" : known.joined(separator: ", ")); kinds: \(Strategies.all.map(\.name).joined(separator: ", "))", status: 404)
        }
        var text = "backtest \(strategyName) on \(datasetName)"
        var fieldAt: [(Range<Int>, String)] = []
        for (key, value) in (request.options ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard optionKeys.contains(key) else {
                throw LiveRequestError(field: "options.\(key)", "unknown option '\(key)'; options: \(optionKeys.joined(separator: ", "))")
            }
            try checkToken(value, field: "options.\(key)")
            if key == "latency", value.contains(where: { $0 == "/" }) || value.hasSuffix(".csv") || value.hasSuffix(".txt") {
                throw LiveRequestError(field: "options.latency", "latency is a duration (10ms) or entry,response (5ms,8ms) here; files are not read for requests")
            }
            let lower = text.utf8.count + 1
            text += " \(key)=\(value)"
            fieldAt.append((lower..<text.utf8.count, "options.\(key)"))
        }
        let source = Source(text, name: "<serve>")
        let parsed = Parser.parse(source)
        guard !parsed.hasErrors, parsed.statements.count == 1, case .pipeline(let p) = parsed.statements[0],
              p.stages.count == 1, case .command(let c) = p.stages[0], let spec = session.registry.lookup("backtest") else {
            let d = parsed.diagnostics.first
            let field = d.flatMap { d in fieldAt.first { $0.0.contains(d.range.lower) }?.1 } ?? "options"
            throw LiveRequestError(field: field, d?.message ?? "the request does not make a backtest")
        }
        do {
            let bound = try Binder.bind(c, to: spec)
            var ctx = CommandContext(spec: spec, arguments: bound, input: nil, workspace: ws, session: session, verbRange: c.verbRange, words: [])
            let strategy = try BacktestCommands.strategyObject(&ctx)
            let setup = try BacktestCommands.setup(&ctx)
            // Grid and model parameters are checked now, not on the background thread.
            if strategy.strategyKind.name == "grid" {
                _ = try BacktestCommands.gridParameters(strategy, lot: setup.data.instrument.lotSize, range: setup.strategyRange)
            } else {
                _ = try BacktestCommands.marketMakingModel(strategy, lot: setup.data.instrument.lotSize, range: setup.strategyRange)
            }
            return (strategy, setup)
        } catch {
            var field = "options"
            if case .diagnostic(let d) = error {
                field = fieldAt.first { $0.0.contains(d.range.lower) }?.1 ?? (request.params == nil ? "strategy" : "params")
            }
            throw LiveRequestError(field: field, message(error))
        }
    }

    static func evaluate(_ text: String, session: Session, ws: inout Workspace) throws(WorkbenchError) -> Value {
        let parsed = Parser.parse(Source(text, name: "<serve>"))
        if let d = parsed.diagnostics.first { throw .diagnostic(d) }
        guard parsed.statements.count == 1 else { throw .failed("expected one statement") }
        return try session.evaluate(parsed.statements[0], in: &ws)
    }

    static func message(_ error: WorkbenchError) -> String {
        switch error {
        case .diagnostic(let d): ([d.message] + (d.suggestions.isEmpty ? [] : ["did you mean " + d.suggestions.joined(separator: ", ") + "?"]) + d.notes).joined(separator: "; ")
        case .failed(let m), .internal(let m): m
        case .cancelled: "cancelled"
        }
    }

    // MARK: - The bot's thread

    private func isCurrent(_ generation: Int) -> Bool { state.withLock { $0.generation == generation && !$0.cancelled } }

    private func update(_ generation: Int, _ body: (inout State) -> Void) -> Bool {
        state.withLock { s in
            guard s.generation == generation else { return false }
            body(&s)
            return true
        }
    }

    private func runBot(strategy: StrategyObject, setup: BacktestCommands.RunSetup, speed: Double, generation: Int) {
        let run: RunObject
        do {
            var lastShown = -1.0
            run = try BacktestCommands.simulate(setup, strategy, name: "bot") { [self] fraction in
                if fraction - lastShown >= 0.01 {
                    lastShown = fraction
                    _ = update(generation) { $0.status.progress = fraction }
                }
                return isCurrent(generation)
            }
        } catch {
            if update(generation, { $0.status.state = "failed"; $0.status.message = Self.message(error) }) {
                broadcaster.publish(.status(status()))
            }
            return
        }
        guard isCurrent(generation) else { return }
        let d = run.data
        let events = d.dataset.withEvents { all in (all[setup.window.lowerBound].localTime, all[setup.window.upperBound - 1].localTime) }
        let (t0, t1) = events
        let latency = { (h: (p50: Int64, p99: Int64, p999: Int64)?) in h.map { LatencyPercentiles(p50: $0.p50, p99: $0.p99, p999: $0.p999) } }
        _ = update(generation) { s in
            s.run = run
            s.status.state = "running"
            s.status.progress = 0
            s.status.tickToOrder = latency(run.statistics.tickToOrder)
            s.status.orderRoundTrip = latency(run.statistics.orderRoundTrip)
        }
        broadcaster.publish(.status(status()))

        var replayer = d.dataset.replayer()
        replayer.advance(toEvent: setup.window.lowerBound)
        let tick = d.instrument.tickSize
        let lot = d.instrument.lotSize
        let scale = run.valuation.scale
        let frame = Duration.milliseconds(1000 / Self.framesPerSecond)
        let clock = ContinuousClock()
        let wallStart = clock.now
        var simPrevious = t0 - 1
        var equityIndex = 0
        var mids: [(Nanos, Double)] = []
        var lastStats = clock.now - .seconds(10)
        var frameNumber = 0
        var lastTrade: Double?
        var perf = (winRate: Double?.none, sharpe: Double?.none, maxDrawdown: Double?.none, roundTrips: 0, makerFills: 0)
        while isCurrent(generation) {
            let elapsed = clock.now - wallStart
            let elapsedNanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            let simNow = min(t1, t0 + Nanos(elapsedNanos * speed))
            replayer.advance(to: simNow)
            let ladder = replayer.ladder(levels: Self.maxLevels)
            let trades = d.dataset.trades(from: simPrevious + 1, to: simNow)
            if let p = trades.price.last { lastTrade = Self.decimal(p, tick) }
            let volume = Self.decimal(trades.quantity.reduce(0, &+), lot)
            let bid = ladder.bids.first.map { Self.decimal($0.price, tick) }
            let ask = ladder.asks.first.map { Self.decimal($0.price, tick) }
            let mid: Double? = bid.flatMap { b in ask.map { (b + $0) / 2 } }
            if let mid {
                mids.append((simNow, mid))
                if let cut = mids.firstIndex(where: { $0.0 >= simNow - 60 * Time.second }), cut > 0 { mids.removeFirst(cut) }
            }
            // Fills the bot has learnt of by now.
            var newFills: [LiveFill] = []
            let published = state.withLock { $0.publishedFills }
            var k = published
            while k < run.result.fills.count && run.result.fills[k].localTime <= simNow { newFills.append(Self.fill(run, index: k)); k += 1 }
            while equityIndex + 1 < run.result.equity.count && run.result.equity[equityIndex + 1].time <= simNow { equityIndex += 1 }
            let point = run.result.equity.isEmpty ? nil : run.result.equity[equityIndex]
            let pointValid = point.map { $0.time <= simNow } ?? false
            if clock.now - lastStats >= .seconds(1) || simNow >= t1 {
                lastStats = clock.now
                let s = RunStatistics(Self.truncated(run.result, at: simNow, fills: k, equity: pointValid ? equityIndex + 1 : 0),
                                      options: .init(binLength: setup.bin))
                perf = (ServeQueries.finite(s.trades.winRate), ServeQueries.finite(s.returns.sharpe), ServeQueries.finite(s.drawdown.maxValue),
                        s.trades.roundTrips, s.trades.makerFills)
            }
            let position = Self.decimal(k > 0 ? run.result.fills[k - 1].positionAfter : 0, lot)
            let fees = pointValid ? scale.double(point!.fees) : 0
            let net = pointValid ? scale.double(point!.equity) : 0
            let vol = ServeQueries.finite(Self.volatilityBps(mids))
            let pnl = PnLFrame(time: simNow, pnlNet: net, pnlGross: net + fees, fees: fees, position: position, fills: k,
                               winRate: perf.winRate, sharpe: perf.sharpe, maxDrawdown: perf.maxDrawdown, volatilityBps: vol)
            let finished = simNow >= t1
            let priceFrame = PriceFrame(time: simNow, bid: bid, ask: ask, mid: mid, last: lastTrade, volume: volume)
            let current = update(generation) { s in
                s.prices.append(priceFrame)
                s.pnl.append(pnl)
                if s.prices.count > Self.historyLength + 500 { s.prices.removeFirst(s.prices.count - Self.historyLength) }
                if s.pnl.count > Self.historyLength + 500 { s.pnl.removeFirst(s.pnl.count - Self.historyLength) }
                s.ladder = ladder
                s.publishedFills = k
                s.status.time = simNow
                s.status.timeText = Format.isoTimestamp(simNow, zone: d.zone)
                s.status.progress = t1 > t0 ? Double(simNow - t0) / Double(t1 - t0) : 1
                s.status.position = position
                s.status.pnlNet = net
                s.status.pnlGross = net + fees
                s.status.fees = fees
                s.status.fills = k
                s.status.makerFills = perf.makerFills
                s.status.roundTrips = perf.roundTrips
                s.status.winRate = perf.winRate
                s.status.sharpe = perf.sharpe
                s.status.maxDrawdown = perf.maxDrawdown
                s.status.volatilityBps = vol
                s.status.bestBid = bid
                s.status.bestAsk = ask
                s.status.mid = mid
                if finished { s.status.state = "finished"; s.status.progress = 1 }
            }
            guard current else { return }
            broadcaster.publish(.price(priceFrame))
            for f in newFills { broadcaster.publish(.fill(f)) }
            broadcaster.publish(.pnl(pnl))
            if frameNumber % 2 == 0 || finished { broadcaster.publish(.depth(Self.book(d, ladder, levels: 20))) }
            if frameNumber % Self.framesPerSecond == 0 || finished { broadcaster.publish(.status(status())) }
            frameNumber += 1
            simPrevious = simNow
            if finished { return }
            let next = wallStart + frame * frameNumber
            let wait = next - clock.now
            if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.attoseconds) / 1e18 + Double(wait.components.seconds)) }
        }
    }

    /// The run as it stood at `time`: the first `fills` fills and `equity` equity points.
    static func truncated(_ r: BacktestResult, at time: Nanos, fills: Int, equity: Int) -> BacktestResult {
        var t = r
        t.fills = ContiguousArray(r.fills.prefix(fills))
        t.equity = ContiguousArray(r.equity.prefix(equity))
        t.orders = ContiguousArray(r.orders.filter { $0.submitTime <= time })
        t.endTime = max(r.startTime + 1, time)
        if let last = t.equity.last {
            t.finalMarkHalfTicks = last.markHalfTicks
            t.cash = last.cash
            t.fees = last.fees
            t.position = last.position
        } else {
            t.cash = .zero
            t.fees = .zero
            t.position = 0
        }
        return t
    }

    /// Standard deviation of mid log returns scaled to one second, in basis points.
    static func volatilityBps(_ mids: [(Nanos, Double)]) -> Double? {
        guard mids.count >= 3 else { return nil }
        var xs: [Double] = []
        for i in 1..<mids.count {
            let dt = Double(mids[i].0 - mids[i - 1].0) / 1e9
            guard dt > 0, mids[i - 1].1 > 0 else { continue }
            xs.append(log(mids[i].1 / mids[i - 1].1) / dt.squareRoot())
        }
        guard xs.count >= 2 else { return nil }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
        return variance.squareRoot() * 1e4
    }

    /// `units` steps of `step` as the nearest double to the exact decimal (61804.1, not 61804.100000000006).
    static func decimal(_ units: Int64, _ step: ExactDecimal) -> Double {
        let m = units &* step.mantissa
        var p = 1.0
        for _ in 0..<max(0, Int(step.scale)) { p *= 10 }
        return Double(m) / p
    }

    static func fill(_ run: RunObject, index k: Int) -> LiveFill {
        let f = run.result.fills[k], d = run.data
        let tick = d.instrument.tickSize, lot = d.instrument.lotSize
        return LiveFill(seq: k + 1, time: f.exchangeTime, timeText: Format.isoTimestamp(f.exchangeTime, zone: d.zone),
                        side: f.side == .buy ? "buy" : "sell", price: decimal(f.price, tick), qty: decimal(f.quantity, lot),
                        maker: f.isMaker, fee: run.valuation.scale.double(f.fee), position: decimal(f.positionAfter, lot),
                        orderId: Int64(f.orderID))
    }

    static func book(_ d: DatasetObject, _ ladder: LadderSnapshot, levels: Int) -> LiveBook {
        let tick = d.instrument.tickSize, lot = d.instrument.lotSize
        func side(_ l: [BookLevel]) -> [LiveLevel] {
            l.prefix(levels).map { LiveLevel(price: decimal($0.price, tick), qty: decimal($0.quantity, lot), orders: Int($0.orders)) }
        }
        return LiveBook(time: ladder.time, timeText: Format.isoTimestamp(ladder.time, zone: d.zone), symbol: d.instrument.symbol,
                        bids: side(ladder.bids), asks: side(ladder.asks))
    }
}
