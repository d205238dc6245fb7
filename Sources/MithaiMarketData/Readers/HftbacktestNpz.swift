import MithaiEngine
import CZlib
import Glibc

/// hftbacktest's event file: a `.npz` (zip holding `data.npy`) or a bare `.npy` of 64-byte
/// little-endian records `ev u64, exch_ts i64, local_ts i64, px f64, qty f64, order_id u64,
/// ival i64, fval f64`.
///
/// `ev` holds the kind in its low byte (1 depth, 2 trade, 3 clear, 4 snapshot, 5 BBO, 10 add,
/// 11 cancel, 12 modify, 13 fill; 103/104 are the best bid/ask of its Binance converter) and
/// flags EXCH (1<<31), LOCAL (1<<30), BUY (1<<29), SELL (1<<28). hftbacktest duplicates a row
/// (once EXCH-only, once LOCAL-only) when exchange and receive order disagree, so the reader
/// keeps exactly the rows flagged LOCAL: every event once, in receive order.
enum HftbacktestFormat {
    static let exchFlag: UInt64 = 1 << 31
    static let localFlag: UInt64 = 1 << 30
    static let buyFlag: UInt64 = 1 << 29
    static let sellFlag: UInt64 = 1 << 28
    static let recordSize = 64
    static let fields: [(String, String)] = [("ev", "<u8"), ("exch_ts", "<i8"), ("local_ts", "<i8"), ("px", "<f8"),
                                             ("qty", "<f8"), ("order_id", "<u8"), ("ival", "<i8"), ("fval", "<f8")]

    /// One record as stored.
    struct Record {
        var ev: UInt64
        var exch: Int64
        var local: Int64
        var px: Double
        var qty: Double
        var orderID: UInt64
        var ival: Int64
        var fval: Double

