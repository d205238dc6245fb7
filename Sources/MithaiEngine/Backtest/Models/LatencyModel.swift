/// Order latency: how long a request takes from the strategy to the matching engine (entry) and
/// a response from the matching engine back to the strategy (response). Feed latency is not a
/// model: every event carries its own exchange and local timestamps.
///
/// A negative entry latency means the venue rejects the request before it reaches the matching
/// engine (overload, as in crypto venues); its magnitude is when the strategy learns of it.
/// Models are generic parameters of the backtest (never existentials) and may keep state
/// (a cursor into a table, a random generator): calls come in non-decreasing time order.
public protocol LatencyModel: Sendable {
    /// Entry latency of a request sent at local time `time` (ns).
    mutating func entry(at time: Nanos) -> Nanos
    /// Response latency of a response produced at exchange time `time` (ns), >= 0.
    mutating func response(at time: Nanos) -> Nanos
}

/// The same entry and response latency for every order (hftbacktest's `ConstantLatency`).
public struct ConstantLatency: LatencyModel, Equatable {
    public var entryLatency: Nanos
    public var responseLatency: Nanos

    public init(entry: Nanos, response: Nanos) {
        precondition(response >= 0, "response latency must be >= 0")
        entryLatency = entry
        responseLatency = response
    }

    @inlinable public mutating func entry(at time: Nanos) -> Nanos { entryLatency }
    @inlinable public mutating func response(at time: Nanos) -> Nanos { responseLatency }
}

/// One measured order round trip: sent at `request` (local clock), seen by the matching engine
/// at `exchange` (0 or negative if the venue rejected it before matching) and answered at
/// `response` (local clock).
public struct LatencySample: Sendable, Equatable, BitwiseCopyable {
    public var request: Nanos
    public var exchange: Nanos
    public var response: Nanos

    public init(request: Nanos, exchange: Nanos, response: Nanos) {
        self.request = request
        self.exchange = exchange
        self.response = response
    }
}

/// Latency interpolated linearly in time from a table of measured round trips
/// (hftbacktest's `IntpOrderLatency`, with the same rules):
///
/// - entry(t): for the samples `a`, `b` with `a.request <= t < b.request`, interpolate
///   `exchange - request` between them; before the first sample use the first sample's value,
///   after the last the last one's. If either sample has `exchange <= 0` (rejected by the
///   venue) the result is `-(interpolated response - request)`: a rejection, learnt that late.
/// - response(t): the same over `exchange` times with `response - exchange`.
///
/// Interpolation is `y1 + trunc((y2 - y1) × (t - x1) / (x2 - x1))` (in Double, truncated toward
/// zero as hftbacktest does). Lookups advance a cursor, so a run costs O(samples + calls).
public struct InterpolatedLatency: LatencyModel {
    public let samples: [LatencySample]
    private var entryCursor = 0
    private var responseCursor = 0

    /// `samples` must be sorted by `request` time (and their `exchange` times must not decrease
    /// among accepted samples); at least one sample.
    public init(samples: [LatencySample]) {
        precondition(!samples.isEmpty, "InterpolatedLatency needs at least one sample")
        self.samples = samples
    }

    @inline(__always)
    private static func interpolate(_ x: Nanos, _ x1: Nanos, _ y1: Nanos, _ x2: Nanos, _ y2: Nanos) -> Nanos {
        if x2 == x1 { return y1 }
        return Nanos(Double(y2 - y1) / Double(x2 - x1) * Double(x - x1)) + y1
    }

    public mutating func entry(at t: Nanos) -> Nanos {
        let first = samples[0]
        if t < first.request { return first.exchange - first.request }
        while true {
            if entryCursor + 1 >= samples.count {
                let last = samples[samples.count - 1]
                return last.exchange - last.request
            }
            let a = samples[entryCursor], b = samples[entryCursor + 1]
            if a.request <= t && t < b.request {
                if a.exchange <= 0 || b.exchange <= 0 {
                    return -Self.interpolate(t, a.request, a.response - a.request, b.request, b.response - b.request)
                }
                return Self.interpolate(t, a.request, a.exchange - a.request, b.request, b.exchange - b.request)
            }
            entryCursor += 1
        }
    }

    public mutating func response(at t: Nanos) -> Nanos {
        let first = samples[0]
        if t < first.exchange { return max(0, first.response - first.exchange) }
        while true {
            if responseCursor + 1 >= samples.count {
                let last = samples[samples.count - 1]
                return max(0, last.response - last.exchange)
            }
            let a = samples[responseCursor], b = samples[responseCursor + 1]
            if a.exchange <= t && t < b.exchange {
                return max(0, Self.interpolate(t, a.exchange, a.response - a.exchange, b.exchange, b.response - b.exchange))
            }
            responseCursor += 1
        }
    }
}

/// A constant latency plus a uniformly distributed jitter in `0...jitter` ns drawn from a seeded
/// generator: the same seed gives the same latencies.
public struct JitteredLatency: LatencyModel {
    public let base: ConstantLatency
    public let entryJitter: Nanos
    public let responseJitter: Nanos
    private var rng: SplitMix64

    public init(base: ConstantLatency, entryJitter: Nanos, responseJitter: Nanos, seed: UInt64) {
        precondition(entryJitter >= 0 && responseJitter >= 0, "jitter must be >= 0")
        self.base = base
        self.entryJitter = entryJitter
        self.responseJitter = responseJitter
        rng = SplitMix64(seed: seed)
    }

    public mutating func entry(at time: Nanos) -> Nanos {
        base.entryLatency + (entryJitter == 0 ? 0 : Nanos(rng.next() % UInt64(entryJitter + 1)))
    }

    public mutating func response(at time: Nanos) -> Nanos {
        base.responseLatency + (responseJitter == 0 ? 0 : Nanos(rng.next() % UInt64(responseJitter + 1)))
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, seedable generator. The engine's only
/// source of randomness; the same seed gives the same sequence on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A Double uniformly distributed in [0, 1).
    @inlinable
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
