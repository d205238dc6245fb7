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
        let contentHash = try hashFiles(sources, control: control)
        let key = cacheKey(contentHash: contentHash, format: format, options: options)
        if let cacheDirectory, let cached = EventCache.open(directory: cacheDirectory, key: key) {
            control.progress?(1)
            return cached
        }
        let dataset = try parse(sources: sources, format: format, options: options, contentHash: contentHash, control: control)
        if let cacheDirectory {
            if let isCancelled = control.isCancelled, isCancelled() { throw CancellationError() }
            try EventCache.write(dataset, directory: cacheDirectory, key: key)
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
        case .bars:
            builder = try BarsReader(file: InputFile(path: sources[0]), options: options, control: control).read()
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
