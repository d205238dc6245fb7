import MithaiEngine
import Glibc

/// The binary event cache: one file per (source bytes, options) key, memory-mapped on load.
///
/// Layout (version 1, little-endian, see docs/DATA.md):
///
///     0   magic "MITHAIEV"            8 bytes
///     8   layout version              UInt32
///     12  header length               UInt32 (offset of the padding before the events)
///     16  event count                 UInt64
///     24  bar count                   UInt64
///     32  order id count              UInt64
///     40  base tick                   Int64
///     48  events offset               UInt64 (multiple of 64)
///     56  bars offset                 UInt64
///     64  order ids offset            UInt64
///     72  file length                 UInt64
///     80  payload checksum            UInt64 (over bytes [events offset, file length))
///     88  header checksum             UInt64 (over bytes [0, header length), this field as 0)
///     96  metadata: strings (UInt32 length + UTF-8) and counts, see `Metadata`
///     …   zero padding to the events offset
///         events   32 bytes each (`Event`'s in-memory layout; `kind` and `side` are stored
///                  as Swift's enum tags, i.e. case indices in declaration order — pinned by a
///                  test; reordering cases requires a new layout version)
///         bars     64 bytes each (`Bar`)
///         ids      8 bytes each (original order ids)
///
/// A file is trusted only if every check passes: magic, version, header checksum, offsets and
/// lengths consistent with the file size, payload checksum, and every event's kind and side
/// bytes valid. Anything else makes `open` return nil and the loader parse and rewrite it.
/// Writes go to a temporary file in the same directory, then `rename` (atomic).
enum EventCache {
    static let layoutVersion: UInt32 = 1
    static let magic: [UInt8] = Array("MITHAIEV".utf8)
    static let fixedHeader = 96

    static func path(directory: String, key: String) -> String {
        directory.hasSuffix("/") ? directory + key + ".mithai-events" : directory + "/" + key + ".mithai-events"
    }

    // MARK: Writing

