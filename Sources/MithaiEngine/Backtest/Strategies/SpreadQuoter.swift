/// Parameters of the spread quoter (kind `spread`).
public struct SpreadParameters: Sendable, Equatable {
    /// Price the quotes are centred on.
    public var reference: ReferencePrice
    /// Half spread, ticks: fixed, or the floor of the dynamic half spread.
    public var halfSpreadTicks: Double
    /// Dynamic half spread: max(halfSpreadTicks, volatilityMultiplier × σ) with σ the EWMA
    /// volatility of the mid in ticks/√s (i.e. the 1-second move). 0: fixed half spread.
    public var volatilityMultiplier: Double
    /// Half-life of the EWMA volatility, in decisions.
    public var volatilityHalfLife: Double
    /// σ before any mid change is seen, ticks/√s.
    public var initialSigma: Double
    /// Size of each quote, lots.
    public var orderQuantity: Lots
    /// A resting quote is kept while within this many ticks of the wanted price (≥ 1; 1 =
    /// requote on any change).
    public var requoteThresholdTicks: Int64
    /// Limits, skew, reduce-only.
    public var inventory: InventoryParameters
    /// Adverse-selection guard (nil: off).
    public var adverseSelection: AdverseSelectionParameters?
    /// Volatility-clustering sizing (nil: off).
    public var sizing: VolatilitySizingParameters?
    /// Time in force (GTX: post-only).
    public var timeInForce: TimeInForce
    /// Time between decisions, ns.
    public var decisionInterval: Nanos

    public init(reference: ReferencePrice = .mid, halfSpreadTicks: Double = 2, volatilityMultiplier: Double = 0,
                volatilityHalfLife: Double = 100, initialSigma: Double = 1, orderQuantity: Lots = 100,
                requoteThresholdTicks: Int64 = 1, inventory: InventoryParameters = InventoryParameters(),
                adverseSelection: AdverseSelectionParameters? = nil, sizing: VolatilitySizingParameters? = nil,
                timeInForce: TimeInForce = .gtx, decisionInterval: Nanos = 100 * Time.millisecond)
    {
        precondition(halfSpreadTicks >= 0 && volatilityMultiplier >= 0 && orderQuantity > 0 && decisionInterval > 0,
                     "invalid spread parameters")
        self.reference = reference
        self.halfSpreadTicks = halfSpreadTicks
        self.volatilityMultiplier = volatilityMultiplier
        self.volatilityHalfLife = volatilityHalfLife
        self.initialSigma = initialSigma
        self.orderQuantity = orderQuantity
        self.requoteThresholdTicks = requoteThresholdTicks
        self.inventory = inventory
        self.adverseSelection = adverseSelection
        self.sizing = sizing
        self.timeInForce = timeInForce
        self.decisionInterval = decisionInterval
    }
}

/// One bid and one ask around the mid or microprice: bid = ⌊ref − skew − h⌋, ask =
/// ⌈ref − skew + h⌉ with h the (fixed or volatility-scaled) half spread and skew the inventory
/// skew; post-only, kept while within the requote threshold. O(live orders) per decision,
/// allocation-free.
public struct SpreadQuoter: Strategy {
    public let parameters: SpreadParameters
    public internal(set) var core: MarketMakingCore
    public private(set) var volatility: EWMAVolatility
    /// Last quotes computed (fractional ticks, before rounding, guard and limits).
    public private(set) var lastBid: Double = .nan
    public private(set) var lastAsk: Double = .nan

    public init(parameters: SpreadParameters, tickSize: ExactDecimal, lotSize: ExactDecimal, trades: TradeTape = .empty) {
        self.parameters = parameters
        core = MarketMakingCore(inventory: parameters.inventory, adverseSelection: parameters.adverseSelection,
                                sizing: parameters.sizing, requoteThreshold: parameters.requoteThresholdTicks,
                                timeInForce: parameters.timeInForce, tickSize: tickSize, lotSize: lotSize, trades: trades)
        volatility = EWMAVolatility(halfLife: parameters.volatilityHalfLife, initialSigma: parameters.initialSigma)
    }

    /// The half spread for volatility σ (ticks/√s), before sizing.
    public static func halfSpread(_ p: SpreadParameters, sigma: Double) -> Double {
        p.volatilityMultiplier > 0 ? max(p.halfSpreadTicks, p.volatilityMultiplier * sigma) : p.halfSpreadTicks
    }

    public mutating func didFill(_ fill: Fill) { core.didFill(fill) }

    public mutating func decide(_ trader: inout Trader) {
        core.skipTrades(upTo: trader.time)
        guard let mid = trader.midTicks, let ref = trader.reference(parameters.reference) else {
            core.place(bid: nil, ask: nil, quantity: parameters.orderQuantity, trader: &trader)
            return
        }
        volatility.update(mid: mid, time: trader.time)
        core.observe(trader, mid: mid)
        let h = SpreadQuoter.halfSpread(parameters, sigma: volatility.sigma) * core.spreadScale
        let center = ref - core.inventory.skewTicks(position: trader.position)
        lastBid = center - h
        lastAsk = center + h
        core.place(bid: lastBid, ask: lastAsk, quantity: parameters.orderQuantity, trader: &trader)
    }
}
