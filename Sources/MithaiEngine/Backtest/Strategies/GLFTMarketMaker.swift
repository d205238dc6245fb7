/// Parameters of the GLFT market maker (kind `glft`). Units: prices and depths in ticks,
/// inventory q in order units (position / orderQuantity), σ in ticks/√s, A per second, k per tick.
public struct GLFTParameters: Sendable, Equatable {
    /// Risk aversion γ (> 0).
    public var gamma: Double
    /// ξ of the model; nil: ξ = γ (the tutorial's choice).
    public var xi: Double?
    /// Δ, the inventory step in order units (the tutorial uses 1).
    public var delta: Double
    /// Multiplier of the half spread (the tutorial's adj1).
    public var adj1: Double
    /// Multiplier of the skew (adj2).
    public var adj2: Double
    /// A and k used until the first calibration succeeds.
    public var initialA: Double
    public var initialK: Double
    /// Arrival-intensity calibration (rolling window, buckets).
    public var calibration: IntensityCalibrationParameters
    /// Time between refits of A and k, ns (the tutorial: 5 s).
    public var recalibrateEvery: Nanos
    /// Decisions in the rolling window of mid changes for σ (the tutorial: 6000 = 10 min at 100 ms).
    public var volatilityWindow: Int
    /// σ until two mid changes are held, ticks/√s.
    public var initialSigma: Double
    public var reference: ReferencePrice
    /// Size of each order, lots; also the inventory unit.
    public var orderQuantity: Lots
    /// Orders per side (1: a single quote; > 1: a grid as in the tutorial's grid version).
    public var levels: Int
    /// Grid interval, ticks; 0: max(round(half spread), 1) as in the tutorial. Grid prices
    /// are multiples of it.
    public var gridIntervalTicks: Int64
    /// Cap the bid at the best bid and the ask at the best ask (the tutorial does).
    public var capAtTouch: Bool
    public var requoteThresholdTicks: Int64
    public var inventory: InventoryParameters
    public var adverseSelection: AdverseSelectionParameters?
    public var sizing: VolatilitySizingParameters?
    public var timeInForce: TimeInForce
    public var decisionInterval: Nanos

    public init(gamma: Double = 0.05, xi: Double? = nil, delta: Double = 1, adj1: Double = 1, adj2: Double = 1,
                initialA: Double = 1, initialK: Double = 1,
                calibration: IntensityCalibrationParameters = IntensityCalibrationParameters(),
                recalibrateEvery: Nanos = 5 * Time.second, volatilityWindow: Int = 6000, initialSigma: Double = 1,
                reference: ReferencePrice = .mid, orderQuantity: Lots = 100, levels: Int = 1,
                gridIntervalTicks: Int64 = 0, capAtTouch: Bool = true, requoteThresholdTicks: Int64 = 1,
                inventory: InventoryParameters = InventoryParameters(),
                adverseSelection: AdverseSelectionParameters? = nil, sizing: VolatilitySizingParameters? = nil,
                timeInForce: TimeInForce = .gtx, decisionInterval: Nanos = 100 * Time.millisecond)
    {
        precondition(gamma > 0 && (xi ?? 1) > 0 && delta > 0 && initialA > 0 && initialK > 0 && orderQuantity > 0
                         && levels >= 1 && gridIntervalTicks >= 0 && recalibrateEvery > 0 && decisionInterval > 0,
                     "invalid GLFT parameters")
        self.gamma = gamma
        self.xi = xi
        self.delta = delta
        self.adj1 = adj1
        self.adj2 = adj2
        self.initialA = initialA
        self.initialK = initialK
        self.calibration = calibration
        self.recalibrateEvery = recalibrateEvery
        self.volatilityWindow = volatilityWindow
        self.initialSigma = initialSigma
        self.reference = reference
        self.orderQuantity = orderQuantity
        self.levels = levels
        self.gridIntervalTicks = gridIntervalTicks
        self.capAtTouch = capAtTouch
        self.requoteThresholdTicks = requoteThresholdTicks
        self.inventory = inventory
        self.adverseSelection = adverseSelection
        self.sizing = sizing
        self.timeInForce = timeInForce
        self.decisionInterval = decisionInterval
    }
}

