import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import MithaiWorkbench
import MithaiLanguage
import MithaiServer
import Yams

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let spotData = packageRoot.appendingPathComponent("Datasets/binance/binance-spot-btcusdt_20240808.gz").path

    /// The `mithai` executable built with the tests (MITHAI_BIN overrides).
    static var binary: URL? {
        if let override = ProcessInfo.processInfo.environment["MITHAI_BIN"] { return URL(fileURLWithPath: override) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("mithai")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        let candidate = packageRoot.appendingPathComponent(".build/debug/mithai")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }

    /// Screenshots and page dumps of the browser tests (under .build, so never committed).
    static let artifacts = packageRoot.appendingPathComponent(".build/test-artifacts/serve")

    static func temporaryFolder(_ tag: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mithai-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

final class Capture: OutputSink, @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func write(_ t: String, to stream: OutputStreamKind) { lock.lock(); text += t; lock.unlock() }
    var all: String { lock.lock(); defer { lock.unlock() }; return text }
}

/// A session in this process with the spot BTCUSDT capture loaded as `s`, strategy `mm`, run
/// `r1`, serving on a free loopback port.
final class ServedSession: @unchecked Sendable {
    let session: Session
    let output = Capture()
    let port: Int
    let token: String?

    /// Makes the session on a plain thread: `serve` blocks until the socket is bound, and the
    /// server's tasks need the cooperative pool that the tests' own tasks run on.
    static func make(token: String? = nil) async throws -> ServedSession {
        try await onThread { try ServedSession(token: token) }
    }

    private init(token: String? = nil) throws {
        session = Session(options: SessionOptions(mode: .command, home: try Paths.temporaryFolder("serve").path), output: output)
        session.server = MithaiHTTPServer()
        self.token = token
        let setup = """
        load "\(Paths.spotData)" as btc
        strategy mm = grid half_spread=5 step=2 levels=5 qty=0.001 max_position=0.01
        backtest mm on btc bin=1m
        serve port=0\(token.map { " token=\"\($0)\"" } ?? "")
        """
        let result = session.run(Source(setup, name: "<test>"))
        guard result.failure == nil, let url = session.server?.url, let p = Int(url.split(separator: ":").last ?? "") else {
            throw TestFailure("setup failed: \(output.all)")
        }
        port = p
    }

    func stop() { session.server?.stop() }

    func get(_ path: String, headers: [String: String] = [:], authorized: Bool = true) async throws -> HTTPReply {
        let h = auth(headers, authorized), port = self.port
        return try await onThread { try HTTP.send("GET", path, port: port, headers: h) }
    }

    func post(_ path: String, json: String?, headers: [String: String] = [:], authorized: Bool = true) async throws -> HTTPReply {
        var h = headers
        if json != nil && h["Content-Type"] == nil { h["Content-Type"] = "application/json" }
        let all = auth(h, authorized), port = self.port
        return try await onThread { try HTTP.send("POST", path, port: port, headers: all, body: json.map { Data($0.utf8) }) }
    }

    /// Runs statements on a plain thread (a `serve` in them blocks until bound).
    func run(_ text: String) async -> Session.RunResult {
        let session = self.session
        return await onThread { session.run(Source(text, name: "<test>")) }
    }

    private func auth(_ h: [String: String], _ authorized: Bool) -> [String: String] {
        var h = h
        if authorized, let token, h["Authorization"] == nil { h["Authorization"] = "Bearer \(token)" }
        return h
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> JSONValue { try JSONValue.parse(body) }
    /// `error.field` of a JSON error.
    var errorField: String? { (try? json())?["error"]?["field"]?.string }
}

/// A plain HTTP/1.1 client over a socket: every header exactly as given (Host and Origin
/// included), Connection: close, chunked bodies decoded.
enum HTTP {
    static func send(_ method: String, _ path: String, port: Int, headers: [String: String] = [:], body: Data? = nil) throws -> HTTPReply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { throw TestFailure("cannot connect to port \(port)") }
        var h = headers
        if h["Host"] == nil { h["Host"] = "127.0.0.1:\(port)" }
        if h["Connection"] == nil { h["Connection"] = "close" }
        if let body { h["Content-Length"] = String(body.count) }
        var request = "\(method) \(path) HTTP/1.1\r\n"
        for (k, v) in h.sorted(by: { $0.key < $1.key }) { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        var bytes = Data(request.utf8)
        if let body { bytes.append(body) }
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)) else { throw TestFailure("no HTTP response: \(String(decoding: response, as: UTF8.self))") }
        let head = String(decoding: response[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var payload = Data(response[split.upperBound...])
        if fields["transfer-encoding"]?.lowercased() == "chunked" { payload = dechunk(payload) }
        return HTTPReply(status: status, headers: fields, body: payload)
    }

    /// Opens a WebSocket by hand and never reads from it: a client that has stopped reading.
    /// Returns the socket (close it to vanish).
    static func stalledWebSocket(port: Int, path: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { throw TestFailure("cannot connect") }
        // A tiny receive buffer, so the server's writes back up quickly.
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        _ = request.withCString { Glibc.send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 12, String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 101") else { close(fd); throw TestFailure("no upgrade") }
        return fd
    }

    static func dechunk(_ data: Data) -> Data {
        var out = Data()
        var i = data.startIndex
        while i < data.endIndex, let lineEnd = data[i...].range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? "0"
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            out.append(data[start..<min(data.endIndex, start + size)])
            i = min(data.endIndex, start + size + 2)
        }
        return out
    }
}

/// docs/openapi.yaml, and a checker of JSON values against its schemas (type, required,
/// properties, items, enum, additionalProperties, $ref).
struct OpenAPI {
    let document: [String: Any]

    init() throws {
        let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        guard let doc = try Yams.load(yaml: text) as? [String: Any] else { throw TestFailure("openapi.yaml is not a mapping") }
        document = doc
    }

    var paths: [String: [String: Any]] { (document["paths"] as? [String: [String: Any]]) ?? [:] }

    func operation(_ method: String, _ path: String) -> [String: Any]? { paths[path]?[method.lowercased()] as? [String: Any] }

    func resolve(_ node: [String: Any]) -> [String: Any] {
        guard let ref = node["$ref"] as? String, ref.hasPrefix("#/") else { return node }
        var current: Any = document
        for part in ref.dropFirst(2).split(separator: "/") { current = (current as? [String: Any])?[String(part)] ?? [:] }
        return resolve(current as? [String: Any] ?? [:])
    }

    /// The schema of `status`'s JSON response, or nil when the status is not documented.
    func responseSchema(_ method: String, _ path: String, status: Int) -> [String: Any]? {
        guard let op = operation(method, path), let responses = op["responses"] as? [String: Any],
              let r = responses[String(status)] as? [String: Any] else { return nil }
        let response = resolve(r)
        let content = response["content"] as? [String: Any]
        let json = (content?["application/json"] as? [String: Any]) ?? (content?["text/csv"] as? [String: Any])
        return (json?["schema"] as? [String: Any]).map(resolve) ?? [:]
    }

    /// Problems of `value` against `schema`, each with its JSON path.
    func check(_ value: JSONValue, against schema: [String: Any], at path: String = "$") -> [String] {
        let s = resolve(schema)
        var problems: [String] = []
        if case .null = value { return [] }
        switch s["type"] as? String {
        case "object":
            guard case .object(let o) = value else { return ["\(path): expected an object, got \(value)"] }
            for key in (s["required"] as? [String]) ?? [] where o[key] == nil { problems.append("\(path).\(key): required, missing") }
            let props = (s["properties"] as? [String: Any]) ?? [:]
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                if let p = props[k] as? [String: Any] { problems += check(v, against: p, at: "\(path).\(k)") }
                else if let extra = s["additionalProperties"] as? [String: Any] { problems += check(v, against: extra, at: "\(path).\(k)") }
                else { problems.append("\(path).\(k): not in the schema") }
            }
        case "array":
            guard case .array(let a) = value else { return ["\(path): expected an array, got \(value)"] }
            if let items = s["items"] as? [String: Any] { for (i, x) in a.enumerated() { problems += check(x, against: items, at: "\(path)[\(i)]") } }
        case "string":
            guard case .string(let str) = value else { return ["\(path): expected a string, got \(value)"] }
            if let e = s["enum"] as? [String], !e.contains(str) { problems.append("\(path): '\(str)' not in \(e)") }
        case "integer":
            guard case .int = value else { return ["\(path): expected an integer, got \(value)"] }
        case "number":
            switch value { case .int, .double: break; default: return ["\(path): expected a number, got \(value)"] }
        case "boolean":
            guard case .bool = value else { return ["\(path): expected a boolean, got \(value)"] }
        default: break
        }
        return problems
    }
}

/// A JSON document as parsed, keeping integers, reals and booleans apart.
indirect enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func parse(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }

    subscript(key: String) -> JSONValue? { if case .object(let o) = self { o[key] } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var number: Double? { switch self { case .int(let i): Double(i); case .double(let d): d; default: nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[\(a.count) items]"
        case .object(let o): "{\(o.keys.sorted().joined(separator: ","))}"
        }
    }
}

func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// Runs blocking work (sockets, `serve`) off the cooperative pool.
func onThread<T>(_ body: @escaping () throws -> T) async throws -> T {
    let box = UncheckedBox(body)
    return try await withCheckedThrowingContinuation { c in
        Thread { c.resume(with: Result { try box.value() }.map { UncheckedBox($0) }) }.start()
    }.value
}

func onThread<T>(_ body: @escaping () -> T) async -> T {
    let box = UncheckedBox(body)
    return await withCheckedContinuation { c in
        Thread { c.resume(returning: UncheckedBox(box.value())) }.start()
    }.value
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

/// The session the API tests share (loading the capture and running r1 takes a second).
actor SharedSession {
    static let api = SharedSession()
    private var served: ServedSession?
    func get() async throws -> ServedSession {
        if let served { return served }
        let s = try await ServedSession.make()
        served = s
        return s
    }
}