        init(_ p: UnsafeRawPointer) {
            ev = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
            exch = Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: Int64.self))
            local = Int64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: Int64.self))
            px = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
            qty = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: UInt64.self)))
            orderID = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 40, as: UInt64.self))
            ival = Int64(littleEndian: p.loadUnaligned(fromByteOffset: 48, as: Int64.self))
            fval = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 56, as: UInt64.self)))
        }

        init(ev: UInt64, exch: Int64, local: Int64, px: Double, qty: Double, orderID: UInt64) {
            self.ev = ev
            self.exch = exch
            self.local = local
            self.px = px
            self.qty = qty
            self.orderID = orderID
            ival = 0
            fval = 0
        }

        func store(_ p: UnsafeMutableRawPointer) {
            p.storeBytes(of: ev.littleEndian, as: UInt64.self)
            p.storeBytes(of: exch.littleEndian, toByteOffset: 8, as: Int64.self)
            p.storeBytes(of: local.littleEndian, toByteOffset: 16, as: Int64.self)
            p.storeBytes(of: px.bitPattern.littleEndian, toByteOffset: 24, as: UInt64.self)
            p.storeBytes(of: qty.bitPattern.littleEndian, toByteOffset: 32, as: UInt64.self)
            p.storeBytes(of: orderID.littleEndian, toByteOffset: 40, as: UInt64.self)
            p.storeBytes(of: ival.littleEndian, toByteOffset: 48, as: Int64.self)
            p.storeBytes(of: fval.bitPattern.littleEndian, toByteOffset: 56, as: UInt64.self)
        }
    }

    /// The `.npy` header for `count` records (version 1.0, padded to 64 bytes).
    static func npyHeader(count: Int) -> [UInt8] {
        let descr = fields.map { "('\($0.0)', '\($0.1)')" }.joined(separator: ", ")
        var dict = "{'descr': [\(descr)], 'fortran_order': False, 'shape': (\(count),), }"
        let total = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(dict.utf8.count)
        out += [UInt8(n & 0xFF), UInt8(n >> 8)]
        return out + Array(dict.utf8)
    }

    /// Parses an `.npy` header at the start of `stream`; returns the record count. Throws unless
    /// the dtype is hftbacktest's event dtype.
    static func readHeader(_ stream: any ByteStream, name: String) throws -> Int {
        var fixed = [UInt8](repeating: 0, count: 10)
        try readExactly(stream, &fixed, name: name)
        guard fixed.starts(with: [0x93] + Array("NUMPY".utf8)) else { throw DataError(file: name, "not a .npy array (bad magic)") }
        var headerLength = Int(fixed[8]) | Int(fixed[9]) << 8
        if fixed[6] >= 2 {
            var more = [UInt8](repeating: 0, count: 2)
            try readExactly(stream, &more, name: name)
            headerLength |= Int(more[0]) << 16 | Int(more[1]) << 24
        }
        guard headerLength < 1 << 20 else { throw DataError(file: name, "implausible .npy header length \(headerLength)") }
        var header = [UInt8](repeating: 0, count: headerLength)
        try readExactly(stream, &header, name: name)
        let text = String(decoding: header, as: UTF8.self)
        let compact = text.filter { !$0.isWhitespace }
        let expected = "'descr':[" + fields.map { "('\($0.0)','\($0.1)')" }.joined(separator: ",") + "]"
        guard compact.contains(expected) else {
            throw DataError(file: name, "not hftbacktest's event dtype (expected fields ev, exch_ts, local_ts, px, qty, order_id, ival, fval as little-endian 8-byte values); header: \(text.prefix(200))")
        }
        guard compact.contains("'fortran_order':False") else { throw DataError(file: name, "Fortran-ordered arrays are not supported") }
        guard let shapeStart = compact.range(of: "'shape':("), let close = compact[shapeStart.upperBound...].firstIndex(of: ")") else {
            throw DataError(file: name, "missing shape in the .npy header")
        }
        let dims = compact[shapeStart.upperBound..<close].split(separator: ",")
        guard dims.count == 1, let count = Int(dims[0]), count >= 0 else {
            throw DataError(file: name, "expected a one-dimensional array, shape is (\(compact[shapeStart.upperBound..<close]))")
        }
        return count
    }

    static func readExactly(_ stream: any ByteStream, _ bytes: inout [UInt8], name: String) throws {
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeMutableBytes { try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[done...])) }
            if n == 0 { throw DataError(file: name, "truncated: the array ends early") }
            done += n
        }
    }

    /// Opens the records of a `.npz` or `.npy` file: (stream positioned at the first record, count, name).
    static func open(_ file: InputFile) throws -> (any ByteStream, Int, String) {
        let head = try file.head(8)
        let stream: any ByteStream
        let name: String
        if Compression.detect(head) == .zip {
            let archive = try ZipArchive(file)
            guard let member = archive.member(named: "data.npy") ?? archive.members.first(where: { $0.name.hasSuffix(".npy") }) else {
                throw DataError(file: file.path, "npz archive has no data.npy (members: \(archive.members.map(\.name).joined(separator: ", ")))")
            }
            stream = try archive.open(member)
            name = "\(file.path)/\(member.name)"
        } else {
            stream = FileRangeStream(file)
            name = file.path
        }
        let count = try readHeader(stream, name: name)
        return (stream, count, name)
    }

    /// Calls `body` on every record; stops at `limit` records.
    static func forEachRecord(_ file: InputFile, limit: Int = Int.max, progress: ((Int) throws -> Void)? = nil,
                              _ body: (Int, Record) throws -> Void) throws
    {
        let (stream, count, name) = try open(file)
        let chunkRecords = 16_384
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkRecords * recordSize, alignment: 16)
        defer { buffer.deallocate() }
        var index = 0
        let total = min(count, limit)
        while index < total {
            let want = min(chunkRecords, total - index) * recordSize
            var filled = 0
            while filled < want {
                let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<want]))
                if n == 0 { throw DataError(file: name, "truncated: \(count) records announced, the data ends after \(index + filled / recordSize)") }
                filled += n
            }
            for k in 0..<(want / recordSize) {
                try body(index + k, Record(buffer.baseAddress! + k * recordSize))
            }
            index += want / recordSize
            try progress?(index)
        }
        if limit >= count {
            var extra = [UInt8](repeating: 0, count: 1)
            let n = try extra.withUnsafeMutableBytes { try stream.read(into: $0) }
            if n != 0 { throw DataError(file: name, "trailing bytes after the \(count) records announced by the header") }
        }
    }
}

/// Reads hftbacktest files into a dataset.
struct NpzReader {
    let file: InputFile
    let options: ReadOptions
    let control: LoadControl

