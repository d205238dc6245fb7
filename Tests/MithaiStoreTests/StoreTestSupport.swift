import Foundation
import MithaiStore

/// A fresh folder under the system's temporary directory; call `remove()` when done
/// (use `defer`), since the database files must outlive every use of the path.
struct TemporaryFolder {
    let url: URL

    init(_ label: String = "mithai-store-tests") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

extension Database {
    /// All rows of a query, each as its column values.
    func rows(_ sql: String, _ values: [Database.Value] = []) throws -> [[Database.Value]] {
        let s = try prepare(sql)
        try s.bind(values)
        var out: [[Database.Value]] = []
        while try s.step() {
            out.append((0..<s.columnCount).map { s.value($0) })
        }
        return out
    }

    /// The first column of the first row.
    func scalar(_ sql: String, _ values: [Database.Value] = []) throws -> Database.Value? {
        try rows(sql, values).first?.first
    }
}
