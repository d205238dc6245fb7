public import MithaiEngine
import Glibc

/// The supported input formats. The raw value is the name users type (`load ... format: lobster`).
public enum DataFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// LOBSTER message (+ optional order-book) CSV files, plain or zipped.
    case lobster
    /// Binance raw websocket capture: `<receive ns> <json>` lines (gz or plain), spot or USD-M.
    case binance
    /// hftbacktest event file: `.npz` (zip with `data.npy`) or `.npy`, 64-byte records.
    case npz
    /// The benchmark CSV of `/work/shared/bench`: `exch_ts,local_ts,side,kind,price,qty`.
    case benchCSV = "bench-csv"
    /// Tardis CSV: `incremental_book_L2`, `trades`, `quotes`, `book_snapshot_N`.
    case tardis
    /// Generic trade ticks: a CSV with a header naming time, price and size columns.
    case tickCSV = "tick-csv"
    /// OHLCV bars: CSV with or without a header, including the NSE layouts.
    case bars
    /// Ticks recorded from ICICI Direct's Breeze API (NSE/BSE; several symbols per file): top of
    /// book plus trades derived from the cumulative volume (`BreezeReader`).
    case breeze
    /// The event feed of a simulated venue (`market`), recorded in memory; not a file format.
    case simulated

    public var description: String { rawValue }
}

/// Owns the memory of a dataset's events: a heap block handed over by the builder, or a
/// read-only memory map of a cache file. Immutable after creation.
final class EventStorage: @unchecked Sendable {
    // @unchecked: the memory is written once before the object is shared, then only read.
    private enum Owner {
        case heap(UnsafeMutablePointer<Event>?)
        case mapping(UnsafeMutableRawPointer, Int)
    }

    private let owner: Owner
    let buffer: UnsafeBufferPointer<Event>

    /// Takes ownership of `pointer` (allocated with `malloc`/`realloc`), holding `count` events.
    init(heap pointer: UnsafeMutablePointer<Event>?, count: Int) {
        owner = .heap(pointer)
        buffer = UnsafeBufferPointer(start: pointer, count: count)
    }

    /// Takes ownership of an `mmap`ed region; `events` points inside it.
    init(mapping base: UnsafeMutableRawPointer, length: Int, events: UnsafeBufferPointer<Event>) {
        owner = .mapping(base, length)
        buffer = events
    }

    var isMapped: Bool {
        if case .mapping = owner { return true }
        return false
    }

    deinit {
        switch owner {
        case .heap(let p): free(p)
        case .mapping(let base, let length): munmap(base, length)
        }
    }
}

/// A growable, malloc-backed array of events whose memory can be handed to an `EventStorage`
/// without copying (a dataset's events are built once and never copied).
final class EventBuffer {
    private(set) var pointer: UnsafeMutablePointer<Event>?
    private(set) var count = 0
    private var capacity = 0

    init(reserve: Int = 0) { if reserve > 0 { grow(to: reserve) } }

    deinit { free(pointer) }

    @inline(__always) func append(_ e: Event) {
        if count == capacity { grow(to: max(1024, capacity * 2)) }
        pointer![count] = e
        count += 1
    }

    func grow(to newCapacity: Int) {
        guard newCapacity > capacity else { return }
        let bytes = newCapacity * MemoryLayout<Event>.stride
        guard let p = realloc(pointer, bytes) else { fatalError("out of memory growing an event buffer to \(bytes) bytes") }
        pointer = p.assumingMemoryBound(to: Event.self)
        capacity = newCapacity
    }

    subscript(i: Int) -> Event {
        get { pointer![i] }
        set { pointer![i] = newValue }
    }

    func removeLast(_ k: Int) { count -= k }

    var buffer: UnsafeMutableBufferPointer<Event> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// Hands the memory over; the buffer is empty afterwards.
    func take() -> EventStorage {
        if count < capacity && count > 0 {
            if let p = realloc(pointer, count * MemoryLayout<Event>.stride) { pointer = p.assumingMemoryBound(to: Event.self) }
        }
        let storage = EventStorage(heap: pointer, count: count)
        pointer = nil
        count = 0
        capacity = 0
        return storage
    }
}