    /// The smallest power-of-ten step that makes every sample an integer (within 1e-9), or nil.
    static func inferStep(_ values: [Double]) -> ExactDecimal? {
        let finite = values.filter { $0.isFinite && $0 != 0 }
        guard !finite.isEmpty else { return nil }
        for decimals in 0...9 {
            let scale = pow(10.0, Double(decimals))
            if finite.allSatisfy({ let x = $0 * scale; return abs(x - x.rounded()) <= 1e-9 * max(1, abs(x)) }) {
                return ExactDecimal(mantissa: 1, scale: Int8(decimals))
            }
        }
        return nil
    }

    func read() throws -> DatasetBuilder {
        var tick = options.tick
        var lot = options.lot
        if tick == nil || lot == nil {
            var prices: [Double] = []
            var sizes: [Double] = []
            try HftbacktestFormat.forEachRecord(file, limit: 200_000) { _, r in
                let kind = r.ev & 0xFF
                if kind != 3 { prices.append(r.px) }
                sizes.append(r.qty)
            }
            tick = tick ?? Self.inferStep(prices)
            lot = lot ?? Self.inferStep(sizes)
        }
        guard let tick, let lot else {
            throw DataError(file: file.path, "cannot infer the tick and lot sizes from the data: pass tick and lot")
        }
        let inferred = options.tick == nil || options.lot == nil
        let instrument = Instrument(symbol: options.symbol ?? "", venue: "hftbacktest", tickSize: tick, lotSize: lot,
                                    timeZone: options.timeZone ?? "UTC")
        try instrument.validate()
        let builder = DatasetBuilder(name: file.path, instrument: instrument, control: control)
        let tickValue = tick.doubleValue
        let lotValue = lot.doubleValue
        var skipped: [UInt64: Int] = [:]
        var exchOnly = 0
        let total = Double(max(file.size, 1))
        var seen = 0
        builder.fraction = { Double(seen) / max(1, total / 64) }

        func toUnits(_ value: Double, _ step: Double, _ what: String, _ row: Int) throws -> Int64 {
            let x = value / step
            let r = x.rounded()
            guard value.isFinite, abs(x - r) <= 1e-6 * max(1, abs(r)), let u = Int64(exactly: r) else {
                let hint = inferred ? " (inferred; pass tick and lot explicitly)" : ""
                throw DataError(file: file.path, line: row + 1, "record \(row): \(what) \(value) is not a whole multiple of \(what == "px" ? tick : lot)\(hint)")
            }
            return u
        }

        try HftbacktestFormat.forEachRecord(file, progress: { _ in }) { row, r in
            seen = row
            guard r.ev & HftbacktestFormat.localFlag != 0 else {
                if r.ev & HftbacktestFormat.exchFlag != 0 { exchOnly += 1 } else { skipped[r.ev & 0xFF, default: 0] += 1 }
                return
            }
            let code = r.ev & 0xFF
            var side: Side = r.ev & HftbacktestFormat.buyFlag != 0 ? .buy : (r.ev & HftbacktestFormat.sellFlag != 0 ? .sell : .none)
            let kind: EventKind
            switch code {
            case 1: kind = .depth
            case 2: kind = .trade
            case 3: kind = .clear
            case 4: kind = .snapshot
            case 5: kind = .bbo
            case 10: kind = .add
            case 11: kind = .cancel
            case 12: kind = .modify
            case 13: kind = .execute
            case 103: kind = .bbo; side = .buy
            case 104: kind = .bbo; side = .sell
            default:
                skipped[code, default: 0] += 1
                return
            }
            var flags: EventFlags = []
            var price: Int32 = 0
            if kind == .clear && (!r.px.isFinite || side == .none) {
                flags.insert(.entireSide)
            } else {
                price = try builder.price(toUnits(r.px, tickValue, "px", row), line: row + 1)
            }
            let quantity = kind == .clear ? 0 : try builder.quantity(toUnits(r.qty, lotValue, "qty", row), line: row + 1)
            var orderID: UInt32 = 0
            if kind.isL3 { orderID = builder.orderID(r.orderID) }
            if kind == .cancel { flags.insert(.fullCancel) }  // hftbacktest's cancel removes the order
            try builder.append(Event(kind: kind, side: side, price: price, quantity: quantity, orderID: orderID,
                                     exchTime: r.exch, localTime: r.local, flags: flags))
        }
        if exchOnly > 0 {
            builder.notes.append("\(exchOnly) exchange-only duplicate row(s) skipped (hftbacktest's event-order correction): every event is kept once, in receive order")
        }
        for (code, n) in skipped.sorted(by: { $0.key < $1.key }) {
            builder.notes.append("\(n) row(s) of hftbacktest kind \(code) skipped (not a market-data kind this reader knows)")
        }
        return builder
    }
}

