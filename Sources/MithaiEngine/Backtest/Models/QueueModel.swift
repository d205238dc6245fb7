#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Estimates where one of our resting orders stands in the queue of its price level, from L2
/// data (level totals and trade prints), as hftbacktest's queue models do.
///
/// The exchange keeps one `Position` per resting order, inline in its contiguous order storage
/// (no box, no class). Quantities are lots; probabilistic models keep fractional lots.
///
/// Call order, all at exchange time, for an order resting at price `p` on side `s`:
/// - `join` when the order is accepted (or re-queued by a modify), with the level's quantity;
/// - `trade` for each print at exactly `p` that hits side `s`;
/// - `depthChanged` for each update of the level (`s`, `p`), with the previous and new totals;
/// - `filled` after each `trade`: the lots the print reached beyond the order's queue position
///   (0 if none); a positive answer resets the position to the front of the queue.
///
/// Invariant: between events, `ahead(_:) >= 0` for every resting order.
public protocol QueueModel: Sendable {
    associatedtype Position: BitwiseCopyable & Sendable
    /// Position of an order joining the back of a level holding `levelQuantity` lots.
    func join(levelQuantity: Lots) -> Position
    /// A print of `quantity` lots at the order's price, on the order's side.
    func trade(_ position: inout Position, quantity: Lots)
    /// The level's total went from `previous` to `current` lots.
    func depthChanged(_ position: inout Position, previous: Lots, current: Lots)
    /// Lots executable for the order now (> 0 once prints have gone past its position); a
    /// positive result moves the position to the front (nothing ahead).
    func filled(_ position: inout Position) -> Lots
    /// The estimated quantity ahead of the order, in lots (for display and invariant checks).
    func ahead(_ position: Position) -> Double
}

/// The conservative model: the queue ahead of the order shrinks only through prints at its
/// price, or when the level shrinks below it (hftbacktest's `RiskAdverseQueueModel`).
///
/// ahead₀ = level quantity; trade q: ahead -= q; depth to n: ahead = min(ahead, n);
/// filled = -ahead when ahead < 0 (then ahead = 0). Exact in integer lots.
public struct RiskAverseQueue: QueueModel, Equatable {
    public init() {}
    public typealias Position = Lots

    public func join(levelQuantity: Lots) -> Lots { levelQuantity }
    public func trade(_ position: inout Lots, quantity: Lots) { position -= quantity }
    public func depthChanged(_ position: inout Lots, previous: Lots, current: Lots) {
        if current < position { position = current }
    }
    public func filled(_ position: inout Lots) -> Lots {
        if position < 0 {
            let x = -position
            position = 0
            return x
        }
        return 0
    }
    public func ahead(_ position: Lots) -> Double { Double(position) }
}

/// The probability that a decrease of a level's quantity happened behind our order, given the
/// quantity in front of it and behind it (in the instrument's size units).
public protocol QueueProbability: Sendable {
    func probability(front: Double, back: Double) -> Double
}

/// `f(back) / (f(back) + f(front))` with `f(x) = x^n` (hftbacktest `PowerProbQueueFunc`).
public struct PowerProbability: QueueProbability, Equatable {
    public let n: Double
    public init(_ n: Double) { self.n = n }
    public func probability(front: Double, back: Double) -> Double {
        let fb = pow(back, n)
        return fb / (fb + pow(front, n))
    }
}

/// `f(back) / f(back + front)` with `f(x) = x^n` (hftbacktest `PowerProbQueueFunc2`).
public struct PowerProbability2: QueueProbability, Equatable {
    public let n: Double
    public init(_ n: Double) { self.n = n }
    public func probability(front: Double, back: Double) -> Double {
        pow(back, n) / pow(back + front, n)
    }
}

/// `1 - f(front / (front + back))` with `f(x) = x^n` (hftbacktest `PowerProbQueueFunc3`).
public struct PowerProbability3: QueueProbability, Equatable {
    public let n: Double
    public init(_ n: Double) { self.n = n }
    public func probability(front: Double, back: Double) -> Double {
        1 - pow(front / (front + back), n)
    }
}

/// `f(back) / (f(back) + f(front))` with `f(x) = ln(1 + x)` (hftbacktest `LogProbQueueFunc`).
public struct LogProbability: QueueProbability, Equatable {
    public init() {}
    public func probability(front: Double, back: Double) -> Double {
        let fb = log(1 + back)
        return fb / (fb + log(1 + front))
    }
}

/// `f(back) / f(back + front)` with `f(x) = ln(1 + x)` (hftbacktest `LogProbQueueFunc2`).
public struct LogProbability2: QueueProbability, Equatable {
    public init() {}
    public func probability(front: Double, back: Double) -> Double {
        log(1 + back) / log(1 + back + front)
    }
}

/// Queue position of the probabilistic model, in lots (fractional: it is an expectation).
public struct ProbabilisticQueuePosition: Sendable, BitwiseCopyable, Equatable {
    /// Estimated lots ahead of the order.
    public var front: Double
    /// Lots printed at the level since its last depth update (they are already counted in
    /// `front` and will show up again in the next depth update, which must not count them twice).
    public var tradedSinceDepth: Double
}

/// The probabilistic model (hftbacktest's `ProbQueueModel`; Rigtorp 2013): prints at the price
/// advance the order; a decrease of the level's quantity advances it by the share that the
/// probability function attributes to the front of the queue:
///
///     change = previous - current - tradedSinceDepth;  tradedSinceDepth = 0
///     if change < 0:  front = min(front, current)
///     else:           back = previous - front
///                     p = prob(front, back)   (1 when infinite)
///                     front = min(front - (1 - p) × change + min(back - p × change, 0), current)
///
/// `prob` sees quantities in the instrument's size units (lots × `lotSize`), as hftbacktest
/// does, which matters for the logarithmic functions. A NaN estimate (0/0) yields `current`
/// (IEEE minNum, like Rust's `f64::min`). `filled` = round(-front) lots when positive
/// (rounded half away from zero).
public struct ProbabilisticQueue<P: QueueProbability>: QueueModel {
    public let probability: P
    /// The instrument's lot size as a Double: converts lots to size units for `probability`.
    public let lotSize: Double

    public init(_ probability: P, lotSize: Double) {
        self.probability = probability
        self.lotSize = lotSize
    }

    public typealias Position = ProbabilisticQueuePosition

    public func join(levelQuantity: Lots) -> Position {
        Position(front: Double(levelQuantity), tradedSinceDepth: 0)
    }

    public func trade(_ p: inout Position, quantity: Lots) {
        p.front -= Double(quantity)
        p.tradedSinceDepth += Double(quantity)
    }

    public func depthChanged(_ p: inout Position, previous: Lots, current: Lots) {
        let prev = Double(previous)
        let cur = Double(current)
        let change = prev - cur - p.tradedSinceDepth
        p.tradedSinceDepth = 0
        if change < 0 {
            p.front = Double.minimum(p.front, cur)
            return
        }
        let front = p.front
        let back = prev - front
        var prob = probability.probability(front: front * lotSize, back: back * lotSize)
        if prob.isInfinite { prob = 1 }
        let estimate = front - (1 - prob) * change + Double.minimum(back - prob * change, 0)
        p.front = Double.minimum(estimate, cur)
    }

    public func filled(_ p: inout Position) -> Lots {
        let exec = (-p.front).rounded(.toNearestOrAwayFromZero)
        if exec > 0 {
            p.front = 0
            return Lots(exec)
        }
        return 0
    }

    public func ahead(_ p: Position) -> Double { p.front }
}
