import Foundation
import MithaiLanguage
@testable import MithaiWorkbench
import MithaiEngine
import Testing

/// Commands on live sessions that are not about trading: `drop` of a session and of its market.
@Suite(.serialized) struct LiveSessionCommandTests {
    func session() -> (Session, CapturingSink) {
        let sink = CapturingSink()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-livecmd-\(UUID().uuidString)").path
        return (Session(options: SessionOptions(mode: .script, home: home), output: sink), sink)
    }

    static let setup = """
        market sim = zi preset=nse:RELIANCE seed=7
        strategy mm = grid half_spread=1 step=1 levels=3 qty=10 max_position=200
        live mm on sim speed=1x
        """

    @Test func droppingARunningSessionStopsItAndKeepsItsRun() throws {
        let (s, sink) = session()
        #expect(s.run(Source(Self.setup, name: "t")).failure == nil)
        guard case .object(let o)? = s.workspace["live1"], let live = o.as(LiveSessionObject.self) else {
            Issue.record("no live1"); return
        }
        #expect(live.currentState == .running)
        _ = sink.take()
        #expect(s.run(Source("drop live1", name: "t")).failure == nil)
        let out = sink.take()
        #expect(out.contains("dropped live1 (live1 stopped; its run is r1)"), "\(out)")
        #expect(live.currentState == .stopped && live.isFinished)
        #expect(s.workspace["live1"] == nil)
        guard case .object(let r)? = s.workspace["r1"], let run = r.as(RunObject.self) else { Issue.record("no r1"); return }
        #expect(run.status == "stopped")
        // The name is free again: a new session starts as live1.
        #expect(s.run(Source("live mm on sim speed=max for=1s\nwait\ndrop live1", name: "t")).failure == nil)
        #expect(s.workspace["live1"] == nil && s.workspace["r2"] != nil)
    }

    @Test func aMarketInUseCannotBeDroppedUntilItsSessionIs() throws {
        let (s, sink) = session()
        #expect(s.run(Source(Self.setup, name: "t")).failure == nil)
        _ = sink.take()
        #expect(s.run(Source("drop sim", name: "t")).failure != nil)
        let err = sink.take()
        #expect(err.contains("market sim is in use by live session live1 (running)"), "\(err)")
        #expect(err.contains("drop live1 sim"))
        #expect(s.workspace["sim"] != nil)
        guard case .object(let o)? = s.workspace["live1"], let live = o.as(LiveSessionObject.self) else {
            Issue.record("no live1"); return
        }
        #expect(live.currentState == .running, "a refused drop leaves the session running")
        // A misspelt name in the same drop stops nothing.
        #expect(s.run(Source("drop live1 nosuch", name: "t")).failure != nil)
        #expect(live.currentState == .running)
        // Both in one drop: the session stops first, then the market goes.
        #expect(s.run(Source("drop sim live1", name: "t")).failure == nil)
        #expect(live.currentState == .stopped)
        #expect(s.workspace["sim"] == nil && s.workspace["live1"] == nil && s.workspace["r1"] != nil)
    }

