import Foundation
public import MithaiEngine

/// `mithai bench live`: the live venue's speed at `speed=max` on one core, and how long a
/// command waits for the session's lock meanwhile. Wall-clock figures; printed, never tested.
public enum LiveBenchmark {
    /// Runs the grid bot on a zero-intelligence `preset` market for `seconds` of simulated time.
    /// Returns JSON fields: events, seconds, events_per_s (impact engine alone, no recording; the
    /// same for `impact=off` as no_impact_*), and the
    /// latency of `status`-like snapshots taken every 5 ms while a background session runs.
    public static func run(preset key: String, seconds: Int64, seed: UInt64, rateScale: Double) -> [(String, String)]? {
        guard let p = InstrumentPresets.named(key), let reference = p.referencePrice.multiple(of: p.instrument.tickSize) else { return nil }
        var flow = p.activity
        flow.limitRate *= rateScale
        flow.marketRate *= rateScale
        let grid = GridParameters(levels: 3, gridIntervalTicks: 1, halfSpreadTicks: 1, orderQuantity: 10, maxPosition: 200,
                                  decisionInterval: 100 * Time.millisecond)
        let c = BacktestConfiguration(instrument: p.instrument, exchange: .l3FIFO)
        let start: Nanos = 1_767_584_700 * Time.second
        // 1. The engine alone: the impact engine (the default), then the exogenous mode (impact=off).
        func timed(_ impact: Bool) -> (events: Int, seconds: Double, venue: any LiveVenueHandle) {
            let g = OrderFlowGenerator(parameters: flow, model: .zeroIntelligence, reference: reference, start: start, seed: seed)
            let v = LiveRunner.make(c, strategy: .grid(grid), base: reference, feed: impact ? .impact(g) : .flow(g), recording: false)
            let t0 = ContinuousClock.now
            v.run(to: start + seconds * Time.second)
            let el = ContinuousClock.now - t0
            return (v.exchangeEvents, Double(el.components.seconds) + Double(el.components.attoseconds) / 1e18, v)
        }
        let (events, secs, v) = timed(true)
        let (exoEvents, exoSecs, _) = timed(false)
        // 2. A background session at max speed, probed every 5 ms.
        let g2 = OrderFlowGenerator(parameters: flow, model: .zeroIntelligence, reference: reference, start: start, seed: seed)
        let v2 = LiveRunner.make(c, strategy: .grid(grid), base: reference, feed: .impact(g2), recording: false)
        let market = MarketObject(name: "bench", model: "zi", flowModel: .zeroIntelligence, legs: [], replay: nil, seed: Int(seed))
        let strategy = StrategyObject(name: "bench", strategyKind: Strategies.all[0], values: [])
        let leg = LiveLeg(instrument: p.instrument, venue: v2, configuration: c, inventoryLimit: 200, base: reference)
        let s = LiveSessionObject(name: "bench", market: market, strategy: strategy, speed: nil, duration: seconds * Time.second,
                                  legs: [leg], paused: false)
        s.start()
        var waits: [Double] = []
        while !s.isFinished && waits.count < 2000 {
            let a = ContinuousClock.now
            _ = s.tick()
            let w = ContinuousClock.now - a
            waits.append(Double(w.components.seconds) * 1e3 + Double(w.components.attoseconds) / 1e15)
            Thread.sleep(forTimeInterval: 0.005)
        }
        s.stop()
        waits.sort()
        func q(_ f: Double) -> String { waits.isEmpty ? "0" : String(format: "%.3f", waits[min(waits.count - 1, Int(Double(waits.count) * f))]) }
        return [("tool", "\"mithai\""), ("workload", "\"live\""), ("preset", "\"\(key)\""), ("simulated_seconds", String(seconds)),
                ("events", String(events)), ("seconds", String(format: "%.3f", secs)),
                ("events_per_s", String(format: "%.0f", Double(events) / max(secs, 1e-9))),
                ("fills", String(v.bot.fills)),
                ("no_impact_events", String(exoEvents)), ("no_impact_events_per_s", String(format: "%.0f", Double(exoEvents) / max(exoSecs, 1e-9))),
                ("probes", String(waits.count)),
                ("command_wait_ms_p50", q(0.5)), ("command_wait_ms_p99", q(0.99)), ("command_wait_ms_max", waits.last.map { String(format: "%.3f", $0) } ?? "0")]
    }
}
