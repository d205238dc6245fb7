/// What an `Event` does. Raw values 1...5 match hftbacktest's event kinds; L3 kinds differ.
public enum EventKind: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    /// L2: set the quantity of the level at `price` on `side` to `quantity` (0 deletes it).
    /// `orderID` carries the number of orders at the level when the source gives it, else 0.
    case depth = 1
    /// A trade print: `quantity` at `price`; `side` is the aggressor (`none` if unknown).
    case trade = 2
    /// Remove levels: `side == .none` clears the whole book; otherwise the levels of `side` from
    /// `price` to the touch (bids at or above `price`, asks at or below it), or the whole side
    /// when `flags` contains `.entireSide` (then `price` is ignored).
    case clear = 3
    /// L2 like `depth`, as one row of a snapshot; the first row of a snapshot carries
    /// `.snapshotBegin`, the last `.snapshotEnd`. A snapshot does not clear by itself: a reader
    /// that means "replace the book" emits a `clear` first.
    case snapshot = 4
    /// Top of book from a quote feed: best bid (`side == .buy`) or best ask (`.sell`) with its
    /// size. Informational: books do not apply it. A quote is a `buy` row and a `sell` row with
    /// the same timestamps.
    case bbo = 5
    /// L3: a new order `orderID` on `side` at `price` for `quantity`, joining the back of the queue.
    case add = 10
    /// L3: remove `quantity` from order `orderID` (partial cancel), or all of it when
    /// `flags` contains `.fullCancel` (a delete; `quantity` is then what the source reported).
    case cancel = 11
    /// L3: order `orderID` now has `price` and `quantity`. It keeps its queue position only when
    /// the price is unchanged and the quantity did not grow.
    case modify = 12
    /// L3: visible execution of resting order `orderID` for `quantity` at `price`;
    /// `side` is the resting order's side (the aggressor is the opposite side).
    case execute = 13
    /// Execution against hidden liquidity: a trade that does not change the visible book;
    /// `side` is the hidden resting order's side.
    case executeHidden = 14
    /// Trading status change; `quantity` holds a `TradingStatus` raw value.
    case status = 20

    public var description: String {
        switch self {
        case .depth: return "depth"
        case .trade: return "trade"
        case .clear: return "clear"
        case .snapshot: return "snapshot"
        case .bbo: return "bbo"
        case .add: return "add"
        case .cancel: return "cancel"
        case .modify: return "modify"
        case .execute: return "execute"
        case .executeHidden: return "execute_hidden"
        case .status: return "status"
        }
    }

    /// True for kinds that change an L2 book (`depth`, `snapshot`, `clear`).
    @inlinable public var isL2BookUpdate: Bool {
        self == .depth || self == .snapshot || self == .clear
    }

    /// True for the order-by-order kinds (`add`, `cancel`, `modify`, `execute`).
    @inlinable public var isL3: Bool {
        switch self {
        case .add, .cancel, .modify, .execute: return true
        default: return false
        }
    }

    /// True for kinds that are a print (`trade`, `execute`, `executeHidden`).
    @inlinable public var isPrint: Bool {
        self == .trade || self == .execute || self == .executeHidden
    }
}

/// Trading status values carried by `EventKind.status` events (in `quantity`).
public enum TradingStatus: Int32, Sendable, CaseIterable {
    case halted = 1
    case quoting = 2
    case trading = 3
}

/// Per-event flags.
public struct EventFlags: OptionSet, Sendable, BitwiseCopyable, Hashable {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// First row of a snapshot.
    public static let snapshotBegin = EventFlags(rawValue: 1 << 0)
    /// Last row of a snapshot: after it the book is the snapshot's.
    public static let snapshotEnd = EventFlags(rawValue: 1 << 1)
    /// `clear`: the whole side, not from `price` to the touch.
    public static let entireSide = EventFlags(rawValue: 1 << 2)
    /// `cancel`: the order is deleted (whatever remains of it).
    public static let fullCancel = EventFlags(rawValue: 1 << 3)
    /// Last event produced from one source message (a feed packet, a LOBSTER row): a consumer
    /// that wants a consistent book looks at it only after such events.
    public static let endOfMessage = EventFlags(rawValue: 1 << 4)
    /// Not in the source messages: synthesised by the reader to reconcile the book with a
    /// reference the source also provides (e.g. LOBSTER's order-book file).
    public static let inferred = EventFlags(rawValue: 1 << 5)
    /// A sequence gap was detected in the source before this event: the book may be wrong
    /// until the next snapshot.
    public static let gap = EventFlags(rawValue: 1 << 6)
}

/// One market-data event: 32 bytes, trivially copyable, stored contiguously.
///
/// Units and invariants:
/// - `exchTime`, `localTime`: nanoseconds since the Unix epoch (UTC). `exchTime` is the venue's
///   timestamp, `localTime` when the recorder received it (equal to `exchTime` when the source
///   has no receive time). In a `Dataset`, events are in feed order: `localTime` never decreases.
/// - `price`: ticks relative to the dataset's base tick (absolute ticks = `baseTick + price`).
///   Meaningless for `status` and whole-side `clear`.
/// - `quantity`: lots (non-negative), or a `TradingStatus` raw value for `status`.
/// - `orderID`: for L3 kinds, a dense per-dataset order handle (1, 2, 3, …; 0 = none) whose
///   original 64-bit id lives in the dataset's side table; for `depth`/`snapshot`, the order
///   count at the level (0 = unknown); otherwise 0.
/// - `kind`, `side`, `flags`: see `EventKind`, `Side`, `EventFlags`.
public struct Event: Sendable, BitwiseCopyable, Equatable, CustomStringConvertible {
    public var exchTime: Nanos
    public var localTime: Nanos
    public var price: Int32
    public var quantity: Int32
    public var orderID: UInt32
    public var kind: EventKind
    public var side: Side
    public var flags: EventFlags

    @inlinable
    public init(kind: EventKind, side: Side, price: Int32, quantity: Int32, orderID: UInt32 = 0,
                exchTime: Nanos, localTime: Nanos, flags: EventFlags = [])
    {
        self.exchTime = exchTime
        self.localTime = localTime
        self.price = price
        self.quantity = quantity
        self.orderID = orderID
        self.kind = kind
        self.side = side
        self.flags = flags
    }

    /// Absolute price in ticks for a dataset whose base tick is `base`.
    @inlinable public func ticks(base: Ticks) -> Ticks { base &+ Ticks(price) }

    public var description: String {
        "\(kind) \(side) px=\(price) qty=\(quantity) id=\(orderID) exch=\(exchTime) local=\(localTime) flags=\(flags.rawValue)"
    }
}

/// Counts of events by kind.
public struct EventCounts: Sendable, Equatable, CustomStringConvertible {
    /// Indexed by `EventKind.rawValue` (0...255).
    public private(set) var byRawKind: [Int]

    public init() { byRawKind = Array(repeating: 0, count: 256) }

    public subscript(kind: EventKind) -> Int {
        get { byRawKind[Int(kind.rawValue)] }
        set { byRawKind[Int(kind.rawValue)] = newValue }
    }

    /// Adds one event of `kind`.
    @inlinable public mutating func count(_ kind: EventKind) { self[kind] += 1 }

    public var total: Int { byRawKind.reduce(0, +) }

    public var description: String {
        EventKind.allCases.filter { self[$0] > 0 }.map { "\($0)=\(self[$0])" }.joined(separator: " ")
    }
}
