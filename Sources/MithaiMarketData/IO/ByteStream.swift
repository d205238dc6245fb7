import CZlib
import Glibc

/// A pull-based source of bytes: files, gzip streams, zip members. Readers stack them
/// (file → gzip → lines) and never hold more than one buffer of input in memory.
protocol ByteStream: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes consumed so far from the underlying file (for progress), and its total size.
    var progress: (done: Int64, total: Int64) { get }
}

/// A read-only file, read with `pread` so several streams can share one file.
final class InputFile {
    let path: String
    let fd: Int32
    let size: Int64

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DataError(file: path, "cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw DataError(file: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw DataError(file: path, "is a directory, not a data file")
        }
        self.fd = fd
        self.size = Int64(st.st_size)
    }

    deinit { close(fd) }

    /// Reads up to `count` bytes at `offset`; retries on EINTR.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw DataError(file: path, "read error: \(String(cString: strerror(errno)))")
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset` or throws.
    func readExactly(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        var done = 0
        while done < buffer.count {
            let n = try read(at: offset + Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { throw DataError(file: path, "truncated: \(what) runs past the end of the file") }
            done += n
        }
    }

    /// The first `count` bytes (fewer if the file is shorter).
    func head(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(min(Int64(count), size)))
        var n = 0
        try bytes.withUnsafeMutableBytes { b in n = try read(at: 0, into: b) }
        return Array(bytes.prefix(n))
    }
}

/// A byte range of a file, read sequentially.
final class FileRangeStream: ByteStream {
    let file: InputFile
    private var position: Int64
    private let end: Int64
    private let start: Int64

    init(_ file: InputFile, from start: Int64 = 0, count: Int64? = nil) {
        self.file = file
        self.start = start
        self.position = start
        self.end = count.map { start + $0 } ?? file.size
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let want = Int(min(Int64(buffer.count), end - position))
        guard want > 0 else { return 0 }
        let n = try file.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]))
        if n == 0 { throw DataError(file: file.path, "truncated: expected \(end - position) more bytes") }
        position += Int64(n)
        return n
    }

    var progress: (done: Int64, total: Int64) { (position - start, end - start) }
}

/// zlib inflate over another stream: gzip (any number of concatenated members) or raw deflate.
final class InflateStream: ByteStream {
    enum Format { case gzip, rawDeflate }

    private let source: any ByteStream
    private let name: String
    private let format: Format
    private var z = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var finished = false
    private var sourceDone = false
    /// Expected (crc32, size) of the decompressed data, checked at the end (zip members).
    private let expected: (crc: UInt32, size: Int64)?
    private var crc: UInt32 = 0
    private var produced: Int64 = 0

    init(_ source: any ByteStream, name: String, format: Format, expected: (crc: UInt32, size: Int64)? = nil) throws {
        self.source = source
        self.name = name
        self.format = format
        self.expected = expected
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        let bits: Int32 = format == .gzip ? 15 + 16 : -15
        let rc = mithai_inflate_init2(&z, bits)
        guard rc == Z_OK else {
            input.deallocate()
            throw DataError(file: name, "zlib initialisation failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(&z)
        input.deallocate()
    }

    var progress: (done: Int64, total: Int64) { source.progress }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        z.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        z.avail_out = uInt(min(buffer.count, Int(Int32.max)))
        while z.avail_out > 0 {
            if z.avail_in == 0 && !sourceDone {
                let n = try source.read(into: input)
                if n == 0 { sourceDone = true } else {
                    z.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    z.avail_in = uInt(n)
                }
            }
            let rc = inflate(&z, Z_NO_FLUSH)
            if rc == Z_STREAM_END {
                if format == .gzip {
                    // Another gzip member may follow (concatenated .gz files are valid gzip).
                    if z.avail_in == 0 && !sourceDone {
                        let n = try source.read(into: input)
                        if n == 0 { sourceDone = true } else {
                            z.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                            z.avail_in = uInt(n)
                        }
                    }
                    if z.avail_in > 0 {
                        inflateReset(&z)
                        continue
                    }
                }
                finished = true
                break
            }
            if rc == Z_BUF_ERROR && z.avail_in == 0 && sourceDone {
                throw DataError(file: name, "truncated compressed data (unexpected end of \(format == .gzip ? "gzip" : "deflate") stream)")
            }
            if rc != Z_OK && rc != Z_BUF_ERROR {
                let message = z.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw DataError(file: name, "corrupt compressed data: \(message)")
            }
        }
        let n = buffer.count - Int(z.avail_out)
        if n > 0 {
            produced += Int64(n)
            if expected != nil {
                crc = UInt32(crc32(uLong(crc), buffer.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(n)))
            }
        }
        if finished, let expected {
            guard produced == expected.size else {
                throw DataError(file: name, "zip member size \(produced) differs from the directory's \(expected.size)")
            }
            guard crc == expected.crc else { throw DataError(file: name, "zip member fails its CRC-32 check (corrupt archive)") }
        }
        return n
    }
}

/// A stored (uncompressed) zip member with CRC check.
final class StoredMemberStream: ByteStream {
    private let range: FileRangeStream
    private let name: String
    private let expected: (crc: UInt32, size: Int64)
    private var crc: UInt32 = 0
    private var produced: Int64 = 0

    init(_ range: FileRangeStream, name: String, expected: (crc: UInt32, size: Int64)) {
        self.range = range
        self.name = name
        self.expected = expected
    }

    var progress: (done: Int64, total: Int64) { range.progress }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try range.read(into: buffer)
        if n > 0 {
            crc = UInt32(crc32(uLong(crc), buffer.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(n)))
            produced += Int64(n)
        } else if produced == expected.size && crc != expected.crc {
            throw DataError(file: name, "zip member fails its CRC-32 check (corrupt archive)")
        }
        return n
    }
}

/// Splits a byte stream into lines (LF or CRLF; the terminator is not included).
/// A line is valid until the next call to `next()`. Line numbers are 1-based.
final class LineReader {
    private let source: any ByteStream
    let name: String
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var eof = false
    /// The number of the line last returned.
    private(set) var lineNumber = 0

    init(_ source: any ByteStream, name: String, bufferSize: Int = 1 << 20) {
        self.source = source
        self.name = name
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    var progress: (done: Int64, total: Int64) { source.progress }

    /// The next line, or nil at the end of the stream. A final line without a newline is returned.
    func next() throws -> UnsafeBufferPointer<UInt8>? {
        while true {
            if start < end {
                let base = buffer.baseAddress!
                if let hit = memchr(base + start, 10, end - start) {
                    let stop = base.distance(to: UnsafeMutableRawPointer(hit))
                    var lineEnd = stop
                    if lineEnd > start && buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                    let line = UnsafeBufferPointer(start: (base + start).assumingMemoryBound(to: UInt8.self), count: lineEnd - start)
                    start = stop + 1
                    lineNumber += 1
                    return line
                }
            }
            if eof {
                guard start < end else { return nil }
                var lineEnd = end
                if buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                let line = UnsafeBufferPointer(start: (buffer.baseAddress! + start).assumingMemoryBound(to: UInt8.self), count: lineEnd - start)
                start = end
                lineNumber += 1
                return line
            }
            // Move the partial line to the front, grow if one line fills the buffer, refill.
            if start > 0 {
                let remaining = end - start
                if remaining > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + start, remaining) }
                start = 0
                end = remaining
            }
            if end == buffer.count {
                guard buffer.count < 1 << 30 else {
                    throw DataError(file: name, line: lineNumber + 1, "line longer than 1 GiB (not a text file?)")
                }
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = bigger
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if n == 0 { eof = true } else { end += n }
        }
    }

    /// A `DataError` at the current line.
    func error(_ message: String) -> DataError {
        DataError(file: name, line: lineNumber, message)
    }
}