/// Writes a dataset as an hftbacktest `.npz` (zip with a deflated `data.npy`), so data loaded
/// here can be used by hftbacktest. Rows carry EXCH|LOCAL; when exchange order differs from
/// receive order, the affected events are written twice (EXCH-only in exchange order,
/// LOCAL-only in receive order), as hftbacktest's own converter does. Partial L3 cancels
/// become MODIFY rows with the remaining quantity (hftbacktest's CANCEL deletes an order);
/// `status` events have no hftbacktest equivalent and are left out.
public enum NpzWriter {
    /// Writes `dataset` to `path` atomically (temporary file, then rename). Returns the number
    /// of rows written. Memory: O(1) per event when exchange order equals receive order,
    /// otherwise 8 bytes per row for the merge plan.
    @discardableResult
    public static func write(_ dataset: Dataset, to path: String, progress: ((Double) throws -> Void)? = nil) throws -> Int {
        let plan = Plan(dataset)
        let npy = HftbacktestFormat.npyHeader(count: plan.rowCount)
        let temporary = path + ".tmp.\(getpid())"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError(file: path, "cannot create: \(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temporary) }
        }
        let zip = ZipWriter(fd: fd, name: path)
        try zip.begin(member: "data.npy", size: Int64(npy.count + plan.rowCount * HftbacktestFormat.recordSize))
        try npy.withUnsafeBytes { try zip.write($0) }
        let chunk = 16_384
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * HftbacktestFormat.recordSize, alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        var rows = 0
        try plan.forEachRow(dataset) { record in
            record.store(buffer.baseAddress! + filled * HftbacktestFormat.recordSize)
            filled += 1
            if filled == chunk {
                try zip.write(UnsafeRawBufferPointer(buffer))
                filled = 0
                rows += chunk
                // Throwing here (Ctrl-C) abandons the temporary file.
                try progress?(Double(rows) / Double(max(1, plan.rowCount)))
            }
        }
        if filled > 0 { try zip.write(UnsafeRawBufferPointer(rebasing: buffer[..<(filled * HftbacktestFormat.recordSize)])) }
        try zip.finish()
        guard rename(temporary, path) == 0 else { throw DataError(file: path, "cannot rename into place: \(String(cString: strerror(errno)))") }
        ok = true
        return plan.rowCount
    }

    /// Which events become which rows, decided before writing (the npy header needs the count).
    struct Plan {
        /// Remaining quantity (lots) of partial L3 cancels, which become MODIFY rows.
        var modifyQuantity: [Int: Lots] = [:]
        var skipped: [Bool] = []
        var exchSorted = true
        var rowCount = 0
        /// When exchange order differs from receive order: (event index, EXCH/LOCAL flags) per row.
        var merged: [(Int32, UInt8)] = []

        init(_ dataset: Dataset) {
            var book = L3Book()
            let l3 = dataset.isOrderByOrder
            var kept: [Int32] = []
            dataset.withEvents { events in
                var last = Nanos.min
                skipped = [Bool](repeating: false, count: events.count)
                for (i, e) in events.enumerated() {
                    if e.kind == .status { skipped[i] = true; continue }
                    if e.exchTime < last { exchSorted = false }
                    last = max(last, e.exchTime)
                    if l3 {
                        if e.kind == .cancel && !e.flags.contains(.fullCancel), let o = book.order(e.orderID), o.quantity > Lots(e.quantity) {
                            modifyQuantity[i] = o.quantity - Lots(e.quantity)
                        }
                        book.apply(e, base: dataset.baseTick)
                    }
                }
                if exchSorted {
                    rowCount = skipped.reduce(0) { $0 + ($1 ? 0 : 1) }
                    return
                }
                for i in events.indices where !skipped[i] { kept.append(Int32(i)) }
                let exch = kept.sorted { events[Int($0)].exchTime < events[Int($1)].exchTime || (events[Int($0)].exchTime == events[Int($1)].exchTime && $0 < $1) }
                var a = 0
                var b = 0
                merged.reserveCapacity(kept.count + kept.count / 4)
                while a < exch.count || b < kept.count {
                    if a < exch.count && b < kept.count && exch[a] == kept[b] {
                        merged.append((kept[b], 3)); a += 1; b += 1
                    } else if a < exch.count && (b >= kept.count || events[Int(exch[a])].exchTime <= events[Int(kept[b])].exchTime) {
                        merged.append((exch[a], 1)); a += 1
                    } else {
                        merged.append((kept[b], 2)); b += 1
                    }
                }
                rowCount = merged.count
            }
        }

