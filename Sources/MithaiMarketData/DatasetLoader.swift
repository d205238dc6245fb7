public import MithaiEngine
import Crypto
import Glibc

/// The entry point for turning files into datasets.
public enum DatasetLoader {
    /// Loads `path` as a dataset.
    ///
    /// - Parameters:
    ///   - path: the file (for LOBSTER, the message file, its zip, or the order-book file; the
    ///     partner file is found beside it).
    ///   - format: the format, or nil to detect it from the content (`detectFormat`).
    ///   - symbol, tz, tick, lot: see `ReadOptions` (tz: IANA name, e.g. `Asia/Kolkata`).
    ///   - skipMalformedRows: tick CSV and bars only, see `ReadOptions.skipMalformedRows`.
    ///   - cacheDirectory: where the binary cache lives (e.g. `.mithai-cache` beside the data);
    ///     nil disables caching. The first load writes `<key>.mithai-events` there atomically;
    ///     later loads of the same bytes with the same options memory-map it instead of parsing.
    ///     A corrupt or truncated cache file is detected, ignored and rewritten.
    ///   - progress: called with the fraction done (0...1) from the loading thread.
    ///   - isCancelled: polled every 65,536 events; when it returns true the load throws
    ///     `CancellationError` and leaves no dataset and no cache file behind.
    /// - Throws: `DataError` (rendered `file:line: message`) for unreadable or malformed input,
    ///   `CancellationError` when cancelled.
    public static func load(path: String, format: DataFormat? = nil, symbol: String? = nil, tz: String? = nil,
                            tick: ExactDecimal? = nil, lot: ExactDecimal? = nil, cacheDirectory: String? = nil,
                            skipMalformedRows: Bool = false,
                            progress: (@Sendable (Double) -> Void)? = nil,
                            isCancelled: (@Sendable () -> Bool)? = nil) throws -> Dataset
    {
        let options = ReadOptions(symbol: symbol, timeZone: tz, tick: tick, lot: lot, skipMalformedRows: skipMalformedRows)
        return try load(path: path, format: format, options: options, cacheDirectory: cacheDirectory,
                        control: LoadControl(progress: progress, isCancelled: isCancelled))
    }

    /// Loads `path` with explicit `ReadOptions` and `LoadControl` (see the other overload).
    public static func load(path: String, format: DataFormat?, options: ReadOptions, cacheDirectory: String?,
                            control: LoadControl) throws -> Dataset
    {
        let format = try format ?? detectFormat(path: path)
        let sources = try sourceFiles(path: path, format: format)
        let identity = cacheDirectory != nil ? SourceHashMemo.identity(sources) : nil
        let memo = cacheDirectory.flatMap { dir in identity.flatMap { SourceHashMemo.lookup(dir, $0) } }
        let contentHash = try memo ?? hashFiles(sources, control: control)
        let key = cacheKey(contentHash: contentHash, format: format, options: options)
        // The files as this load names them (the cache may have been written by a load that
        // named them another way, e.g. by an absolute path): reports and stores show these.
        if let cacheDirectory, let cached = EventCache.open(directory: cacheDirectory, key: key, sources: sources) {
            if memo == nil, let identity { SourceHashMemo.store(cacheDirectory, identity, contentHash) }
            control.progress?(1)
            return cached
        }
        let dataset = try parse(sources: sources, format: format, options: options, contentHash: contentHash, control: control)
        if let cacheDirectory {
            if let isCancelled = control.isCancelled, isCancelled() { throw CancellationError() }
            try EventCache.write(dataset, directory: cacheDirectory, key: key)
            if memo == nil, let identity { SourceHashMemo.store(cacheDirectory, identity, contentHash) }
        }
        return dataset
    }

