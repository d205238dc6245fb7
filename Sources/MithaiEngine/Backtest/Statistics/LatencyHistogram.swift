/// A log-linear histogram of non-negative durations (ns), in the manner of HdrHistogram: values
/// below 256 are counted exactly; above, each power of two is split into 128 buckets, so a
/// bucket's width is at most 1/128 (0.8%) of its values. Fixed memory (7,296 counters),
/// O(1) to record, O(buckets) for a percentile. Deterministic; no allocation after init.
///
/// Used for the engine's per-event processing time (measured by the caller with a clock the
/// engine does not have) and for tick-to-order times in simulated time.
public struct LatencyHistogram: Sendable, Equatable {
    static let subBits = 8
    static let exact = 1 << subBits             // 256 values counted exactly
    static let half = 1 << (subBits - 1)        // 128 buckets per power of two above
    static let bucketCount = exact + (63 - subBits + 1) * half

    private var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var min: Int64 = .max
    public private(set) var max: Int64 = .min
    private var sum: Int128 = 0

    public init() { counts = Array(repeating: 0, count: LatencyHistogram.bucketCount) }

    @inline(__always)
    static func index(_ value: Int64) -> Int {
        let v = UInt64(Swift.max(0, value))
        if v < UInt64(exact) { return Int(v) }
        let e = 63 - v.leadingZeroBitCount
        let shift = e - (subBits - 1)
        let m = Int(v >> UInt64(shift))
        return exact + (shift - 1) * half + (m - half)
    }

    /// The largest value counted in bucket `i`.
    static func highestValue(ofBucket i: Int) -> Int64 {
        if i < exact { return Int64(i) }
        let shift = (i - exact) / half + 1
        let m = (i - exact) % half + half
        let high = (UInt64(m + 1) << UInt64(shift)) &- 1
        return high > UInt64(Int64.max) ? Int64.max : Int64(high)
    }

    /// Counts `value` (negative values count as 0) `times` times.
    @inlinable
    public mutating func record(_ value: Int64, times: UInt64 = 1) {
        recordImpl(value, times: times)
    }

    @usableFromInline
    mutating func recordImpl(_ value: Int64, times: UInt64) {
        let v = Swift.max(0, value)
        counts[LatencyHistogram.index(v)] &+= times
        count &+= times
        sum += Int128(v) * Int128(times)
        if v < min { min = v }
        if v > max { max = v }
    }

    /// Adds every count of `other`.
    public mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
        count &+= other.count
        sum += other.sum
        if other.count > 0 {
            min = Swift.min(min, other.min)
            max = Swift.max(max, other.max)
        }
    }

    /// The mean of the recorded values (exact sum / count), or nil when empty.
    public var mean: Double? { count == 0 ? nil : Double(sum) / Double(count) }

    /// The value at percentile `p` (0...100): the highest value of the bucket holding the
    /// ⌈p/100 × count⌉-th smallest value, clamped to [min, max]; nil when empty. Relative error
    /// <= 1/128 above 256 ns, exact below.
    public func percentile(_ p: Double) -> Int64? {
        guard count > 0 else { return nil }
        let clamped = Swift.min(100, Swift.max(0, p))
        var rank = UInt64((clamped / 100 * Double(count)).rounded(.up))
        if rank < 1 { rank = 1 }
        var seen: UInt64 = 0
        for i in counts.indices where counts[i] > 0 {
            seen &+= counts[i]
            if seen >= rank {
                return Swift.min(max, Swift.max(min, LatencyHistogram.highestValue(ofBucket: i)))
            }
        }
        return max
    }

    /// p50, p99 and p99.9 (nil when empty).
    public var summary: (p50: Int64, p99: Int64, p999: Int64)? {
        guard count > 0 else { return nil }
        return (percentile(50)!, percentile(99)!, percentile(99.9)!)
    }
}
