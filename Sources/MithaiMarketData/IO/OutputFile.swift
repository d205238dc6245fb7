import Crypto
import Glibc

/// A file written by streaming: bytes go through a fixed buffer into a temporary file beside
/// the target, which is renamed into place by `finish()` (so a cancelled or failed export
/// never leaves a half-written file under the user's name). Keeps the SHA-256 of what it
/// wrote, so the result of an export can be digested without reading the file back.
///
/// Written by hand because Foundation's `FileHandle` neither buffers nor renames atomically,
/// and an export of millions of rows must not build one string of the whole file.
public final class OutputFile {
    public let path: String
    private let temporary: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    private var hasher = SHA256()
    public private(set) var bytesWritten: Int64 = 0
    private var finished = false

    /// Creates the folder of `path` if needed and opens a temporary file beside it.
    public init(path: String) throws {
        self.path = path
        let folder = OutputFile.folder(of: path)
        if !folder.isEmpty { try OutputFile.makeFolders(folder) }
        temporary = path + ".tmp.\(getpid())"
        fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError(file: path, "cannot create: \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(capacity)
    }

    deinit {
        if !finished { cancel() }
    }

    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= capacity { try flush() }
    }

    public func write(bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { raw in
            hasher.update(bufferPointer: raw)
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DataError(file: path, "write error: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
        bytesWritten += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, closes and renames the file into place; returns the SHA-256 (hex) of its bytes.
    @discardableResult
    public func finish() throws -> String {
        try flush()
        close(fd)
        fd = -1
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            finished = true
            throw DataError(file: path, "cannot rename into place: \(String(cString: strerror(errno)))")
        }
        finished = true
        return OutputFile.hex(hasher.finalize())
    }

    /// Abandons the file: the temporary is removed and the target left as it was.
    public func cancel() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporary)
        finished = true
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { b in b < 16 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined()
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// `mkdir -p`.
    public static func makeFolders(_ folder: String) throws {
        var current = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw DataError(file: folder, "cannot create the folder: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Writes `bytes` to `path` atomically in one go (small files: reports, notebooks, images).
    public static func write(_ bytes: some Sequence<UInt8>, to path: String) throws {
        let f = try OutputFile(path: path)
        try f.write(bytes: bytes)
        try f.finish()
    }

    /// The bytes of a file, or nil when it cannot be read.
    public static func contents(of path: String) -> [UInt8]? {
        guard let file = try? InputFile(path: path) else { return nil }
        var out: [UInt8] = []
        var offset: Int64 = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = (try? chunk.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }) ?? -1
            if n < 0 { return nil }
            if n == 0 { break }
            out.append(contentsOf: chunk[..<n])
            offset += Int64(n)
        }
        return out
    }
}

extension DatasetLoader {
    /// SHA-256 (hex) of the files' bytes in order: the same hash `load` records as a dataset's
    /// `contentHash`, so provenance can be checked without loading the data.
    public static func contentHash(ofFiles paths: [String]) throws -> String {
        try hashFiles(paths, control: LoadControl())
    }
}

extension NpzWriter {
    /// SHA-256 (hex) of the uncompressed `data.npy` member of an `.npz`: a digest of the events
    /// written that does not depend on the zlib version that compressed them.
    public static func dataDigest(ofNpz path: String) throws -> String {
        let archive = try ZipArchive(try InputFile(path: path))
        guard let member = archive.member(named: "data.npy") else { throw DataError(file: path, "no data.npy in the archive") }
        let stream = try archive.open(member)
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try stream.read(into: buffer)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return OutputFile.hex(hasher.finalize())
    }
}