    /// Parses without touching any cache.
    static func parse(sources: [String], format: DataFormat, options: ReadOptions, contentHash: String,
                      control: LoadControl) throws -> Dataset
    {
        let builder: DatasetBuilder
        switch format {
        case .binance:
            builder = try BinanceReader(file: InputFile(path: sources[0]), options: options, control: control).read()
        case .lobster:
            let (source, _) = try LobsterReader.source(path: sources[0])
            builder = try LobsterReader(source: source, options: options, control: control).read()
        case .npz:
            builder = try NpzReader(file: InputFile(path: sources[0]), options: options, control: control).read()
        case .benchCSV:
            builder = try BenchCSVReader(file: InputFile(path: sources[0]), options: options, control: control).read()
        case .tardis:
            builder = try TardisReader(file: InputFile(path: sources[0]), options: options, control: control).read()
        case .tickCSV:
            builder = try TickCSVReader(file: InputFile(path: sources[0]), options: options, control: control).read()
        case .breeze:
            builder = try BreezeReader(file: InputFile(path: sources[0]), options: options, control: control).read()
        case .bars:
            builder = try BarsReader(file: InputFile(path: sources[0]), options: options, control: control).read()
        case .simulated:
            throw DataError(file: sources[0], "simulated feeds are made by `market`, not read from files")
        }
        return builder.finish(format: format, sources: sources, contentHash: contentHash)
    }

    /// The files a load of `path` reads (LOBSTER pairs a message file with its order-book file).
    static func sourceFiles(path: String, format: DataFormat) throws -> [String] {
        switch format {
        case .lobster: return try LobsterReader.source(path: path).files
        default: return [path]
        }
    }

    /// SHA-256 of the files' bytes, in order, as lowercase hex.
    static func hashFiles(_ paths: [String], control: LoadControl) throws -> String {
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for path in paths {
            let file = try InputFile(path: path)
            var offset: Int64 = 0
            while true {
                let n = try file.read(at: offset, into: buffer)
                if n == 0 { break }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                offset += Int64(n)
            }
        }
        return hasher.finalize().map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    /// The cache key: the content hash plus everything else that changes the parsed result.
    static func cacheKey(contentHash: String, format: DataFormat, options: ReadOptions) -> String {
        var hasher = SHA256()
        let text = [contentHash, format.rawValue, options.symbol ?? "", options.timeZone ?? "",
                    options.tick?.normalized().description ?? "", options.lot?.normalized().description ?? "",
                    options.skipMalformedRows ? "lenient" : "strict",
                    String(EventCache.layoutVersion), String(readerVersion)].joined(separator: "\u{1F}")
        hasher.update(data: Array(text.utf8))
        return hasher.finalize().prefix(16).map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    /// Bumped whenever a reader's output changes for the same input, so old caches are not reused.
    static let readerVersion = 1
}

/// Remembers the SHA-256 of source files next to the cache, keyed by each file's identity
/// (absolute path, device, inode, size, modification time in ns), so a cached load does not
/// re-read a large source. Any change of identity means hashing again. The memo is advisory:
/// an unreadable or malformed memo is ignored and rewritten.
enum SourceHashMemo {
    static func identity(_ paths: [String]) -> String? {
        var parts: [String] = []
        for path in paths {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let absolute = realpath(path, &resolved) != nil
                ? String(decoding: resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : path
            parts.append("\(absolute)|\(st.st_dev)|\(st.st_ino)|\(st.st_size)|\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)")
        }
        return parts.joined(separator: "\n")
    }

    static func memoPath(_ directory: String, _ identity: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(identity.utf8))
        let name = hasher.finalize().prefix(16).map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
        return directory + "/" + name + ".source-hash"
    }

    /// The remembered hash for `identity`, if any.
    static func lookup(_ directory: String, _ identity: String) -> String? {
        guard let text = read(memoPath(directory, identity)) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2, lines.dropLast().joined(separator: "\n") == identity, let hash = lines.last,
              hash.count == 64, hash.allSatisfy(\.isHexDigit)
        else { return nil }
        return String(hash)
    }

    /// Remembers `hash` for `identity` (best effort, atomic).
    static func store(_ directory: String, _ identity: String, _ hash: String) {
        write(identity + "\n" + hash, to: memoPath(directory, identity))
    }

    private static func read(_ path: String) -> String? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes += buffer[0..<n]
            if bytes.count > 1 << 20 { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func write(_ text: String, to path: String) {
        let temporary = path + ".tmp.\(getpid())"
        guard let f = fopen(temporary, "wb") else { return }
        let ok = text.utf8CString.withUnsafeBufferPointer { fwrite($0.baseAddress!, 1, $0.count - 1, f) == $0.count - 1 }
        fclose(f)
        if !ok || rename(temporary, path) != 0 { unlink(temporary) }
    }
}