/// A loaded dataset: one instrument's events in feed order, in contiguous storage, plus bars.
/// Immutable once loaded and safe to share across tasks.
///
/// Invariants: events are in feed order and `localTime` never decreases; every event's absolute
/// price is `baseTick + price`; L3 `orderID`s index `originalOrderIDs` (index 0 is unused);
/// `counts` counts `events` by kind.
public final class Dataset: Sendable {
    /// What the ticks and lots mean.
    public let instrument: Instrument
    /// The format the data was read from.
    public let format: DataFormat
    /// The files read, in order.
    public let sources: [String]
    /// SHA-256 (hex) of the source files' bytes, in order.
    public let contentHash: String
    /// Absolute tick of relative price 0.
    public let baseTick: Ticks
    private let storage: EventStorage
    /// Bars, in time order (bar datasets only).
    public let bars: [Bar]
    /// Event counts by kind.
    public let counts: EventCounts
    /// The source's order ids: `originalOrderIDs[Int(event.orderID)]` for L3 events.
    public let originalOrderIDs: [UInt64]
    /// Facts about the data worth telling the user (sequence gaps, clock corrections, records
    /// skipped and why, reconciliation counts).
    public let notes: [String]
    /// True when the events were memory-mapped from the binary cache instead of parsed.
    public let loadedFromCache: Bool

    init(instrument: Instrument, format: DataFormat, sources: [String], contentHash: String, baseTick: Ticks,
         storage: EventStorage, bars: [Bar], counts: EventCounts, originalOrderIDs: [UInt64], notes: [String],
         loadedFromCache: Bool)
    {
        self.instrument = instrument
        self.format = format
        self.sources = sources
        self.contentHash = contentHash
        self.baseTick = baseTick
        self.storage = storage
        self.bars = bars
        self.counts = counts
        self.originalOrderIDs = originalOrderIDs
        self.notes = notes
        self.loadedFromCache = loadedFromCache
    }

    /// Number of events.
    public var eventCount: Int { storage.buffer.count }

    /// The event at `index` (0-based, feed order).
    public subscript(index: Int) -> Event { storage.buffer[index] }

    /// Calls `body` with all events. The buffer is valid only inside `body`.
    public func withEvents<R>(_ body: (UnsafeBufferPointer<Event>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(storage.buffer) }
    }

    /// True when the events are served from a memory-mapped cache file.
    public var isMemoryMapped: Bool { storage.isMapped }

    /// First and last `localTime` (feed order), or nil when there are no events.
    public var localTimeSpan: ClosedRange<Nanos>? {
        let b = storage.buffer
        guard let first = b.first, let last = b.last else { return nil }
        return first.localTime...last.localTime
    }

    /// Smallest and largest `exchTime`, or nil when there are no events. O(n).
    public var exchTimeSpan: ClosedRange<Nanos>? {
        let b = storage.buffer
        guard !b.isEmpty else { return nil }
        var lo = Nanos.max
        var hi = Nanos.min
        for e in b {
            lo = min(lo, e.exchTime)
            hi = max(hi, e.exchTime)
        }
        return lo...hi
    }

    /// The time span covered by events (local times) or bars, or nil when empty.
    public var timeSpan: ClosedRange<Nanos>? {
        if let span = localTimeSpan { return span }
        guard let first = bars.first, let last = bars.last else { return nil }
        return first.time...last.time
    }

    /// The absolute price in ticks of `event`.
    @inlinable public func ticks(_ event: Event) -> Ticks { baseTick &+ Ticks(event.price) }

    /// The source's id of a dense order handle (0 when unknown).
    public func originalOrderID(_ orderID: UInt32) -> UInt64 {
        Int(orderID) < originalOrderIDs.count ? originalOrderIDs[Int(orderID)] : 0
    }

    /// Bytes used by the events (32 per event).
    public var eventBytes: Int { eventCount * MemoryLayout<Event>.stride }
}
