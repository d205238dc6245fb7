/// Inventory unwinding for any strategy: a wrapper composing a quoter and an
/// `ExecutionAlgorithm` over one `Trader`, so every strategy gets it without code of its own.
///
/// At each decision, when no unwind is working and |position| reaches `threshold`, the wrapper
/// starts a TWAP parent that brings the position back to `target` over `over`; while it works,
/// new orders of the quoter on the side that adds inventory are refused by the trader
/// (`Trader.blockedSide`, counted as local risk rejections) and its resting ones on that side are
/// cancelled; the quoter keeps quoting the reducing side. The parent is cancelled as soon as the
/// position reaches the target (the quoter's reducing fills count), so it never overshoots by
/// more than the children already out. When the parent ends (filled, target reached, or its
/// window over: what filled stays filled) its report is kept (`reports`) and the quoter resumes
/// both sides. Children have ids from `childBase` (2⁶⁰), so the run's orders table shows them
/// beside the quoter's; fills are routed by id. Order of work at a decision: trigger check, the
/// quoter decides, then the parent decides. Deterministic like its parts.
///
/// The report's interval VWAP is left empty: a backtest strategy does not see the prints as they
/// come (market makers get the tape up front; a live venue's prints reach `observe`, which
/// the wrapper forwards to the quoter).
public struct UnwindParameters: Sendable, Equatable {
    /// |position| (lots) at which an unwind starts (> 0).
    public var threshold: Lots
    /// Position (lots) the unwind brings the position back to (|target| < threshold).
    public var target: Lots
    /// Length of the TWAP schedule.
    public var over: Nanos
    public var slices: Int
    /// Take each slice at once (IOC at the far touch) instead of resting first.
    public var aggressive: Bool

    public init(threshold: Lots, target: Lots = 0, over: Nanos, slices: Int = 10, aggressive: Bool = false) {
        self.threshold = threshold
        self.target = target
        self.over = over
        self.slices = slices
        self.aggressive = aggressive
    }

    /// Why these parameters cannot work, or nil.
    public var problem: String? {
        if threshold <= 0 { return "unwind_at must be positive" }
        if abs(target) >= threshold { return "unwind_to must be nearer zero than unwind_at" }
        if over <= 0 { return "unwind_over must be a positive duration" }
        if slices < 1 { return "unwind slices must be at least 1" }
        return nil
    }
}

public struct InventoryUnwind<Inner: Strategy>: Strategy {
    public static var childBase: OrderID { 1 << 60 }
    public private(set) var inner: Inner
    public let parameters: UnwindParameters
    /// The venue's decision interval (for the parent's catch-up default).
    public let decisionInterval: Nanos
    public private(set) var active: ExecutionAlgorithm? = nil
    private var activeFills: ContiguousArray<Fill> = []
    private var nextChild: OrderID = InventoryUnwind.childBase
    /// Reports of the unwinds that ended, in order.
    public private(set) var reports: [ExecutionReport] = []

    public init(inner: Inner, parameters: UnwindParameters, decisionInterval: Nanos) {
        self.inner = inner
        self.parameters = parameters
        self.decisionInterval = decisionInterval
    }

    public mutating func didFill(_ fill: Fill) {
        if fill.orderID >= Self.childBase && fill.orderID < Self.childBase << 1 {
            activeFills.append(fill)
            active?.didFill(fill)
        } else {
            inner.didFill(fill)
        }
    }

