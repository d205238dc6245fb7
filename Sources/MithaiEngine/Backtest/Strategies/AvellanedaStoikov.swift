/// Horizon of the Avellaneda–Stoikov model.
public enum ASHorizon: Sendable, Equatable {
    /// Finite horizon T (seconds), restarted every T from the first decision (a "session"):
    /// T − t = T − ((t − t₀) mod T).
    case finite(seconds: Double)
    /// Infinite horizon with discount ω (per second), Avellaneda & Stoikov (2008) §2.3. nil: the
    /// paper's suggested ω = ½γ²σ²(q_max + 1)², evaluated with the current σ.
    case infinite(omega: Double?)
}

/// Parameters of the Avellaneda–Stoikov market maker (kind `as`). Units: prices in ticks,
/// inventory q in order units (position / orderQuantity), time in seconds, σ in ticks/√s.
public struct ASParameters: Sendable, Equatable {
    /// Risk aversion γ, per (tick × order unit) (> 0).
    public var gamma: Double
    /// Order-book liquidity k of the fill intensity A·exp(−kδ), per tick (> 0).
    public var k: Double
    public var horizon: ASHorizon
    /// Half-life of the EWMA volatility of mid changes, in decisions.
    public var volatilityHalfLife: Double
    /// σ before any mid change is seen, ticks/√s.
    public var initialSigma: Double
    /// Price s the model starts from.
    public var reference: ReferencePrice
    /// Size of each quote, lots; also the inventory unit.
    public var orderQuantity: Lots
    public var requoteThresholdTicks: Int64
    /// Hard limits (maxPosition / orderQuantity is q_max), extra skew, reduce-only.
    public var inventory: InventoryParameters
    public var adverseSelection: AdverseSelectionParameters?
    public var sizing: VolatilitySizingParameters?
    public var timeInForce: TimeInForce
    public var decisionInterval: Nanos

    public init(gamma: Double = 0.01, k: Double = 0.5, horizon: ASHorizon = .finite(seconds: 60),
                volatilityHalfLife: Double = 100, initialSigma: Double = 1, reference: ReferencePrice = .mid,
                orderQuantity: Lots = 100, requoteThresholdTicks: Int64 = 1,
                inventory: InventoryParameters = InventoryParameters(),
                adverseSelection: AdverseSelectionParameters? = nil, sizing: VolatilitySizingParameters? = nil,
                timeInForce: TimeInForce = .gtx, decisionInterval: Nanos = 100 * Time.millisecond)
    {
        precondition(gamma > 0 && k > 0 && orderQuantity > 0 && decisionInterval > 0, "invalid AS parameters")
        if case .finite(let t) = horizon { precondition(t > 0, "AS horizon must be positive") }
        self.gamma = gamma
        self.k = k
        self.horizon = horizon
        self.volatilityHalfLife = volatilityHalfLife
        self.initialSigma = initialSigma
        self.reference = reference
        self.orderQuantity = orderQuantity
        self.requoteThresholdTicks = requoteThresholdTicks
        self.inventory = inventory
        self.adverseSelection = adverseSelection
        self.sizing = sizing
        self.timeInForce = timeInForce
        self.decisionInterval = decisionInterval
    }
}

/// Avellaneda & Stoikov (2008), "High-frequency trading in a limit order book".
///
/// Finite horizon (their approximation, eqs. 29–30): reservation r = s − q·γ·σ²·(T−t), total
/// spread δ = γσ²(T−t) + (2/γ)·ln(1 + γ/k); bid r − δ/2, ask r + δ/2.
/// Infinite horizon (§2.3): r^a = s + (1/γ)·ln(1 + (1−2q)γ²σ²/(2ω − γ²q²σ²)),
/// r^b = s + (1/γ)·ln(1 + (−1−2q)γ²σ²/(2ω − γ²q²σ²)); bid r^b − (1/γ)ln(1+γ/k), ask
/// r^a + (1/γ)ln(1+γ/k). A side whose logarithm is undefined (q at the bound) is not quoted.
/// Quotes are rounded outward to ticks (bid down, ask up).
public struct AvellanedaStoikov: Strategy {
    public let parameters: ASParameters
    public internal(set) var core: MarketMakingCore
    public private(set) var volatility: EWMAVolatility
    /// Last computed reservation price and quotes (fractional ticks; NaN before the first).
    public private(set) var lastReservation: Double = .nan
    public private(set) var lastBid: Double = .nan
    public private(set) var lastAsk: Double = .nan
    private var start: Nanos = Nanos.min