    static func write(_ dataset: Dataset, directory: String, key: String) throws {
        try makeDirectories(directory)
        let final = path(directory: directory, key: key)
        let temporary = directory + "/." + key + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        var header = ByteWriter()
        header.bytes(magic)
        header.u32(layoutVersion)
        header.u32(0)  // header length, patched
        header.u64(UInt64(dataset.eventCount))
        header.u64(UInt64(dataset.bars.count))
        header.u64(UInt64(dataset.originalOrderIDs.count))
        header.i64(dataset.baseTick)
        for _ in 0..<6 { header.u64(0) }  // offsets, length, checksums: patched
        precondition(header.data.count == fixedHeader)
        Metadata(dataset).write(into: &header)
        let headerLength = header.data.count
        let eventsOffset = (headerLength + 63) & ~63
        let eventBytes = dataset.eventCount * MemoryLayout<Event>.stride
        let barsOffset = eventsOffset + eventBytes
        let barBytes = dataset.bars.count * MemoryLayout<Bar>.stride
        let idsOffset = barsOffset + barBytes
        let fileLength = idsOffset + dataset.originalOrderIDs.count * 8
        header.data.append(contentsOf: repeatElement(0, count: eventsOffset - headerLength))

        var checksum = FastChecksum()
        dataset.withEvents { checksum.update(UnsafeRawBufferPointer($0)) }
        dataset.bars.withUnsafeBytes { checksum.update($0) }
        dataset.originalOrderIDs.withUnsafeBytes { checksum.update($0) }
        header.patch(u32: UInt32(headerLength), at: 12)
        header.patch(u64: UInt64(eventsOffset), at: 48)
        header.patch(u64: UInt64(barsOffset), at: 56)
        header.patch(u64: UInt64(idsOffset), at: 64)
        header.patch(u64: UInt64(fileLength), at: 72)
        header.patch(u64: checksum.value, at: 80)
        var headerChecksum = FastChecksum()
        header.data.withUnsafeBytes { headerChecksum.update(UnsafeRawBufferPointer(rebasing: $0[..<headerLength])) }
        header.patch(u64: headerChecksum.value, at: 88)

        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError(file: temporary, "cannot create cache file: \(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temporary) }
        }
        try header.data.withUnsafeBytes { try writeAll(fd, $0, temporary) }
        try dataset.withEvents { try writeAll(fd, UnsafeRawBufferPointer($0), temporary) }
        try dataset.bars.withUnsafeBytes { try writeAll(fd, $0, temporary) }
        try dataset.originalOrderIDs.withUnsafeBytes { try writeAll(fd, $0, temporary) }
        guard rename(temporary, final) == 0 else {
            throw DataError(file: final, "cannot move the cache file into place: \(String(cString: strerror(errno)))")
        }
        ok = true
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ name: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(file: name, "cannot write cache file: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw DataError(file: current, "cannot create cache directory: \(String(cString: strerror(errno)))")
            }
        }
    }

    // MARK: Reading

    /// The cached dataset for `key`, or nil when there is none or it fails any check. `sources`:
    /// the files as the current load names them (replacing those of the load that wrote it).
    static func open(directory: String, key: String, sources: [String]? = nil) -> Dataset? {
        let file = path(directory: directory, key: key)
        let fd = Glibc.open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size >= fixedHeader else { return nil }
        let length = Int(st.st_size)
        guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else { return nil }
        if let dataset = validate(base: base, length: length, sources: sources) { return dataset }
        munmap(base, length)
        return nil
    }

    /// Checks a mapped cache file and wraps it as a dataset (which then owns the mapping).
    static func validate(base: UnsafeMutableRawPointer, length: Int, sources: [String]? = nil) -> Dataset? {
        let raw = UnsafeRawBufferPointer(start: base, count: length)
        guard raw.starts(with: magic) else { return nil }
        func u32(_ at: Int) -> UInt32 { raw.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
        func u64(_ at: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        guard u32(8) == layoutVersion else { return nil }
        let headerLength = Int(u32(12))
        guard headerLength >= fixedHeader, headerLength <= length else { return nil }
        var headerChecksum = FastChecksum()
        var headerCopy = Array(raw[..<headerLength])
        for k in 88..<96 { headerCopy[k] = 0 }
        headerCopy.withUnsafeBytes { headerChecksum.update($0) }
        guard headerChecksum.value == u64(88) else { return nil }
        let eventCount = Int(u64(16))
        let barCount = Int(u64(24))
        let idCount = Int(u64(32))
        let baseTick = Int64(bitPattern: u64(40))
        let eventsOffset = Int(u64(48))
        let barsOffset = Int(u64(56))
        let idsOffset = Int(u64(64))
        guard Int(u64(72)) == length, eventsOffset % 64 == 0, eventsOffset >= headerLength,
              eventCount >= 0, eventCount < length / 32 + 1,
              barsOffset == eventsOffset + eventCount * MemoryLayout<Event>.stride,
              barCount >= 0, barCount < length / 64 + 1,
              idsOffset == barsOffset + barCount * MemoryLayout<Bar>.stride,
              idCount >= 1, idCount < length / 8 + 1,
              length == idsOffset + idCount * 8
        else { return nil }
        var payload = FastChecksum()
        payload.update(UnsafeRawBufferPointer(rebasing: raw[eventsOffset..<length]))
        guard payload.value == u64(80) else { return nil }
        var reader = ByteReader(raw: raw, position: fixedHeader, end: headerLength)
        guard let metadata = Metadata.read(&reader) else { return nil }
        // Every enum byte must be a valid tag before the memory is viewed as `Event`s. Swift
        // stores a payload-free enum as its case index in declaration order (one byte).
        let kindCount = UInt8(EventKind.allCases.count)
        let sideCount = UInt8(Side.allCases.count)
        var tally = [Int](repeating: 0, count: Int(kindCount))
        var p = eventsOffset
        for _ in 0..<eventCount {
            let kind = raw[p + 28]
            guard kind < kindCount, raw[p + 29] < sideCount else { return nil }
            tally[Int(kind)] &+= 1
            p += 32
        }
        var counts = EventCounts()
        for (tag, kind) in EventKind.allCases.enumerated() { counts[kind] = tally[tag] }
        let events = UnsafeBufferPointer(start: (base + eventsOffset).assumingMemoryBound(to: Event.self), count: eventCount)
        var bars = [Bar](repeating: Bar(time: 0, open: 0, high: 0, low: 0, close: 0), count: barCount)
        bars.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[barsOffset..<idsOffset])) }
        var ids = [UInt64](repeating: 0, count: idCount)
        ids.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[idsOffset..<length])) }
        guard counts == metadata.counts else { return nil }
        let storage = EventStorage(mapping: base, length: length, events: events)
        return Dataset(instrument: metadata.instrument, format: metadata.format, sources: sources ?? metadata.sources,
                       contentHash: metadata.contentHash, baseTick: baseTick, storage: storage, bars: bars, counts: counts,
                       originalOrderIDs: ids, notes: metadata.notes, loadedFromCache: true)
    }

    /// The header's variable part.
    struct Metadata {
        var format: DataFormat
        var contentHash: String
        var instrument: Instrument
        var sources: [String]
        var notes: [String]
        var counts: EventCounts

        init(format: DataFormat, contentHash: String, instrument: Instrument, sources: [String], notes: [String], counts: EventCounts) {
            self.format = format
            self.contentHash = contentHash
            self.instrument = instrument
            self.sources = sources
            self.notes = notes
            self.counts = counts
        }

        init(_ d: Dataset) {
            self.init(format: d.format, contentHash: d.contentHash, instrument: d.instrument, sources: d.sources,
                      notes: d.notes, counts: d.counts)
        }

        func write(into w: inout ByteWriter) {
            let i = instrument
            for s in [format.rawValue, contentHash, i.symbol, i.venue, i.tickSize.description, i.lotSize.description,
                      i.contractMultiplier.description, i.currency, i.timeZone, i.isInverse ? "1" : "0"] { w.string(s) }
            w.u32(UInt32(sources.count))
            for s in sources { w.string(s) }
            w.u32(UInt32(notes.count))
            for s in notes { w.string(s) }
            let kinds = EventKind.allCases.filter { counts[$0] > 0 }
            w.u32(UInt32(kinds.count))
            for k in kinds {
                w.u32(UInt32(k.rawValue))
                w.u64(UInt64(counts[k]))
            }
        }

        static func read(_ r: inout ByteReader) -> Metadata? {
            guard let f = r.string(), let format = DataFormat(rawValue: f), let hash = r.string(), let symbol = r.string(),
                  let venue = r.string(), let tick = r.string().flatMap(ExactDecimal.init), let lot = r.string().flatMap(ExactDecimal.init),
                  let multiplier = r.string().flatMap(ExactDecimal.init), let currency = r.string(), let tz = r.string(),
                  let inverse = r.string()
            else { return nil }
            guard let sourceCount = r.u32(), sourceCount < 1 << 16 else { return nil }
            var sources: [String] = []
            for _ in 0..<sourceCount { guard let s = r.string() else { return nil }; sources.append(s) }
            guard let noteCount = r.u32(), noteCount < 1 << 16 else { return nil }
            var notes: [String] = []
            for _ in 0..<noteCount { guard let s = r.string() else { return nil }; notes.append(s) }
            guard let kindCount = r.u32(), kindCount <= 256 else { return nil }
            var counts = EventCounts()
            for _ in 0..<kindCount {
                guard let k = r.u32(), let kind = EventKind(rawValue: UInt8(truncatingIfNeeded: k)), let n = r.u64() else { return nil }
                counts[kind] = Int(n)
            }
            let instrument = Instrument(symbol: symbol, venue: venue, tickSize: tick, lotSize: lot, contractMultiplier: multiplier,
                                        currency: currency, timeZone: tz, isInverse: inverse == "1")
            return Metadata(format: format, contentHash: hash, instrument: instrument, sources: sources, notes: notes, counts: counts)
        }
    }
}

