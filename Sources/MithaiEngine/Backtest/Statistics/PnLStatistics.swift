/// P&L attribution, round trips, trade and order statistics: pure functions over a run's fills,
/// orders and equity series. Formulas: docs/STATISTICS.md.

/// Net P&L split into what the quotes earned against the mid, what the inventory earned or
/// lost as the mid moved, and fees. Exact in money units:
///
///     spread capture = Σ_fills [cashFlow(fill) + mark(±q at the exchange mid when it filled)]
///     gross          = cash + mark(position at the final mid)
///     inventory      = gross - spread capture
///     net            = gross - fees = spread capture + inventory - fees
///
/// A fill with no mid (a side of the book was empty) contributes nothing to spread capture;
/// its whole effect lands in inventory.
public struct PnLBreakdown: Sendable, Equatable {
    public var spreadCapture: Money
    public var inventory: Money
    /// Fees paid (positive) or rebates earned (negative).
    public var fees: Money
    public var gross: Money
    public var net: Money
}

/// One FIFO-matched round trip piece: `quantity` lots opened by one fill and closed by another.
public struct RoundTrip: Sendable, Equatable {
    public var side: Side            // side of the opening fill (buy = long round trip)
    public var quantity: Lots
    public var entryPrice: Ticks
    public var exitPrice: Ticks
    public var entryTime: Nanos      // local times of the two fills
    public var exitTime: Nanos
    /// P&L before fees, exact: cashFlow(entry) + cashFlow(exit) for `quantity`.
    public var gross: Money
    /// Share of the two fills' fees (pro rata to quantity), in currency (Double: not exact).
    public var fees: Double
}

/// Trade-level statistics of a run.
public struct TradeStatistics: Sendable, Equatable {
    public var fills: Int
    public var makerFills: Int
    public var takerFills: Int
    public var roundTrips: Int
    /// Share of round trips with gross P&L > 0 (nil when none).
    public var winRate: Double?
    /// Share of round trips with P&L after their share of fees > 0.
    public var winRateAfterFees: Double?
    /// Σ winning round-trip P&L / |Σ losing round-trip P&L| (gross; nil when nothing lost).
    public var profitFactor: Double?
    /// Traded value in currency, and per day of the run.
    public var turnover: Double
    public var turnoverPerDay: Double?
    /// Net P&L / traded value, in basis points (nil when nothing traded).
    public var returnOverTradeBps: Double?
    /// Orders with some execution / orders submitted; executed lots / submitted lots.
    public var fillRatio: Double?
    public var quantityFillRatio: Double?
    /// Order messages (new + cancel + modify) per fill.
    public var orderToTradeRatio: Double?
}

/// Inventory over time (from the position after each fill, at local time).
public struct InventoryStatistics: Sendable, Equatable {
    /// ∫|q| dt / T over [start, end], lots.
    public var timeWeightedMeanAbs: Double
    public var maxAbs: Lots
    /// Share of [start, end] with |q| >= limit (nil without a limit).
    public var timeAtLimit: Double?
}

private struct OpenLot {
    var fill: Fill
    var left: Lots
}

public enum PnLStatistics {
    /// The P&L breakdown of `fills`, with the final position marked at `finalMarkHalfTicks`.
    public static func breakdown<C: Collection>(fills: C, valuation v: Valuation, finalMarkHalfTicks: Int64) -> PnLBreakdown
        where C.Element == Fill
    {
        var cash = Money.zero, fees = Money.zero, spread = Money.zero
        var position: Lots = 0
        for f in fills {
            let flow = v.cashFlow(side: f.side, value: f.value)
            cash += flow
            fees += f.fee
            position += f.signedQuantity
            if f.markHalfTicks > 0 {
                spread += flow + v.mark(position: f.signedQuantity, halfTicks: f.markHalfTicks)
            }
        }
        let gross = cash + (finalMarkHalfTicks > 0 ? v.mark(position: position, halfTicks: finalMarkHalfTicks) : .zero)
        return PnLBreakdown(spreadCapture: spread, inventory: gross - spread, fees: fees, gross: gross, net: gross - fees)
    }

