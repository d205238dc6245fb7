import Foundation
import MithaiWorkbench
import Hummingbird
import HTTPTypes

/// Token and origin checks, run before every route and every WebSocket upgrade.
///
/// - With a token (required off loopback): `Authorization: Bearer T` or `?token=T` must match,
///   compared in constant time; otherwise 401.
/// - On loopback: the Host header must name a loopback address (stops DNS rebinding).
/// - A request carrying an Origin must come from the page's own origin (stops other sites'
///   scripts from driving the bot or opening the streams); POST bodies must be JSON, which a
///   plain cross-site form cannot send.
struct SecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let configuration: ServeConfiguration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token = configuration.token {
            let given = Self.bearer(request.headers[.authorization]) ?? request.uri.queryParameters["token"].map(String.init)
            guard let given, Self.constantTimeEqual(given, token) else {
                var r = APIError.response(status: .unauthorized, field: "token", message: given == nil ? "this server needs a token: Authorization: Bearer TOKEN or ?token=TOKEN" : "the token is wrong")
                r.headers[.wwwAuthenticate] = "Bearer realm=\"mithai\""
                return r
            }
        }
        let host = request.head.authority ?? ""
        if ServeConfiguration.isLoopback(configuration.host) && !Self.isLoopbackHost(host) {
            return APIError.response(status: .forbidden, field: "host", message: "this server answers only requests addressed to a loopback host, not '\(host)'")
        }
        if let origin = request.headers[.origin], origin != "null" {
            // Same host as addressed (scheme and port aside: programs such as WebSocket
            // clients send ws://HOST); a page of another site sends its own host.
            guard Self.hostPart(Self.authority(ofOrigin: origin)) == Self.hostPart(host) else { return APIError.response(status: .forbidden, field: "origin", message: "requests from \(origin) are not allowed") }
        }
        if request.method == .post, let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            return APIError.response(status: .unsupportedMediaType, field: "content-type", message: "POST bodies are JSON (Content-Type: application/json)")
        }
        return try await next(request, context)
    }

    static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// Compares every byte whatever the first difference (the time depends on the lengths only).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff: UInt8 = x.count == y.count ? 0 : 1
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    static func isLoopbackHost(_ host: String) -> Bool { ServeConfiguration.isLoopback(hostPart(host)) }

    /// `127.0.0.1` of `127.0.0.1:5000`, `::1` of `[::1]:5000`, lowercased.
    static func hostPart(_ authority: String) -> String {
        var h = authority
        if h.hasPrefix("["), let end = h.firstIndex(of: "]") { h = String(h[h.index(after: h.startIndex)..<end]) }
        else if let colon = h.lastIndex(of: ":"), h.filter({ $0 == ":" }).count == 1 { h = String(h[..<colon]) }
        return h.lowercased()
    }

    /// `host:port` of `scheme://host:port`.
    static func authority(ofOrigin origin: String) -> String {
        guard let r = origin.range(of: "://") else { return origin }
        return String(origin[r.upperBound...].prefix { $0 != "/" })
    }
}

/// `{"error": {"field": "...", "message": "..."}}` with a 4xx status.
enum APIError {
    static func response(status: HTTPResponse.Status, field: String?, message: String) -> Response {
        struct Body: Encodable { var error: Inner; struct Inner: Encodable { var field: String?; var message: String; var status: Int } }
        let body = Body(error: .init(field: field, message: message, status: Int(status.code)))
        let data = (try? JSON.encoder.encode(body)) ?? Data("{\"error\":{\"message\":\"error\"}}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func response(_ e: LiveRequestError) -> Response {
        response(status: HTTPResponse.Status(code: e.status), field: e.field, message: e.message)
    }
}

enum JSON {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
}