    public mutating func decide(_ trader: inout Trader) {
        if active == nil {
            let p = trader.position
            if abs(p) >= parameters.threshold && p != parameters.target {
                let side: Side = p > parameters.target ? .sell : .buy
                var a = ExecutionAlgorithm(parent: ParentOrder(side: side, quantity: abs(p - parameters.target), duration: parameters.over),
                                           style: .twap(slices: parameters.slices), volume: VolumeCurve(),
                                           decisionInterval: decisionInterval, aggressive: parameters.aggressive)
                a.nextID = nextChild
                active = a
                activeFills = []
                trader.blockedSide = side.opposite
                var doomed: [OrderID] = []
                for o in trader.orders where o.side == side.opposite && o.isCancellable && o.id < Self.childBase { doomed.append(o.id) }
                for id in doomed { trader.cancel(id) }
            }
        }
        inner.decide(&trader)
        guard var a = active else { return }
        // The quoter's reducing fills count too: once the position has reached the target the
        // parent is cancelled (no overshoot beyond the children already out).
        let p = trader.position
        if a.parent.side == .sell ? p <= parameters.target : p >= parameters.target { a.cancel() }
        a.decide(&trader)
        nextChild = a.nextID
        if a.finished {
            reports.append(ExecutionReport.fromFills(a, fills: activeFills, printVolume: 0, printValue: 0,
                                                     end: min(a.endTime, trader.time), cancelTime: nil,
                                                     requested: a.startTime, valuation: trader.ledger.valuation))
            active = nil
            trader.blockedSide = .none
        } else {
            active = a
        }
    }
}

/// A strategy that keeps unwind reports (read through an existential by the live runner).
public protocol UnwindReporting {
    var reports: [ExecutionReport] { get }
}

extension InventoryUnwind: UnwindReporting {}

extension InventoryUnwind: LiveStrategy where Inner: LiveStrategy {
    public mutating func observe(_ print: TradePrint) { inner.observe(print) }
}

extension ExecutionReport {
    /// A report from a parent's own fills (a live venue's parents, inventory unwinds): the
    /// interval VWAP from the prints the caller counted (`printVolume` lots, Σ price × qty).
    static func fromFills(_ a: ExecutionAlgorithm, fills: ContiguousArray<Fill>, printVolume: Lots, printValue: Double, end t: Nanos,
                          cancelTime: Nanos?, requested: Nanos, valuation v: Valuation) -> ExecutionReport
    {
        var q: Lots = 0, pq = 0.0, makers = 0
        var fees = Money.zero
        for f in fills {
            q += f.quantity
            pq += Double(f.price) * Double(f.quantity)
            if f.isMaker { makers += 1 }
            fees += f.fee
        }
        let start = a.startTime == 0 ? requested : a.startTime
        var end: Nanos
        if a.parent.duration != nil { end = min(a.endTime, t) } else { end = a.lastFillTime > 0 ? a.lastFillTime : t }
        if let c = cancelTime { end = min(end, c) }
        if let c = a.parent.cancelAt, a.cancelled { end = min(end, c) }
        let avg = q > 0 ? pq / Double(q) : nil
        let arrival = Double(a.arrivalMidHalfTicks) / 2
        let vwap = printVolume > 0 ? printValue / Double(printVolume) : nil
        let sign = a.parent.side == .buy ? 1.0 : -1.0
        func bps(_ bench: Double?) -> Double? {
            guard let x = avg, let b = bench, b != 0 else { return nil }
            return sign * (x - b) / b * 10_000
        }
        let tickLot = v.tickSize.doubleValue * v.lotSize.doubleValue * v.multiplier.doubleValue
        let shortfall = avg.map { sign * ($0 - arrival) * Double(q) * tickLot }
        let started = a.startTime != 0
        return ExecutionReport(algorithm: a.style.name, side: a.parent.side, quantity: a.parent.quantity, filled: q,
                               completion: Double(q) / Double(a.parent.quantity), childOrders: a.childOrders,
                               passiveChildren: a.passiveChildren, aggressiveChildren: a.aggressiveChildren,
                               fills: fills.count, makerFills: makers, averagePriceTicks: avg,
                               arrivalMidTicks: started ? arrival : 0, intervalVWAPTicks: vwap, marketVolume: printVolume,
                               participation: printVolume > 0 ? Double(q) / Double(printVolume) : nil,
                               slippageVsArrivalBps: started ? bps(arrival) : nil, slippageVsVWAPBps: bps(vwap),
                               shortfall: v.contract == .linear && started ? shortfall : nil, fees: fees,
                               start: start, end: end, cancelled: a.cancelled || (cancelTime != nil && q < a.parent.quantity))
    }
}
