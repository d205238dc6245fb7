import Glibc
import MithaiEngine
@testable import MithaiMarketData

/// Paths of test data, resolved from this file's location (never the working directory).
enum TestData {
    /// The package root (…/Tests/MithaiMarketDataTests/TestSupport.swift → …/).
    static let packageRoot: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// A file shipped in the project's `Datasets/`.
    static func project(_ relative: String) -> String { packageRoot + "/Datasets/" + relative }

    /// The shared datasets folder beside the project (`../shared/datasets`), or nil when absent
    /// (a fresh clone): tests that need it skip with a message.
    static let shared: String? = {
        let path = packageRoot + "/../shared/datasets"
        var st = stat()
        return stat(path, &st) == 0 ? path : nil
    }()

    static let sharedMissing = "../shared/datasets is absent (fresh clone): test skipped"

    /// A file of the shared datasets, or nil when the folder is absent.
    static func shared(_ relative: String) -> String? { shared.map { $0 + "/" + relative } }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory(_ tag: String) -> String {
        var template = Array("/tmp/mithai-test-\(tag)-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return path
    }

    /// Writes `text` to a new file in a temporary directory and returns its path.
    static func write(_ text: String, name: String) -> String {
        let dir = temporaryDirectory("file")
        let path = dir + "/" + name
        let f = fopen(path, "wb")!
        _ = text.utf8CString.withUnsafeBufferPointer { fwrite($0.baseAddress!, 1, $0.count - 1, f) }
        fclose(f)
        return path
    }

    /// Writes bytes to a new file in a temporary directory and returns its path.
    static func write(bytes: [UInt8], name: String) -> String {
        let dir = temporaryDirectory("file")
        let path = dir + "/" + name
        let f = fopen(path, "wb")!
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress!, 1, $0.count, f) }
        fclose(f)
        return path
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func files(in directory: String) -> [String] {
        guard let d = opendir(directory) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted()
    }
}

extension ExactDecimal: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = ExactDecimal(value)! }
}