        func forEachRow(_ dataset: Dataset, _ body: (HftbacktestFormat.Record) throws -> Void) throws {
            let inst = dataset.instrument
            let tickScale = pow(10.0, Double(inst.tickSize.scale))
            let lotScale = pow(10.0, Double(inst.lotSize.scale))
            // Nearest doubles of the exact decimals (mantissa and 10^scale are exact doubles).
            func px(_ ticks: Ticks) -> Double { Double(ticks * inst.tickSize.mantissa) / tickScale }
            func qty(_ lots: Lots) -> Double { Double(lots * inst.lotSize.mantissa) / lotScale }
            func record(_ i: Int, _ e: Event, flags: UInt64) -> HftbacktestFormat.Record {
                var code: UInt64
                var side = e.side
                var quantity = qty(Lots(e.quantity))
                switch e.kind {
                case .depth: code = 1
                case .trade: code = 2
                case .clear: code = 3
                case .snapshot: code = 4
                case .bbo: code = 5
                case .add: code = 10
                case .modify: code = 12
                case .execute: code = 13
                case .executeHidden: code = 2; side = e.side.opposite  // a print; the aggressor is the other side
                case .cancel:
                    code = 11
                    if let remaining = modifyQuantity[i] { code = 12; quantity = qty(remaining) }
                case .status: code = 0
                }
                var ev = code | flags
                if side == .buy { ev |= HftbacktestFormat.buyFlag } else if side == .sell { ev |= HftbacktestFormat.sellFlag }
                let wholeClear = e.kind == .clear && (e.flags.contains(.entireSide) || e.side == .none)
                return HftbacktestFormat.Record(ev: ev, exch: e.exchTime, local: e.localTime,
                                                px: wholeClear ? Double.nan : px(dataset.ticks(e)),
                                                qty: e.kind == .clear ? 0 : quantity,
                                                orderID: e.kind.isL3 ? dataset.originalOrderID(e.orderID) : 0)
            }
            let both = HftbacktestFormat.exchFlag | HftbacktestFormat.localFlag
            try dataset.withEvents { events in
                if exchSorted {
                    for (i, e) in events.enumerated() where !skipped[i] { try body(record(i, e, flags: both)) }
                } else {
                    for (i, f) in merged {
                        let flags = (f & 1 != 0 ? HftbacktestFormat.exchFlag : 0) | (f & 2 != 0 ? HftbacktestFormat.localFlag : 0)
                        try body(record(Int(i), events[Int(i)], flags: flags))
                    }
                }
            }
        }
    }
}

/// Writes a one-member zip with a deflated entry, patching sizes and CRC into the local header
/// afterwards (zip64 fields when the member reaches 4 GiB).
final class ZipWriter {
    let fd: Int32
    let name: String
    private var z = z_stream()
    private var crc: UInt32 = 0
    private var size: Int64 = 0
    private var compressed: Int64 = 0
    private var headerOffset: Int64 = 0
    private var dataOffset: Int64 = 0
    private var member = ""
    private var zip64 = false
    private var position: Int64 = 0
    private let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    private var deflating = false

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    deinit {
        if deflating { deflateEnd(&z) }
        out.deallocate()
    }

