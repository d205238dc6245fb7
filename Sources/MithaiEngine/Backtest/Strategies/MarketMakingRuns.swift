/// A market-making model and its parameters, as a value (for the shell's `strategy NAME = KIND ...`).
public enum MarketMakingModel: Sendable, Equatable {
    case spread(SpreadParameters)
    case avellanedaStoikov(ASParameters)
    case glft(GLFTParameters)

    /// The shell's kind name.
    public var kind: String {
        switch self {
        case .spread: return "spread"
        case .avellanedaStoikov: return "as"
        case .glft: return "glft"
        }
    }

    /// Time between decisions, ns.
    public var decisionInterval: Nanos {
        switch self {
        case .spread(let p): return p.decisionInterval
        case .avellanedaStoikov(let p): return p.decisionInterval
        case .glft(let p): return p.decisionInterval
        }
    }
}

extension BacktestRunner {
    /// Runs a market-making model over one dataset in feed order (as `runGrid(_:grid:base:events:)`):
    /// builds the trade tape from `events`, sets the decision interval from the parameters.
    public static func runMarketMaker(_ configuration: BacktestConfiguration, model: MarketMakingModel, base: Ticks,
                                      events: UnsafeBufferPointer<Event>, checkEvery: Int = 10_000,
                                      shouldContinue: ((Nanos) -> Bool)? = nil, unwind: UnwindParameters? = nil) -> BacktestResult
    {
        withExchangeFeed(events) { ex in
            runMarketMaker(configuration, model: model, base: base, exchangeFeed: ex, localFeed: events,
                           checkEvery: checkEvery, shouldContinue: shouldContinue, unwind: unwind)
        }
    }

    /// Runs a market-making model with separate exchange and local feeds (the tape is read from
    /// the local feed).
    public static func runMarketMaker(_ configuration: BacktestConfiguration, model: MarketMakingModel, base: Ticks,
                                      exchangeFeed: UnsafeBufferPointer<Event>, localFeed: UnsafeBufferPointer<Event>,
                                      checkEvery: Int = 10_000, shouldContinue: ((Nanos) -> Bool)? = nil,
                                      unwind: UnwindParameters? = nil) -> BacktestResult
    {
        var c = configuration
        c.settings.decisionInterval = model.decisionInterval
        let tape = TradeTape(events: localFeed, base: base)
        switch model {
        case .spread(let p):
            var s = SpreadQuoter(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize, trades: tape)
            return runUnwinding(c, &s, unwind, base, exchangeFeed, localFeed, checkEvery, shouldContinue)
        case .avellanedaStoikov(let p):
            var s = AvellanedaStoikov(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize, trades: tape)
            return runUnwinding(c, &s, unwind, base, exchangeFeed, localFeed, checkEvery, shouldContinue)
        case .glft(let p):
            var s = GLFTMarketMaker(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize, trades: tape)
            return runUnwinding(c, &s, unwind, base, exchangeFeed, localFeed, checkEvery, shouldContinue)
        }
    }
}

extension BacktestRunner {
    /// Runs `strategy`, wrapped in an `InventoryUnwind` when `unwind` is given (its reports go
    /// to the result's `unwinds`).
    static func runUnwinding<S: Strategy>(_ c: BacktestConfiguration, _ strategy: inout S, _ unwind: UnwindParameters?, _ base: Ticks,
                                          _ exchangeFeed: UnsafeBufferPointer<Event>, _ localFeed: UnsafeBufferPointer<Event>,
                                          _ checkEvery: Int, _ shouldContinue: ((Nanos) -> Bool)?) -> BacktestResult
    {
        guard let u = unwind else {
            return run(c, strategy: &strategy, base: base, exchangeFeed: exchangeFeed, localFeed: localFeed,
                       checkEvery: checkEvery, shouldContinue: shouldContinue)
        }
        var w = InventoryUnwind(inner: strategy, parameters: u, decisionInterval: c.settings.decisionInterval)
        var r = run(c, strategy: &w, base: base, exchangeFeed: exchangeFeed, localFeed: localFeed,
                    checkEvery: checkEvery, shouldContinue: shouldContinue)
        r.unwinds = w.reports
        strategy = w.inner
        return r
    }
}
