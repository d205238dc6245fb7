import MithaiEngine

/// Progress reporting and cancellation for long loads.
public struct LoadControl: Sendable {
    /// Called with the fraction done (0...1) every `pollInterval` events and at the end.
    public var progress: (@Sendable (Double) -> Void)?
    /// Polled every `pollInterval` events; returning true stops the load with
    /// `CancellationError` and leaves nothing behind (no dataset, no cache file).
    public var isCancelled: (@Sendable () -> Bool)?
    /// How many events between polls.
    public var pollInterval: Int

    public init(progress: (@Sendable (Double) -> Void)? = nil, isCancelled: (@Sendable () -> Bool)? = nil,
                pollInterval: Int = 1 << 16)
    {
        self.progress = progress
        self.isCancelled = isCancelled
        self.pollInterval = max(1, pollInterval)
    }

    public static let none = LoadControl()
}

/// Accumulates the events of one dataset while a reader parses: relative prices against the base
/// tick, range checks, dense order ids, counts, ordering, progress and cancellation.
final class DatasetBuilder {
    let name: String
    var instrument: Instrument
    let events = EventBuffer()
    var bars: [Bar] = []
    private(set) var counts = EventCounts()
    private(set) var baseTick: Ticks?
    private var idMap: [UInt64: UInt32] = [:]
    private(set) var originalIDs: [UInt64] = [0]
    var notes: [String] = []
    private var lastLocal = Nanos.min
    private var unordered = 0
    private let control: LoadControl
    private var untilPoll: Int
    /// Returns the fraction of input consumed; set by the reader.
    var fraction: () -> Double = { 0 }

    init(name: String, instrument: Instrument, control: LoadControl) {
        self.name = name
        self.instrument = instrument
        self.control = control
        untilPoll = control.pollInterval
    }

    /// Fixes the base tick (otherwise the first price seen becomes the base).
    func setBase(_ ticks: Ticks) {
        if baseTick == nil { baseTick = ticks }
    }

    /// The relative price of `ticks`; throws when it does not fit 32 bits around the base.
    @inline(__always)
    func price(_ ticks: Ticks, line: Int, file: String? = nil) throws -> Int32 {
        if baseTick == nil { baseTick = ticks }
        let (d, o) = ticks.subtractingReportingOverflow(baseTick!)
        guard !o, let r = Int32(exactly: d) else {
            throw DataError(file: file ?? name, line: line,
                            "price \(instrument.price(ticks)) is \(d) ticks away from the first price \(instrument.price(baseTick!)); the event format holds ±2^31 ticks: use a coarser tick size than \(instrument.tickSize)")
        }
        return r
    }

    /// The 32-bit lot count of `lots`; throws on overflow or a negative value.
    @inline(__always)
    func quantity(_ lots: Lots, line: Int, file: String? = nil) throws -> Int32 {
        guard lots >= 0 else { throw DataError(file: file ?? name, line: line, "negative quantity \(instrument.quantity(lots))") }
        guard let q = Int32(exactly: lots) else {
            throw DataError(file: file ?? name, line: line,
                            "quantity \(instrument.quantity(lots)) is \(lots) lots, more than the event format's 2^31-1: use a coarser lot size than \(instrument.lotSize)")
        }
        return q
    }

    /// The dense handle of a source order id, allocating one on first use.
    @inline(__always)
    func orderID(_ original: UInt64) -> UInt32 {
        if let id = idMap[original] { return id }
        let id = UInt32(originalIDs.count)
        idMap[original] = id
        originalIDs.append(original)
        return id
    }

    /// The dense handle of a source order id if it was seen before.
    func existingOrderID(_ original: UInt64) -> UInt32? { idMap[original] }

    /// Appends one event; polls cancellation and reports progress every `pollInterval` events.
    @inline(__always)
    func append(_ e: Event) throws {
        events.append(e)
        counts.count(e.kind)
        if e.localTime < lastLocal { unordered += 1 } else { lastLocal = e.localTime }
        untilPoll -= 1
        if untilPoll == 0 { try poll() }
    }

    /// Polls cancellation and reports progress now.
    func poll() throws {
        untilPoll = control.pollInterval
        if let isCancelled = control.isCancelled, isCancelled() { throw CancellationError() }
        control.progress?(min(1, max(0, fraction())))
    }

    /// Counts of events appended so far.
    var eventCount: Int { events.count }

    /// Shifts every `localTime` so that the smallest feed latency (`localTime - exchTime`) is
    /// zero when the recorder's clock was behind the venue's (negative latencies). Returns the
    /// shift in nanoseconds (0 when none was needed).
    @discardableResult
    func correctNegativeLatency() -> Nanos {
        var minimum = Nanos.max
        let b = events.buffer
        for e in b { minimum = min(minimum, e.localTime &- e.exchTime) }
        guard minimum < 0, minimum != Nanos.max else { return 0 }
        let shift = -minimum
        for i in b.indices { b[i].localTime &+= shift }
        lastLocal = lastLocal &+ shift
        notes.append("receive clock was behind the exchange: local times shifted by +\(formatSeconds(shift)) s so the smallest feed latency is 0")
        return shift
    }

    /// Builds the immutable dataset. Events whose local times went backwards in the source are
    /// stably sorted by local time first (counted in the notes).
    func finish(format: DataFormat, sources: [String], contentHash: String) -> Dataset {
        if unordered > 0 {
            notes.append("\(unordered) events arrived with an earlier local time than the event before: stably sorted by local time")
            let b = events.buffer
            var sorted = Array(b)
            sorted = stableSortedByLocalTime(sorted)
            for i in sorted.indices { b[i] = sorted[i] }
        }
        control.progress?(1)
        return Dataset(instrument: instrument, format: format, sources: sources, contentHash: contentHash,
                       baseTick: baseTick ?? 0, storage: events.take(), bars: bars, counts: counts,
                       originalOrderIDs: originalIDs, notes: notes, loadedFromCache: false)
    }
}

/// Stable merge sort by `localTime` (ties keep their order).
func stableSortedByLocalTime(_ events: [Event]) -> [Event] {
    guard events.count > 1 else { return events }
    var a = events
    var b = events
    var width = 1
    let n = events.count
    while width < n {
        var i = 0
        while i < n {
            let mid = min(i + width, n)
            let hi = min(i + 2 * width, n)
            var l = i
            var r = mid
            var k = i
            while l < mid && r < hi {
                if a[r].localTime < a[l].localTime { b[k] = a[r]; r += 1 } else { b[k] = a[l]; l += 1 }
                k += 1
            }
            while l < mid { b[k] = a[l]; l += 1; k += 1 }
            while r < hi { b[k] = a[r]; r += 1; k += 1 }
            i += 2 * width
        }
        swap(&a, &b)
        width *= 2
    }
    return a
}

/// `1.272156851` for 1_272_156_851 ns.
func formatSeconds(_ ns: Nanos) -> String {
    let sign = ns < 0 ? "-" : ""
    let m = ns.magnitude
    let frac = String(m % 1_000_000_000)
    return "\(sign)\(m / 1_000_000_000).\(String(repeating: "0", count: 9 - frac.count))\(frac)"
}
