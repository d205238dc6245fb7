public import MithaiEngine

extension Dataset {
    /// A dataset holding the event feed a simulated venue produced (feed order, local times
    /// non-decreasing), so a live session's run has data like a backtest's. `contentHash` is
    /// the SHA-256-sized digest of the events (FNV-1a over their bytes, hex): equal feeds,
    /// equal hashes. O(n); the events are copied once.
    public static func simulated(_ events: ContiguousArray<Event>, instrument: Instrument, baseTick: Ticks,
                                 source: String) -> Dataset
    {
        let buffer = EventBuffer(reserve: max(1, events.count))
        var counts = EventCounts()
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var maxID: UInt32 = 0
        for e in events {
            buffer.append(e)
            counts.count(e.kind)
            maxID = max(maxID, e.orderID)
            withUnsafeBytes(of: e) { raw in
                for b in raw { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            }
        }
        let hex = String(h, radix: 16)
        let hash = String(repeating: "0", count: 16 - hex.count) + hex
        // L3 handles are dense and generated: the original id of handle k is k.
        let ids = (0...Int(maxID)).map { UInt64($0) }
        return Dataset(instrument: instrument, format: .simulated, sources: [source], contentHash: hash, baseTick: baseTick,
                       storage: buffer.take(), bars: [], counts: counts, originalOrderIDs: ids, notes: [],
                       loadedFromCache: false)
    }
}
