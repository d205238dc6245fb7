/// Markouts: for every fill, how the mid moved after it, at several horizons.
///
/// mid(t) is the exchange's book (events applied in exchange-time order) after every event
/// stamped at or before t. For a fill at exchange time t with side s (+1 buy, -1 sell):
///
///     move(h)  = s × (mid(t + h) - mid₀)          mid₀ = the exchange mid when it filled
///     pnl(h)   = s × (mid(t + h) - price)          (markout P&L per lot, ticks)
///     bps(h)   = move(h) / mid₀ × 10,000
///
/// in ticks (mids are half-tick exact, so values are multiples of 0.5). A fill without a mid
/// (a side empty then or at t + h) has no markout at that horizon.
public struct Markouts: Sendable, Equatable {
    public var horizons: [Nanos]
    /// Per fill (in the order given) and horizon: signed mid move, ticks (nil when undefined).
    public var move: [[Double?]]
    /// Per fill and horizon: signed P&L per lot against the fill price, ticks.
    public var pnl: [[Double?]]
    /// Per fill and horizon: signed mid move in basis points of mid₀.
    public var bps: [[Double?]]
    /// Averages per (maker/taker, side) group and horizon.
    public var groups: [Group]

    public struct Group: Sendable, Equatable {
        /// nil = all; otherwise maker (true) or taker (false).
        public var isMaker: Bool?
        /// `.none` = both sides.
        public var side: Side
        public var horizon: Nanos
        public var count: Int
        public var meanMoveTicks: Double?
        public var meanMoveBps: Double?
        public var meanPnLTicks: Double?
    }

    /// Computes markouts of `fills` over the exchange feed (the events in exchange-time order,
    /// prices relative to `base`). O(events + fills × horizons × log).
    public static func compute<C: Collection>(fills: C, exchangeFeed: UnsafeBufferPointer<Event>, base: Ticks,
                                              horizons: [Nanos]) -> Markouts where C.Element == Fill
    {
        let fs = Array(fills)
        var targets: [(time: Nanos, fill: Int, horizon: Int)] = []
        targets.reserveCapacity(fs.count * horizons.count)
        for (i, f) in fs.enumerated() {
            for (k, h) in horizons.enumerated() { targets.append((f.exchangeTime &+ h, i, k)) }
        }
        targets.sort { $0.time != $1.time ? $0.time < $1.time : ($0.fill, $0.horizon) < ($1.fill, $1.horizon) }
        var midAt = Array(repeating: Array(repeating: Int64(0), count: horizons.count), count: fs.count)
        var book = L2Book()
        var e = 0
        for t in targets {
            while e < exchangeFeed.count && exchangeFeed[e].exchTime <= t.time {
                book.apply(exchangeFeed[e], base: base)
                e += 1
            }
            if book.bestBid != Ticks.min && book.bestAsk != Ticks.max {
                midAt[t.fill][t.horizon] = book.bestBid + book.bestAsk
            }
        }
        var move = Array(repeating: Array(repeating: Double?.none, count: horizons.count), count: fs.count)
        var pnl = move
        var bps = move
        for (i, f) in fs.enumerated() {
            let s = f.side == .buy ? 1.0 : -1.0
            for k in horizons.indices where midAt[i][k] > 0 {
                let m = Double(midAt[i][k]) / 2
                pnl[i][k] = s * (m - Double(f.price))
                if f.markHalfTicks > 0 {
                    let m0 = Double(f.markHalfTicks) / 2
                    move[i][k] = s * (m - m0)
                    bps[i][k] = s * (m - m0) / m0 * 10_000
                }
            }
        }
        var groups: [Group] = []
        for maker in [Bool?.none, true, false] {
            for side in [Side.none, .buy, .sell] {
                for (k, h) in horizons.enumerated() {
                    var n = 0, nm = 0
                    var sm = 0.0, sb = 0.0, sp = 0.0
                    for (i, f) in fs.enumerated() {
                        if let mk = maker, f.isMaker != mk { continue }
                        if side != .none && f.side != side { continue }
                        if let p = pnl[i][k] { n += 1; sp += p }
                        if let m = move[i][k], let b = bps[i][k] { nm += 1; sm += m; sb += b }
                    }
                    groups.append(Group(isMaker: maker, side: side, horizon: h, count: n,
                                        meanMoveTicks: nm > 0 ? sm / Double(nm) : nil,
                                        meanMoveBps: nm > 0 ? sb / Double(nm) : nil,
                                        meanPnLTicks: n > 0 ? sp / Double(n) : nil))
                }
            }
        }
        return Markouts(horizons: horizons, move: move, pnl: pnl, bps: bps, groups: groups)
    }

    /// Share of fills whose markout P&L at horizon index `k` is positive (fill-level win rate).
    public func fillWinRate(horizonIndex k: Int) -> Double? {
        var n = 0, w = 0
        for row in pnl { if let p = row[k] { n += 1; if p > 0 { w += 1 } } }
        return n > 0 ? Double(w) / Double(n) : nil
    }
}