/// Guéant, Lehalle & Fernandez-Tapia (2013) closed-form approximations (their eqs. 4.6–4.7
/// as written in hftbacktest's GLFT tutorial), with A, k calibrated online from trades and σ
/// from the mid:
///
///     c1 = (1/(ξΔ))·ln(1 + ξΔ/k)
///     c2 = sqrt(γ/(2AΔk) · (1 + ξΔ/k)^(k/(ξΔ) + 1))
///     half spread = (c1 + Δ/2·σ·c2) · adj1,  skew = σ·c2 · adj2
///     bid depth = half spread + skew·q,  ask depth = half spread − skew·q
///
/// bid = mid − bid depth (capped at the best bid), ask = mid + ask depth (capped at the best
/// ask), rounded outward; with `levels > 1`, aligned to the grid interval and stepped by it.
public struct GLFTMarketMaker: Strategy {
    public let parameters: GLFTParameters
    public internal(set) var core: MarketMakingCore
    public private(set) var calibrator: IntensityCalibrator
    public private(set) var volatility: RollingVolatility
    /// Current A (per second) and k (per tick).
    public private(set) var a: Double
    public private(set) var k: Double
    /// Number of successful refits.
    public private(set) var calibrations = 0
    public private(set) var lastHalfSpread: Double = .nan
    public private(set) var lastSkew: Double = .nan
    public private(set) var lastBid: Double = .nan
    public private(set) var lastAsk: Double = .nan
    private var previousMid: Double = .nan
    private var nextCalibration: Nanos = Nanos.min

    public init(parameters: GLFTParameters, tickSize: ExactDecimal, lotSize: ExactDecimal, trades: TradeTape = .empty) {
        self.parameters = parameters
        core = MarketMakingCore(inventory: parameters.inventory, adverseSelection: parameters.adverseSelection,
                                sizing: parameters.sizing, requoteThreshold: parameters.requoteThresholdTicks,
                                timeInForce: parameters.timeInForce, tickSize: tickSize, lotSize: lotSize, trades: trades)
        calibrator = IntensityCalibrator(parameters.calibration)
        volatility = RollingVolatility(window: max(2, parameters.volatilityWindow), initialSigma: parameters.initialSigma)
        a = parameters.initialA
        k = parameters.initialK
    }

    /// (c1, c2) of the closed form.
    public static func coefficients(gamma: Double, xi: Double, delta: Double, a: Double, k: Double)
        -> (c1: Double, c2: Double)
    {
        let xd = xi * delta
        let c1 = MMMath.log(1 + xd / k) / xd
        let c2 = (gamma / (2 * a * delta * k) * MMMath.pow(1 + xd / k, k / xd + 1)).squareRoot()
        return (c1, c2)
    }

    /// (half spread, skew) in ticks for σ (ticks/√s), before adj1/adj2.
    public static func halfSpreadAndSkew(gamma: Double, xi: Double, delta: Double, a: Double, k: Double, sigma: Double)
        -> (halfSpread: Double, skew: Double)
    {
        let c = coefficients(gamma: gamma, xi: xi, delta: delta, a: a, k: k)
        return (c.c1 + delta / 2 * sigma * c.c2, sigma * c.c2)
    }

    public mutating func didFill(_ fill: Fill) { core.didFill(fill) }

    public mutating func decide(_ trader: inout Trader) {
        let p = parameters
        // Arrival depths of the trades since the last decision, from the mid of that decision
        // (the strategy sees the book only at decisions; the tutorial does the same).
        let m0 = previousMid
        while let t = core.nextTrade(upTo: trader.time) {
            guard !m0.isNaN else { continue }
            let d = t.side == .buy ? Double(t.price) - m0 : m0 - Double(t.price)
            calibrator.record(depthTicks: d, time: t.time)
        }
        calibrator.advance(to: trader.time)
        if trader.time >= nextCalibration {
            if nextCalibration != Nanos.min, let f = calibrator.fit(), f.a.isFinite, f.k.isFinite {
                a = f.a
                k = f.k
                calibrations += 1
            }
            nextCalibration = trader.time + p.recalibrateEvery
        }
        guard let mid = trader.midTicks, let s = trader.reference(p.reference) else {
            core.place(bid: nil, ask: nil, quantity: p.orderQuantity, trader: &trader)
            return
        }
        previousMid = mid
        volatility.update(mid: mid, time: trader.time)
        core.observe(trader, mid: mid)
        let hs = GLFTMarketMaker.halfSpreadAndSkew(gamma: p.gamma, xi: p.xi ?? p.gamma, delta: p.delta, a: a, k: k,
                                                   sigma: volatility.sigma)
        let half = hs.halfSpread * p.adj1 * core.spreadScale
        let skew = hs.skew * p.adj2
        lastHalfSpread = half
        lastSkew = skew
        let q = Double(trader.position) / Double(p.orderQuantity)
        let center = s - core.inventory.skewTicks(position: trader.position)
        var bid = center - (half + skew * q)
        var ask = center + (half - skew * q)
        if p.capAtTouch {
            bid = min(bid, Double(trader.bestBid))
            ask = max(ask, Double(trader.bestAsk))
        }
        var interval: Int64 = 1
        if p.levels > 1 {
            interval = p.gridIntervalTicks > 0 ? p.gridIntervalTicks
                : max(1, Int64(half.isFinite ? min(half, 1e9).rounded() : 1))
            let step = Double(interval)
            bid = (bid / step).rounded(.down) * step
            ask = (ask / step).rounded(.up) * step
        }
        lastBid = bid
        lastAsk = ask
        core.place(bid: bid, ask: ask, levels: p.levels, interval: interval, quantity: p.orderQuantity, trader: &trader)
    }
}