    /// FIFO round trips: each closing fill is matched against the oldest open lots; each
    /// matched piece is one round trip.
    public static func roundTrips<C: Collection>(fills: C, valuation v: Valuation) -> [RoundTrip] where C.Element == Fill {
        var open: [OpenLot] = []
        var head = 0
        var position: Lots = 0
        var out: [RoundTrip] = []
        for f in fills {
            var remaining = f.quantity
            if position != 0 && (position > 0) != (f.side == .buy) {
                while remaining > 0 && head < open.count {
                    let q = min(remaining, open[head].left)
                    let e = open[head].fill
                    let gross = v.cashFlow(side: e.side, value: v.value(price: e.price, quantity: q))
                        + v.cashFlow(side: f.side, value: v.value(price: f.price, quantity: q))
                    let fee = v.scale.double(e.fee) * Double(q) / Double(e.quantity)
                        + v.scale.double(f.fee) * Double(q) / Double(f.quantity)
                    out.append(RoundTrip(side: e.side, quantity: q, entryPrice: e.price, exitPrice: f.price,
                                         entryTime: e.localTime, exitTime: f.localTime, gross: gross, fees: fee))
                    open[head].left -= q
                    remaining -= q
                    if open[head].left == 0 { head += 1 }
                }
            }
            if remaining > 0 { open.append(OpenLot(fill: f, left: remaining)) }
            position += f.signedQuantity
        }
        return out
    }

    /// Trade statistics of a run.
    /// - Parameters:
    ///   - netPnL: the run's net P&L (for return over trade).
    ///   - span: the run's duration in ns (for turnover per day).
    public static func trades<F: Collection, O: Collection>(fills: F, orders: O, counters: RequestCounters,
                                                            valuation v: Valuation, netPnL: Money, span: Nanos)
        -> TradeStatistics where F.Element == Fill, O.Element == OrderRecord
    {
        let trips = roundTrips(fills: fills, valuation: v)
        var wins = 0, winsNet = 0
        var gain = 0.0, loss = 0.0
        for t in trips {
            let g = v.scale.double(t.gross)
            if t.gross > .zero { wins += 1; gain += g } else if t.gross < .zero { loss -= g }
            if g - t.fees > 0 { winsNet += 1 }
        }
        var turnover = Money.zero
        var maker = 0
        for f in fills {
            turnover += f.value
            if f.isMaker { maker += 1 }
        }
        let turnoverD = v.scale.double(turnover)
        var submittedQty: Lots = 0, executedQty: Lots = 0, withFill = 0
        for o in orders {
            submittedQty += o.quantity
            executedQty += o.executed
            if o.executed > 0 { withFill += 1 }
        }
        let n = fills.count
        let days = Double(span) / Double(Time.day)
        return TradeStatistics(
            fills: n, makerFills: maker, takerFills: n - maker, roundTrips: trips.count,
            winRate: trips.isEmpty ? nil : Double(wins) / Double(trips.count),
            winRateAfterFees: trips.isEmpty ? nil : Double(winsNet) / Double(trips.count),
            profitFactor: loss > 0 ? gain / loss : nil,
            turnover: turnoverD, turnoverPerDay: days > 0 ? turnoverD / days : nil,
            returnOverTradeBps: turnoverD > 0 ? v.scale.double(netPnL) / turnoverD * 10_000 : nil,
            fillRatio: orders.isEmpty ? nil : Double(withFill) / Double(orders.count),
            quantityFillRatio: submittedQty > 0 ? Double(executedQty) / Double(submittedQty) : nil,
            orderToTradeRatio: n > 0 ? Double(counters.messages) / Double(n) : nil)
    }

    /// Inventory statistics over [start, end] from the fills' `positionAfter` at their local
    /// times (position 0 before the first fill).
    public static func inventory<C: Collection>(fills: C, start: Nanos, end: Nanos, limit: Lots? = nil)
        -> InventoryStatistics where C.Element == Fill
    {
        let total = Double(max(1, end - start))
        var q: Lots = 0
        var t = start
        var area = 0.0, atLimit = 0.0
        var maxAbs: Lots = 0
        func account(until u: Nanos) {
            let dt = Double(max(0, min(u, end) - t))
            area += Double(abs(q)) * dt
            if let l = limit, abs(q) >= l { atLimit += dt }
        }
        for f in fills {
            let u = max(start, f.localTime)
            account(until: u)
            t = max(t, min(u, end))
            q = f.positionAfter
            maxAbs = max(maxAbs, abs(q))
        }
        account(until: end)
        return InventoryStatistics(timeWeightedMeanAbs: area / total, maxAbs: maxAbs,
                                   timeAtLimit: limit == nil ? nil : atLimit / total)
    }
}