/// Appends little-endian integers and length-prefixed strings.
struct ByteWriter {
    var data: [UInt8] = []
    mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        data.append(contentsOf: utf8)
    }
    mutating func patch(u32 v: UInt32, at i: Int) { withUnsafeBytes(of: v.littleEndian) { for k in 0..<4 { data[i + k] = $0[k] } } }
    mutating func patch(u64 v: UInt64, at i: Int) { withUnsafeBytes(of: v.littleEndian) { for k in 0..<8 { data[i + k] = $0[k] } } }
}

/// Reads what `ByteWriter` wrote, failing (nil) instead of reading out of bounds.
struct ByteReader {
    let raw: UnsafeRawBufferPointer
    var position: Int
    let end: Int
    mutating func u32() -> UInt32? {
        guard position + 4 <= end else { return nil }
        defer { position += 4 }
        return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }
    mutating func u64() -> UInt64? {
        guard position + 8 <= end else { return nil }
        defer { position += 8 }
        return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }
    mutating func string() -> String? {
        guard let n = u32().map(Int.init), n <= end - position else { return nil }
        defer { position += n }
        return String(decoding: raw[position..<(position + n)], as: UTF8.self)
    }
}

/// A fast non-cryptographic 64-bit checksum (four multiply-rotate lanes over 8-byte words) that
/// detects truncation and corruption of cache files; the source data itself is identified by
/// SHA-256.
struct FastChecksum {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x27D4_EB2F_1656_67C5)
    private var length: UInt64 = 0
    private var tail: [UInt8] = []

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        var b = bytes
        if !tail.isEmpty {
            let need = 32 - tail.count
            let take = min(need, b.count)
            tail.append(contentsOf: b[..<take])
            b = UnsafeRawBufferPointer(rebasing: b[take...])
            if tail.count == 32 {
                let t = tail
                tail = []
                t.withUnsafeBytes { mix($0, blocks: 1) }
            }
        }
        let blocks = b.count / 32
        if blocks > 0 { mix(b, blocks: blocks) }
        tail.append(contentsOf: b[(blocks * 32)...])
        length &+= UInt64(bytes.count)
    }

    private mutating func mix(_ b: UnsafeRawBufferPointer, blocks: Int) {
        var (a, c, d, e) = lanes
        var p = 0
        @inline(__always) func round(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let x = h &+ w &* 0xC2B2_AE3D_27D4_EB4F
            return ((x << 31) | (x >> 33)) &* 0x9E37_79B1_85EB_CA87
        }
        for _ in 0..<blocks {
            a = round(a, b.loadUnaligned(fromByteOffset: p, as: UInt64.self))
            c = round(c, b.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self))
            d = round(d, b.loadUnaligned(fromByteOffset: p + 16, as: UInt64.self))
            e = round(e, b.loadUnaligned(fromByteOffset: p + 24, as: UInt64.self))
            p += 32
        }
        lanes = (a, c, d, e)
    }

    var value: UInt64 {
        var (a, c, d, e) = lanes
        for (k, byte) in tail.enumerated() {
            switch k & 3 {
            case 0: a = (a ^ UInt64(byte)) &* 0x100_0000_01B3
            case 1: c = (c ^ UInt64(byte)) &* 0x100_0000_01B3
            case 2: d = (d ^ UInt64(byte)) &* 0x100_0000_01B3
            default: e = (e ^ UInt64(byte)) &* 0x100_0000_01B3
            }
        }
        var h = length &* 0x9E37_79B9_7F4A_7C15
        for lane in [a, c, d, e] {
            h = (h ^ lane) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
        }
        return h
    }
}
