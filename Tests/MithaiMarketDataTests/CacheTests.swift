import Foundation
import Glibc
import MithaiEngine
@testable import MithaiMarketData
import Synchronization
import Testing

@Suite("Binary cache")
struct CacheTests {
    static let amzn = TestData.project("lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip")

    func sameDataset(_ a: Dataset, _ b: Dataset) {
        #expect(a.eventCount == b.eventCount)
        #expect(a.instrument == b.instrument && a.format == b.format && a.sources == b.sources)
        #expect(a.contentHash == b.contentHash && a.baseTick == b.baseTick && a.counts == b.counts)
        #expect(a.notes == b.notes && a.originalOrderIDs == b.originalOrderIDs && a.bars == b.bars)
        a.withEvents { x in b.withEvents { y in #expect(x.elementsEqual(y)) } }
    }

    @Test("First load writes the cache atomically, the second memory-maps it")
    func roundTrip() throws {
        let dir = TestData.temporaryDirectory("cache") + "/.mithai-cache"
        let parsed = try DatasetLoader.load(path: Self.amzn, cacheDirectory: dir)
        #expect(!parsed.loadedFromCache && !parsed.isMemoryMapped)
        let files = TestData.files(in: dir)
        #expect(files.filter { $0.hasSuffix(".mithai-events") }.count == 1)
        #expect(files.filter { $0.hasSuffix(".source-hash") }.count == 1)
        #expect(files.count == 2)  // no temporary left behind
        let mapped = try DatasetLoader.load(path: Self.amzn, cacheDirectory: dir)
        #expect(mapped.loadedFromCache && mapped.isMemoryMapped)
        sameDataset(parsed, mapped)
        #expect(parsed.contentHash == "60f646b628ef73edd37aacde208c992c2454a0012c437a191a0d9cf20b84fd10")  // PROVENANCE.md
        // Other options are another key: a second file.
        let other = try DatasetLoader.load(path: Self.amzn, tick: "0.0001", cacheDirectory: dir)
        #expect(!other.loadedFromCache && TestData.files(in: dir).filter { $0.hasSuffix(".mithai-events") }.count == 2)
        #expect(other.instrument.tickSize == "0.0001" && other.eventCount == parsed.eventCount)
    }

    @Test("A cached dataset names its files as the current load does, not as the load that wrote the cache")
    func cachedSourcesAreThisLoadsPaths() throws {
        let dir = TestData.temporaryDirectory("cache-paths") + "/.mithai-cache"
        // The same bytes under two names: the cache is keyed by content, the names differ.
        let other = TestData.temporaryDirectory("cache-paths-copy") + "/amzn.zip"
        try FileManager.default.copyItem(atPath: Self.amzn, toPath: other)
        let first = try DatasetLoader.load(path: Self.amzn, cacheDirectory: dir)
        let second = try DatasetLoader.load(path: other, cacheDirectory: dir)
        #expect(second.loadedFromCache)
        #expect(first.sources == [Self.amzn])
        #expect(second.sources == [other])
        #expect(first.contentHash == second.contentHash)
    }

    @Test("A corrupt or truncated cache is detected and rebuilt, never trusted",
          arguments: ["flip-event", "flip-header", "truncate", "empty", "bad-kind"])
    func corruption(damage: String) throws {
        let dir = TestData.temporaryDirectory("cache-bad")
        let reference = try DatasetLoader.load(path: Self.amzn, cacheDirectory: dir)
        let path = dir + "/" + TestData.files(in: dir).first { $0.hasSuffix(".mithai-events") }!
        var st = stat()
        stat(path, &st)
        let size = Int(st.st_size)
        let fd = open(path, O_RDWR)
        defer { close(fd) }
        func poke(_ offset: Int, _ value: UInt8) {
            var v = value
            pwrite(fd, &v, 1, off_t(offset))
        }
        func peek(_ offset: Int) -> UInt8 {
            var v: UInt8 = 0
            pread(fd, &v, 1, off_t(offset))
            return v
        }
        switch damage {
        case "flip-event": poke(size - 100_000, peek(size - 100_000) ^ 0x10)
        case "flip-header": poke(100, peek(100) ^ 0x01)
        case "truncate": ftruncate(fd, off_t(size - 7))
        case "empty": ftruncate(fd, 0)
        default:
            // An invalid kind byte with a matching checksum must still be refused: rewrite the
            // payload checksum after the damage.
            let eventsOffset = Int(readU64(fd, 48))
            poke(eventsOffset + 28, 99)
            let length = size - eventsOffset
            var bytes = [UInt8](repeating: 0, count: length)
            _ = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(eventsOffset)) }
            var checksum = FastChecksum()
            bytes.withUnsafeBytes { checksum.update($0) }
            var value = checksum.value
            pwrite(fd, &value, 8, 80)
        }
        let reloaded = try DatasetLoader.load(path: Self.amzn, cacheDirectory: dir)
        #expect(!reloaded.loadedFromCache)
        sameDataset(reference, reloaded)
        let again = try DatasetLoader.load(path: Self.amzn, cacheDirectory: dir)
        #expect(again.loadedFromCache)  // the rewritten cache is good
        sameDataset(reference, again)
    }