    private func put(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try put($0) }
    }

    private func put(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(file: name, "write error: \(String(cString: strerror(errno)))")
            }
            done += n
            position += Int64(n)
        }
    }

    func begin(member: String, size expected: Int64) throws {
        self.member = member
        zip64 = expected >= 0xFFFF_0000
        headerOffset = position
        var w = ByteWriter()
        w.u32(0x0403_4B50)
        w.bytes(zip64 ? [45, 0] : [20, 0])  // version needed
        w.bytes([0, 0, 8, 0])  // flags, method deflate
        w.bytes([0, 0, 0x21, 0])  // time, date (1980-01-01)
        w.u32(0)  // crc, patched
        w.u32(zip64 ? 0xFFFF_FFFF : 0)  // compressed size, patched
        w.u32(zip64 ? 0xFFFF_FFFF : 0)  // size, patched
        let nameBytes = Array(member.utf8)
        w.bytes([UInt8(nameBytes.count & 0xFF), UInt8(nameBytes.count >> 8)])
        w.bytes(zip64 ? [20, 0] : [0, 0])
        w.bytes(nameBytes)
        if zip64 {
            w.bytes([1, 0, 16, 0])
            w.u64(0)
            w.u64(0)
        }
        try put(w.data)
        dataOffset = position
        guard mithai_deflate_init2(&z, 6, -15) == Z_OK else { throw DataError(file: name, "zlib deflate initialisation failed") }
        deflating = true
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        crc = UInt32(crc32(uLong(crc), bytes.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
        size += Int64(bytes.count)
        z.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: Bytef.self))
        z.avail_in = uInt(bytes.count)
        try pump(flush: Z_NO_FLUSH)
    }

    private func pump(flush: Int32) throws {
        repeat {
            z.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            z.avail_out = uInt(out.count)
            let rc = deflate(&z, flush)
            guard rc != Z_STREAM_ERROR else { throw DataError(file: name, "zlib deflate failed") }
            let n = out.count - Int(z.avail_out)
            if n > 0 { try put(UnsafeRawBufferPointer(rebasing: out[..<n])) }
            compressed += Int64(n)
            if flush == Z_FINISH && rc == Z_STREAM_END { return }
        } while z.avail_out == 0 || (flush == Z_FINISH)
    }

    func finish() throws {
        try pump(flush: Z_FINISH)
        deflateEnd(&z)
        deflating = false
        // Patch the local header.
        var crcBytes = ByteWriter()
        crcBytes.u32(crc)
        if !zip64 {
            crcBytes.u32(UInt32(compressed))
            crcBytes.u32(UInt32(size))
        }
        let end = position
        position = headerOffset + 14
        try put(crcBytes.data)
        if zip64 {
            var sizes = ByteWriter()
            sizes.u64(UInt64(size))
            sizes.u64(UInt64(compressed))
            position = headerOffset + 30 + Int64(member.utf8.count) + 4
            try put(sizes.data)
        }
        position = end
        // Central directory.
        let directoryOffset = position
        var c = ByteWriter()
        c.u32(0x0201_4B50)
        c.bytes(zip64 ? [45, 3, 45, 0] : [20, 3, 20, 0])
        c.bytes([0, 0, 8, 0, 0, 0, 0x21, 0])
        c.u32(crc)
        c.u32(zip64 ? 0xFFFF_FFFF : UInt32(compressed))
        c.u32(zip64 ? 0xFFFF_FFFF : UInt32(size))
        let nameBytes = Array(member.utf8)
        c.bytes([UInt8(nameBytes.count & 0xFF), UInt8(nameBytes.count >> 8)])
        c.bytes(zip64 ? [28, 0] : [0, 0])
        c.bytes([0, 0, 0, 0, 0, 0])  // comment length, disk, internal attributes
        c.u32(0o100644 << 16)  // external attributes: regular file rw-r--r--
        c.u32(zip64 ? 0xFFFF_FFFF : UInt32(headerOffset))
        c.bytes(nameBytes)
        if zip64 {
            c.bytes([1, 0, 24, 0])
            c.u64(UInt64(size))
            c.u64(UInt64(compressed))
            c.u64(UInt64(headerOffset))
        }
        try put(c.data)
        let directorySize = position - directoryOffset
        var e = ByteWriter()
        if zip64 {
            let zip64End = position
            e.u32(0x0606_4B50)
            e.u64(44)
            e.bytes([45, 3, 45, 0])
            e.u32(0)
            e.u32(0)
            e.u64(1)
            e.u64(1)
            e.u64(UInt64(directorySize))
            e.u64(UInt64(directoryOffset))
            e.u32(0x0706_4B50)
            e.u32(0)
            e.u64(UInt64(zip64End))
            e.u32(1)
        }
        e.u32(0x0605_4B50)
        e.bytes([0, 0, 0, 0])
        e.bytes(zip64 ? [0xFF, 0xFF, 0xFF, 0xFF] : [1, 0, 1, 0])
        e.u32(zip64 ? 0xFFFF_FFFF : UInt32(directorySize))
        e.u32(zip64 ? 0xFFFF_FFFF : UInt32(directoryOffset))
        e.bytes([0, 0])
        try put(e.data)
    }
}
