import MithaiEngine
import Testing

/// The tiny fixture feed and a runner for the market-making models.
enum StrategyFixture {
    nonisolated(unsafe) static let tiny: Feed = try! BenchData.loadCSV(BenchData.fixtures.appendingPathComponent("tiny.csv").path)
    static let tick = ExactDecimal("0.1")!
    static let lot = ExactDecimal("0.001")!

    static func tape(_ feed: Feed = tiny) -> TradeTape {
        (feed.local ?? feed.exchange).withUnsafeBufferPointer { TradeTape(events: $0, base: feed.base) }
    }

    static func run<S: Strategy>(_ s: inout S, interval: Nanos = 100 * Time.millisecond, feed: Feed = tiny) -> BacktestResult {
        var c = BacktestConfiguration.benchGrid
        c.settings = BacktestSettings(decisionInterval: interval, checkInvariants: false)
        return feed.withFeeds { ex, lo in
            BacktestRunner.run(c, strategy: &s, base: feed.base, exchangeFeed: ex, localFeed: lo)
        }
    }
}

/// A strategy wrapper that checks every decision's resting orders against the book.
struct Checked<S: Strategy>: Strategy {
    var inner: S
    var maxAbsPosition: Lots = 0
    var crossed = 0
    var nonPostOnly = 0
    var decisions = 0
    /// With a limit: decisions taken at |position| ≥ limit, and new orders then posted on the
    /// side that adds (must stay 0: reduce-only).
    var limit: Lots = Lots.max
    var atLimit = 0
    var addedAtLimit = 0
    mutating func decide(_ trader: inout Trader) {
        inner.decide(&trader)
        decisions += 1
        let pos = trader.position
        if pos != 0 && Lots(pos.magnitude) >= limit {
            atLimit += 1
            for o in trader.orders where o.submitTime == trader.time && (o.side == .buy) == (pos > 0) { addedAtLimit += 1 }
        }
        maxAbsPosition = max(maxAbsPosition, Lots(trader.position.magnitude))
        for o in trader.orders where !o.status.isFinal && o.pending == .new {
            if o.timeInForce != .gtx { nonPostOnly += 1 }
            if o.side == .buy && trader.bestAsk != Ticks.max && o.price >= trader.bestAsk { crossed += 1 }
            if o.side == .sell && trader.bestBid != Ticks.min && o.price <= trader.bestBid { crossed += 1 }
        }
    }
    mutating func didFill(_ fill: Fill) { inner.didFill(fill) }
}