    public init(parameters: ASParameters, tickSize: ExactDecimal, lotSize: ExactDecimal, trades: TradeTape = .empty) {
        self.parameters = parameters
        core = MarketMakingCore(inventory: parameters.inventory, adverseSelection: parameters.adverseSelection,
                                sizing: parameters.sizing, requoteThreshold: parameters.requoteThresholdTicks,
                                timeInForce: parameters.timeInForce, tickSize: tickSize, lotSize: lotSize, trades: trades)
        volatility = EWMAVolatility(halfLife: parameters.volatilityHalfLife, initialSigma: parameters.initialSigma)
    }

    /// Finite horizon: (reservation, total spread), ticks.
    public static func finite(s: Double, q: Double, gamma: Double, sigma: Double, k: Double, remaining: Double)
        -> (reservation: Double, spread: Double)
    {
        let risk = gamma * sigma * sigma * remaining
        return (s - q * risk, risk + 2 / gamma * MMMath.log(1 + gamma / k))
    }

    /// Infinite horizon: (bid, ask) quotes in ticks (nil for a side that is not defined).
    public static func infinite(s: Double, q: Double, gamma: Double, sigma: Double, k: Double, omega: Double)
        -> (bid: Double?, ask: Double?, reservationBid: Double?, reservationAsk: Double?)
    {
        let g2s2 = gamma * gamma * sigma * sigma
        let den = 2 * omega - g2s2 * q * q
        let edge = MMMath.log(1 + gamma / k) / gamma
        func r(_ sign: Double) -> Double? {
            guard den > 0 else { return nil }
            let x = 1 + (sign - 2 * q) * g2s2 / den
            guard x > 0 else { return nil }
            return s + MMMath.log(x) / gamma
        }
        let rb = r(-1), ra = r(1)
        return (rb.map { $0 - edge }, ra.map { $0 + edge }, rb, ra)
    }

    /// The default ω = ½γ²σ²(q_max + 1)².
    public static func defaultOmega(gamma: Double, sigma: Double, qMax: Double) -> Double {
        0.5 * gamma * gamma * sigma * sigma * (qMax + 1) * (qMax + 1)
    }

    public mutating func didFill(_ fill: Fill) { core.didFill(fill) }

    public mutating func decide(_ trader: inout Trader) {
        core.skipTrades(upTo: trader.time)
        guard let mid = trader.midTicks, let s = trader.reference(parameters.reference) else {
            core.place(bid: nil, ask: nil, quantity: parameters.orderQuantity, trader: &trader)
            return
        }
        if start == Nanos.min { start = trader.time }
        volatility.update(mid: mid, time: trader.time)
        core.observe(trader, mid: mid)
        let p = parameters
        let sigma = volatility.sigma
        let q = Double(trader.position) / Double(p.orderQuantity)
        let skew = core.inventory.skewTicks(position: trader.position)
        let scale = core.spreadScale
        switch p.horizon {
        case .finite(let T):
            let period = max(1, Nanos((T * Double(Time.second)).rounded()))
            let elapsed = Double((trader.time - start) % period) / Double(Time.second)
            let (r, spread) = AvellanedaStoikov.finite(s: s, q: q, gamma: p.gamma, sigma: sigma, k: p.k,
                                                       remaining: T - elapsed)
            lastReservation = r - skew
            lastBid = lastReservation - spread / 2 * scale
            lastAsk = lastReservation + spread / 2 * scale
        case .infinite(let omega):
            let qMax = Double(p.inventory.maxPosition) / Double(p.orderQuantity)
            let w = omega ?? AvellanedaStoikov.defaultOmega(gamma: p.gamma, sigma: sigma, qMax: qMax)
            let x = AvellanedaStoikov.infinite(s: s, q: q, gamma: p.gamma, sigma: sigma, k: p.k, omega: w)
            if let rb = x.reservationBid, let ra = x.reservationAsk { lastReservation = (rb + ra) / 2 - skew }
            lastBid = x.bid.map { s - skew - (s - $0) * scale } ?? .nan
            lastAsk = x.ask.map { s - skew + ($0 - s) * scale } ?? .nan
        }
        core.place(bid: lastBid.isNaN ? nil : lastBid, ask: lastAsk.isNaN ? nil : lastAsk,
                   quantity: p.orderQuantity, trader: &trader)
    }
}
