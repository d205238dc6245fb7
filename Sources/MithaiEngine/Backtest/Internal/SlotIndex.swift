/// A map from 64-bit keys to non-negative Int32 slot numbers: open addressing with linear
/// probing and backward-shift deletion over two contiguous arrays (no tombstones, no per-entry
/// allocation). Lookups are deterministic; nothing iterates it.
///
/// Complexity: expected O(1) per operation at load <= 1/2 (the table doubles beyond that).
/// Invariant (`checkInvariants`): every stored key is reachable from its home bucket without
/// crossing an empty bucket; `count` equals the number of stored keys.
struct SlotIndex: Sendable {
    private var keys: ContiguousArray<UInt64>
    private var values: ContiguousArray<Int32>
    private var shift: UInt64
    private(set) var count = 0

    init(capacity: Int = 64) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        keys = ContiguousArray(repeating: 0, count: c)
        values = ContiguousArray(repeating: -1, count: c)
        shift = UInt64(64 - c.trailingZeroBitCount)
    }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot stored for `key`, or -1.
    @inline(__always)
    func find(_ key: UInt64) -> Int32 {
        let mask = keys.count &- 1
        var i = home(key)
        while true {
            let v = values[i]
            if v < 0 { return -1 }
            if keys[i] == key { return v }
            i = (i &+ 1) & mask
        }
    }

    /// Stores `value` (>= 0) for `key`, replacing any previous value.
    mutating func set(_ key: UInt64, _ value: Int32) {
        precondition(value >= 0, "SlotIndex values are non-negative")
        if (count + 1) * 2 > keys.count { grow() }
        let mask = keys.count &- 1
        var i = home(key)
        while true {
            if values[i] < 0 {
                keys[i] = key
                values[i] = value
                count += 1
                return
            }
            if keys[i] == key {
                values[i] = value
                return
            }
            i = (i &+ 1) & mask
        }
    }

    /// Removes `key` if present.
    mutating func remove(_ key: UInt64) {
        let mask = keys.count &- 1
        var i = home(key)
        while true {
            if values[i] < 0 { return }
            if keys[i] == key { break }
            i = (i &+ 1) & mask
        }
        // Backward-shift deletion: move later entries of the probe run into the hole when their
        // home bucket allows it.
        var hole = i
        var j = (i &+ 1) & mask
        while values[j] >= 0 {
            let h = home(keys[j])
            // keep j in place if its home lies cyclically in (hole, j]
            let inRange = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !inRange {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j &+ 1) & mask
        }
        values[hole] = -1
        keys[hole] = 0
        count -= 1
    }

    mutating func removeAll() {
        for i in values.indices { values[i] = -1; keys[i] = 0 }
        count = 0
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let c = keys.count * 2
        keys = ContiguousArray(repeating: 0, count: c)
        values = ContiguousArray(repeating: -1, count: c)
        shift = UInt64(64 - c.trailingZeroBitCount)
        count = 0
        for i in oldKeys.indices where oldValues[i] >= 0 { set(oldKeys[i], oldValues[i]) }
    }

    func checkInvariants() {
        var n = 0
        let mask = keys.count - 1
        for i in keys.indices where values[i] >= 0 {
            n += 1
            var j = home(keys[i])
            while j != i {
                precondition(values[j] >= 0, "SlotIndex: key \(keys[i]) unreachable from its home bucket")
                j = (j + 1) & mask
            }
        }
        precondition(n == count, "SlotIndex: count \(count) != \(n) stored keys")
    }
}

/// A FIFO queue of (message, arrival time) with the arrival times kept non-decreasing, as
/// hftbacktest's order bus does: a message can never overtake an earlier one (an arrival time
/// earlier than the last queued one is raised to it). Amortised O(1), contiguous, no
/// allocation once warm.
struct MessageQueue: Sendable {
    private var items: ContiguousArray<OrderMessage> = []
    private var times: ContiguousArray<Nanos> = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }

    /// Arrival time of the first message, or `Nanos.max` when empty.
    @inline(__always)
    var nextTime: Nanos { head < times.count ? times[head] : Nanos.max }

    /// Appends `message` arriving at `time` (raised to the last arrival time if earlier).
    /// Returns the arrival time used.
    @discardableResult
    mutating func push(_ message: OrderMessage, at time: Nanos) -> Nanos {
        let t = times.count > head ? max(time, times[times.count - 1]) : time
        if head > 0 && head == items.count {
            items.removeAll(keepingCapacity: true)
            times.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= items.count {
            items.removeSubrange(0..<head)
            times.removeSubrange(0..<head)
            head = 0
        }
        items.append(message)
        times.append(t)
        return t
    }

    /// Removes and returns the first message.
    @inline(__always)
    mutating func pop() -> OrderMessage {
        let m = items[head]
        head += 1
        return m
    }
}