    @Test func savedMarketIsTheL3FeedAndLoadsBackAsTheSameBook() throws {
        let (s, sink) = session()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-savemarket-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("sim.npz").path
        let script = """
            market sim = zi preset=nse:RELIANCE seed=3 impact=off
            strategy mm = grid half_spread=1 step=1 levels=3 qty=10 max_position=200
            live mm on sim speed=max for=2m maker=0 taker=0
            wait
            save market sim to \(file)
            load \(file) as d tick=0.05 lot=1
            """
        let r = s.run(Source(script, name: "t"))
        #expect(r.failure == nil, "\(sink.text)")
        #expect(sink.text.contains("order events"), "\(sink.text)")
        guard case .object(let lo)? = s.workspace["live1"], let live = lo.as(LiveSessionObject.self),
              case .object(let dobj)? = s.workspace["d"], let d = dobj.as(DatasetObject.self) else { Issue.record("objects"); return }
        let (recorded, base) = live.lock.withLock { (live.legs[0].venue.recorded, live.legs[0].venue.base) }
        let loaded = d.dataset.withEvents { ContiguousArray($0) }
        let loadedBase = d.dataset.baseTick
        #expect(d.dataset.isOrderByOrder)
        #expect(recorded.count > 10_000)
        #expect(loaded.count == recorded.count)
        func count(_ e: ContiguousArray<Event>, _ kinds: Set<EventKind>) -> Int { e.reduce(0) { $0 + (kinds.contains($1.kind) ? 1 : 0) } }
        for kinds: Set<EventKind> in [[.add], [.execute], [.trade], [.cancel, .modify]] {
            #expect(count(loaded, kinds) == count(recorded, kinds), "\(kinds)")
        }
        #expect(count(recorded, [.add]) > 0 && count(recorded, [.execute]) > 0 && count(recorded, [.cancel]) > 0)
        // The book at several instants: every level (price, size, order count) and the queue
        // (sizes in time priority) at the touch.
        let t0 = recorded.first!.localTime, t1 = recorded.last!.localTime
        var a = L3Book(), b = L3Book()
        var i = 0, j = 0
        for k in 1...6 {
            let t = t0 + (t1 - t0) * Int64(k) / 6
            while i < recorded.count && recorded[i].localTime <= t { a.apply(recorded[i], base: base); i += 1 }
            while j < loaded.count && loaded[j].localTime <= t { b.apply(loaded[j], base: loadedBase); j += 1 }
            #expect(i == j)
            for side in [Side.buy, .sell] {
                #expect(a.l2.levels(side) == b.l2.levels(side), "levels at instant \(k)")
                let touch = side == .buy ? a.bestBid : a.bestAsk
                #expect(a.queue(side, at: touch).map(\.quantity) == b.queue(side, at: touch).map(\.quantity))
            }
        }
        #expect(a.liveOrders > 50 && a.liveOrders == b.liveOrders)
        // A backtest on the loaded file (FIFO queues on the L3 book, as the live venue's) makes
        // the live bot's fills. Only without impact: with impact the feed carries the bot's own
        // orders (a backtest would meet them as other traders' orders), and the crowd reacted
        // to them. Fees off on both sides (the loaded file has no preset).
        #expect(s.run(Source("backtest mm on d queue=fifo", name: "t")).failure == nil, "\(sink.text)")
        guard case .object(let r1o)? = s.workspace["r1"], let r1 = r1o.as(RunObject.self),
              case .object(let r2o)? = s.workspace["r2"], let r2 = r2o.as(RunObject.self) else { Issue.record("runs"); return }
        #expect(r1.result.fills.count > 50)
        #expect(r2.result.fills.map(\.price) == r1.result.fills.map(\.price))
        #expect(r2.result.fills.map(\.quantity) == r1.result.fills.map(\.quantity))
        #expect(r2.result.fills.map(\.localTime) == r1.result.fills.map(\.localTime))
        #expect(r2.result.netPnL == r1.result.netPnL)
        // The L2 view stays available.
        #expect(s.run(Source("save market sim to \(dir.path)/l2.csv format=l2", name: "t")).failure == nil)
        #expect(s.run(Source("save market sim to \(dir.path)/l3.csv", name: "t")).failure != nil)
        #expect(sink.text.contains("format=l2"))
    }

    // MARK: Alerts: check intervals and event-exact price conditions

    static let alertScript = """
        market sim = zi preset=binance:BTCUSDT seed=7
        strategy mm = grid half_spread=1 step=1 levels=3 qty=0.01 max_position=0.1
        alert up when mid(sim) > 60000.5
        alert wide when spread(btcusdt) > 0.2 every 2s
        alert upgrid when mid(sim) > 60000.5 check=100ms
        alert inv when position(live1) >= 0.03 check=10ms
        alert low when last(sim) < 59999.5 check=250ms
        """

    /// Runs the alert script then the session either at max speed or paused and stepped in
    /// uneven steps; returns the firings and the session's recorded feed.
    func alertRun(stepped: Bool) -> ([AlertFiring], ContiguousArray<Event>) {
        let (s, sink) = session()
        var text = Self.alertScript + "\n"
        if stepped {
            text += "live mm on sim speed=max for=30s paused=on\n" + Array(repeating: "step 1.7s", count: 18).joined(separator: "\n")
        } else {
            text += "live mm on sim speed=max for=30s\nwait"
        }
        #expect(s.run(Source(text, name: "t")).failure == nil, "\(sink.text)")
        guard case .object(let o)? = s.workspace["live1"], let live = o.as(LiveSessionObject.self) else { return ([], []) }
        live.waitUntilDone()
        s.deliverPendingAlerts()
        return (s.workspace.alerts.history, live.lock.withLock { live.legs[0].venue.recorded })
    }