    func readU64(_ fd: Int32, _ offset: Int) -> UInt64 {
        var v: UInt64 = 0
        pread(fd, &v, 8, off_t(offset))
        return v
    }

    @Test("The source hash is remembered by file identity: a cached load does not re-read the source")
    func hashMemo() throws {
        let dir = TestData.temporaryDirectory("memo")
        let copy = dir + "/amzn.zip"
        let source = try InputFile(path: Self.amzn)
        var bytes = [UInt8](repeating: 0, count: Int(source.size))
        _ = try bytes.withUnsafeMutableBytes { try source.read(at: 0, into: $0) }
        var f = fopen(copy, "wb")!
        fwrite(bytes, 1, bytes.count, f)
        fclose(f)
        let cache = dir + "/.mithai-cache"
        let first = try DatasetLoader.load(path: copy, cacheDirectory: cache)
        var st = stat()
        stat(copy, &st)
        // Same size, same modification time, different bytes: the memo is trusted (as make and
        // git do), so the cached dataset comes back with the remembered hash.
        bytes[bytes.count / 2] ^= 0xFF
        f = fopen(copy, "r+b")!
        fwrite(bytes, 1, bytes.count, f)
        fclose(f)
        var times = [st.st_atim, st.st_mtim]
        utimensat(AT_FDCWD, copy, &times, 0)
        let second = try DatasetLoader.load(path: copy, cacheDirectory: cache)
        #expect(second.loadedFromCache && second.contentHash == first.contentHash)
        // A new modification time means hashing again: the damaged zip is now read, and fails.
        var later = [st.st_atim, timespec(tv_sec: st.st_mtim.tv_sec + 10, tv_nsec: 0)]
        utimensat(AT_FDCWD, copy, &later, 0)
        #expect(throws: DataError.self) { try DatasetLoader.load(path: copy, cacheDirectory: cache) }
    }

    @Test("Cancellation throws and leaves no dataset and no cache file")
    func cancellation() throws {
        let dir = TestData.temporaryDirectory("cache-cancel")
        let polls = Atomic<Int>(0)
        #expect(throws: CancellationError.self) {
            try DatasetLoader.load(path: TestData.project("binance/binance-usdm-btcusdt_20240808.gz"), cacheDirectory: dir,
                                   isCancelled: { polls.add(1, ordering: .relaxed).newValue >= 3 })
        }
        #expect(polls.load(ordering: .relaxed) == 3)
        #expect(TestData.files(in: dir).isEmpty)
    }

    @Test("Progress rises monotonically to 1")
    func progress() throws {
        let seen = Mutex<[Double]>([])
        _ = try DatasetLoader.load(path: TestData.project("binance/binance-usdm-btcusdt_20240808.gz"),
                                   progress: { f in seen.withLock { $0.append(f) } })
        let values = seen.withLock { $0 }
        #expect(values.count >= 5)
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(values.last == 1 && values.first! > 0)
    }
}
