public import MithaiEngine

/// One row of an L2 log: the top `levels` of each side at a receive time.
public struct L2LogRow {
    /// Receive (local) time, ns since the Unix epoch.
    public var time: Nanos
    /// Best first; fewer than `levels` when the side is thinner.
    public var bids: [BookLevel]
    public var asks: [BookLevel]
}

extension Dataset {
    /// Replays events `range` (all when nil) through the L2 book and calls `body` with book
    /// snapshots of the top `levels` levels per side:
    /// - `every == nil`: whenever those levels change (after the last event of a receive time,
    ///   so transient states inside one packet are not reported);
    /// - `every == k`: at every multiple of `k` from the first event's time to the last event's,
    ///   with the book after all events received at or before that instant. `phase` shifts the
    ///   grid (the zone's UTC offset, so hours fall on local hours).
    ///
    /// The book before `range.lowerBound` is rebuilt first, so a window starts from the true
    /// state. L3 data goes through an `L3Book` (its L2 view); L2 data through an `L2Book` that
    /// removes crossed levels, as `book` does. `body` returns false to stop; `progress` gets the
    /// fraction done every 65,536 events. O(events × levels); memory O(levels).
    public func forEachL2Snapshot(levels: Int, every: Nanos? = nil, phase: Nanos = 0, range: Range<Int>? = nil,
                                  progress: ((Double) throws -> Void)? = nil,
                                  _ body: (L2LogRow) throws -> Bool) rethrows {
        let r = range ?? 0..<eventCount
        guard !r.isEmpty, levels > 0 else { return }
        let base = baseTick
        let l3 = isOrderByOrder
        var l2 = L2Book()
        var l3Book = L3Book()
        if l3 { l3Book = self.l3Book(upTo: r.lowerBound) } else { l2 = l2Book(upTo: r.lowerBound) }
        func top() -> ([BookLevel], [BookLevel]) {
            let b = l3 ? l3Book.l2 : l2
            return (b.levels(.buy, maxLevels: levels), b.levels(.sell, maxLevels: levels))
        }
        try withEvents { events in
            var lastBids: [BookLevel] = [], lastAsks: [BookLevel] = []
            var next: Nanos = 0
            if let every {
                let first = events[r.lowerBound].localTime
                // The first instant t >= first with (t + phase) a multiple of `every`.
                let local = first + phase
                next = (local >= 0 ? (local + every - 1) / every * every : local / every * every) - phase
            }
            var i = r.lowerBound
            while i < r.upperBound {
                let e = events[i]
                if let every {
                    // Report every grid instant before this event's time.
                    while next < e.localTime {
                        let (b, a) = top()
                        if try !body(L2LogRow(time: next, bids: b, asks: a)) { return }
                        next += every
                    }
                }
                if l3 { l3Book.apply(e, base: base) } else { l2.apply(e, base: base) }
                i += 1
                if (i - r.lowerBound) & 0xFFFF == 0 { try progress?(Double(i - r.lowerBound) / Double(r.count)) }
                if every == nil && (i == r.upperBound || events[i].localTime != e.localTime) {
                    let (b, a) = top()
                    if b != lastBids || a != lastAsks {
                        lastBids = b
                        lastAsks = a
                        if try !body(L2LogRow(time: e.localTime, bids: b, asks: a)) { return }
                    }
                }
            }
            if let every {
                let last = events[r.upperBound - 1].localTime
                while next <= last {
                    let (b, a) = top()
                    if try !body(L2LogRow(time: next, bids: b, asks: a)) { return }
                    next += every
                }
            }
            try progress?(1)
        }
    }
}
