/// Everything `stats RUN` shows, computed from a `BacktestResult` in one call.
public struct RunStatistics: Sendable, Equatable {
    public var pnl: PnLBreakdown
    public var trades: TradeStatistics
    public var inventory: InventoryStatistics
    public var binned: BinnedPnL
    public var returns: RiskAdjustedReturns
    public var drawdown: Drawdown
    /// At 95% and 99% (nil when fewer than two bins).
    public var var95: ValueAtRisk?
    public var var99: ValueAtRisk?
    /// Simulated-time latencies (ns): tick-to-order and order round trip, p50/p99/p99.9.
    public var tickToOrder: (p50: Int64, p99: Int64, p999: Int64)?
    public var orderRoundTrip: (p50: Int64, p99: Int64, p999: Int64)?

    public struct Options: Sendable, Equatable {
        /// P&L bin for Sharpe, Sortino, VaR (default one UTC day).
        public var binLength: Nanos
        /// Bins per year for annualisation (default 365 days / bin length).
        public var periodsPerYear: Double?
        /// Position limit for "time at limit" (lots).
        public var inventoryLimit: Lots?

        public init(binLength: Nanos = Time.day, periodsPerYear: Double? = nil, inventoryLimit: Lots? = nil) {
            self.binLength = binLength
            self.periodsPerYear = periodsPerYear
            self.inventoryLimit = inventoryLimit
        }
    }

    public init(_ r: BacktestResult, options: Options = Options()) {
        let v = r.valuation
        pnl = PnLStatistics.breakdown(fills: r.fills, valuation: v, finalMarkHalfTicks: r.finalMarkHalfTicks)
        trades = PnLStatistics.trades(fills: r.fills, orders: r.orders, counters: r.counters, valuation: v,
                                      netPnL: r.netPnL, span: r.endTime - r.startTime)
        inventory = PnLStatistics.inventory(fills: r.fills, start: r.startTime, end: r.endTime, limit: options.inventoryLimit)
        binned = ReturnStatistics.binned(equity: r.equity, valuation: v, binLength: options.binLength)
        drawdown = ReturnStatistics.drawdown(equity: r.equity, valuation: v)
        returns = ReturnStatistics.riskAdjusted(binned, drawdown: drawdown, periodsPerYear: options.periodsPerYear)
        var95 = ReturnStatistics.valueAtRisk(binned.pnl, confidence: 0.95)
        var99 = ReturnStatistics.valueAtRisk(binned.pnl, confidence: 0.99)
        tickToOrder = r.tickToOrder.summary
        orderRoundTrip = r.orderRoundTrip.summary
    }

    public static func == (a: RunStatistics, b: RunStatistics) -> Bool {
        a.pnl == b.pnl && a.trades == b.trades && a.inventory == b.inventory && a.binned == b.binned
            && a.returns == b.returns && a.drawdown == b.drawdown && a.var95 == b.var95 && a.var99 == b.var99
            && a.tickToOrder.map { [$0.p50, $0.p99, $0.p999] } == b.tickToOrder.map { [$0.p50, $0.p99, $0.p999] }
            && a.orderRoundTrip.map { [$0.p50, $0.p99, $0.p999] } == b.orderRoundTrip.map { [$0.p50, $0.p99, $0.p999] }
    }
}
