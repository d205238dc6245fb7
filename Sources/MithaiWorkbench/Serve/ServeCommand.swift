import Foundation
import MithaiLanguage

/// Serialises use of a session between the shell's statements and other threads. Statements
/// hold `lock` while they run (`Session.execute`); the server's handlers call `exclusive`.
/// Recursive, because `.read` runs statements inside a statement.
public final class SessionAccess: @unchecked Sendable {
    // @unchecked: `session` is set once in Session.init and only used under `lock`.
    let lock = NSRecursiveLock()
    private unowned(unsafe) var session: Session?

    init() {}
    func attach(_ session: Session) { self.session = session }

    /// Runs `body` with the session while no statement runs (waits for the current one).
    public func exclusive<T, E: Error>(_ body: (Session) throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(session!)
    }
}

/// How `serve` was asked to listen.
public struct ServeConfiguration: Sendable, Equatable {
    public var host: String
    /// 0 asks the system for a free port.
    public var port: Int
    /// Required on any address but loopback; checked on every request and WebSocket upgrade.
    public var token: String?

    public init(host: String = "127.0.0.1", port: Int = 5000, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }

    /// 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "[::1]" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The shortest token accepted on a non-loopback address.
    public static let minimumTokenLength = 16
}

/// The HTTP server a session can run (implemented in MithaiServer, wired by the executable).
public protocol SessionServer: AnyObject, Sendable {
    /// Starts listening; returns the base URL (`http://127.0.0.1:5000`). Returns once the
    /// socket is bound, or throws why it could not be.
    func start(_ configuration: ServeConfiguration, session: Session) throws(WorkbenchError) -> String
    /// Stops listening and closes every connection; a no-op when not running.
    func stop()
    /// The base URL while running.
    var url: String? { get }
}

enum ServeCommand {
    static let spec = CommandSpec(
        "serve", category: "session",
        summary: "serves this session over HTTP: REST API, WebSocket streams and the dashboard pages /, /hft, /advanced_charts",
        parameters: [
            Parameter("action", .positional, .choice(["stop", "status"]), "stop: end the server; status: where it listens"),
            Parameter("port", .option, .integer, default: "5000", "TCP port (0: any free port)"),
            Parameter("host", .option, .word, default: "127.0.0.1", "address to bind; any but loopback needs token="),
            Parameter("token", .option, .word, default: "none", "bearer token every request must carry (header Authorization: Bearer T, or ?token=T); at least 16 characters"),
        ],
        examples: ["serve port=5000", "serve status", "serve stop", "serve host=0.0.0.0 port=8080 token=\"7f3a9c1e5b2d4f60a8c1\""],
        details: """
        Returns the prompt at once; the server runs inside the session until `serve stop` or the end of the session. \
        With `mithai -c 'serve ...'` (or `mithai serve ...`) the process keeps serving until Ctrl-C. \
        Quote a token that starts with a digit or holds punctuation: token="3f9a...". \
        Requests never touch the workspace while a statement runs. Endpoints, message schema and security: docs/SERVE.md; \
        the API is described by docs/openapi.yaml.
        """,
        handler: { ctx in try serve(&ctx) })

    static func serve(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let session = ctx.session
        switch try ctx.choice("action") {
        case "stop":
            guard let server = session.server, let url = server.url else { return .message("not serving") }
            server.stop()
            return .message("stopped serving \(url)")
        case "status":
            return .message(session.server?.url.map { "serving \($0)" } ?? "not serving")
        default: break
        }
        let port = try ctx.integer("port") ?? 5000
        guard (0...65535).contains(port) else { throw .at(ctx.range("port"), "port must be 0...65535 (0: any free port)") }
        let host = try ctx.path("host") ?? "127.0.0.1"
        guard !host.isEmpty, host.count <= 255, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) else {
            throw .at(ctx.range("host"), "host must be an address or a host name, e.g. 127.0.0.1 or 0.0.0.0")
        }
        let token = try ctx.path("token")
        let loopback = ServeConfiguration.isLoopback(host)
        if let token {
            guard token.count >= ServeConfiguration.minimumTokenLength, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw .at(ctx.range("token"), "token must be at least \(ServeConfiguration.minimumTokenLength) printable characters with no spaces",
                          notes: ["make one with: openssl rand -hex 16"])
            }
        } else if !loopback {
            throw .at(ctx.range("host"), "serving on \(host) (not loopback) needs token=SECRET: anyone who reaches the port could start and stop the bot",
                      notes: ["make one with: openssl rand -hex 16", "or serve on 127.0.0.1 and reach it through an SSH tunnel"])
        }
        guard let server = session.server else {
            throw .failed("this build has no HTTP server (MithaiServer is not linked)")
        }
        if let url = server.url { throw .at(ctx.verbRange, "already serving \(url)", notes: ["end it first: serve stop"]) }
        let url = try server.start(ServeConfiguration(host: host, port: port, token: token), session: session)
        session.markResultVolatile()
        return .message("serving \(url) — pages / /hft /advanced_charts, API /api/hft/status (docs/SERVE.md); `serve stop` ends it")
    }
}