    @Test func priceAlertsFireAtTheirEventsTimeAndGridAlertsOnTheirGridWhateverThePacing() {
        let (max, feed) = alertRun(stepped: false)
        let (stepped, _) = alertRun(stepped: true)
        #expect(max.count >= 5, "\(max.map(\.name))")
        #expect(max == stepped, "the same firings at max speed and stepped 1.7 s at a time")
        let times = Set(feed.map(\.localTime))
        for f in max {
            switch f.name {
            case "up", "wide":
                #expect(times.contains(f.time), "\(f.name) fires at the local time of a market event")
            case "upgrid": #expect(f.time % (100 * Time.millisecond) == 0)
            case "inv": #expect(f.time % (10 * Time.millisecond) == 0)
            case "low": #expect(f.time % (250 * Time.millisecond) == 0)
            default: Issue.record("unexpected alert \(f.name)")
            }
        }
        // The event-checked alert is never later than its 100 ms grid copy, and at least once
        // strictly earlier (off the grid).
        let up = max.filter { $0.name == "up" }.map(\.time), grid = max.filter { $0.name == "upgrid" }.map(\.time)
        #expect(!up.isEmpty && !grid.isEmpty)
        if let u = up.first, let g = grid.first { #expect(u <= g && g - u < 100 * Time.millisecond) }
        #expect(up.contains { $0 % (100 * Time.millisecond) != 0 })
        #expect(max.filter { $0.name == "inv" }.contains { $0.time % (100 * Time.millisecond) != 0 }, "check=10ms is finer than 100 ms")
        // Fired in time order.
        #expect(max.map(\.time) == max.map(\.time).sorted())
    }

    @Test func checkEventIsForPriceConditionsOnly() {
        let (s, sink) = session()
        #expect(s.run(Source("alert a when position(live1) >= 1 check=event", name: "t")).failure != nil)
        #expect(sink.text.contains("check=event follows prices only"), "\(sink.text)")
        #expect(s.run(Source("alert a when position(live1) >= 1 check=0s", name: "t")).failure != nil)
        _ = sink.take()
        #expect(s.run(Source("market sim = zi preset=binance:BTCUSDT seed=7\nalert b when mid(sim) > 1 check=event\nalert c when position(live1) >= 1 check=5ms\nalerts", name: "t")).failure == nil)
        let out = sink.take()
        #expect(out.contains("checked at every change") && out.contains("checked every 5ms"), "\(out)")
        #expect(out.contains("check"))
    }

    // MARK: Risk limits and margin guard the live bot

    @Test func riskLimitsAndMarginGuardTheLiveBot() throws {
        let (s, sink) = session()
        let script = """
            market sim = zi preset=binance:BTCUSDT seed=7
            strategy mm = grid half_spread=1 step=1 levels=3 qty=0.05 max_position=2
            risk max_position=0.1 max_drawdown=5 on_drawdown=halt
            live mm on sim speed=max for=5m
            wait
            risk clear=on
            risk capital=100
            live mm on sim speed=max for=1m
            wait
            """
        let r = s.run(Source(script, name: "t"))
        #expect(r.failure == nil, "\(sink.text)")
        guard case .object(let o1)? = s.workspace["r1"], let r1 = o1.as(RunObject.self),
              case .object(let o2)? = s.workspace["r2"], let r2 = o2.as(RunObject.self) else { Issue.record("runs"); return }
        // The session's limits reach the live bot: position capped, the drawdown halts it.
        let g1 = try #require(r1.result.risk)
        #expect(g1.mode == .halted)
        #expect(g1.breaches.contains { $0.limit == .maxDrawdown && $0.action == .halted })
        #expect(g1.breaches.contains { $0.limit == .maxPosition })
        let lot = r1.configuration.lotSize.doubleValue
        let peak = r1.result.fills.reduce((0.0, 0.0)) { acc, f in
            let p = acc.0 + (f.side == .buy ? 1 : -1) * Double(f.quantity) * lot
            return (p, max(acc.1, abs(p)))
        }.1
        #expect(peak <= 0.1 + 1e-9, "peak position \(peak)")
        // Margin: the preset's initial rate (0.8% of notional) against 100 USDT of capital refuses orders.
        let g2 = try #require(r2.result.risk)
        #expect(g2.limits.capital != nil && g2.limits.initialMargin != nil)
        #expect(g2.breaches.contains { $0.limit == .initialMargin })
    }
}
