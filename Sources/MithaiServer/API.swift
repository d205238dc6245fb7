import Foundation
import Synchronization
import MithaiWorkbench
import Hummingbird
import HummingbirdWebSocket
import HTTPTypes
import NIOCore

/// Routes of `serve`: pages, static assets, the REST API under /api and the update stream /ws.
/// Documented in docs/SERVE.md and docs/openapi.yaml (a test checks both against these routes).
final class API: Sendable {
    let access: SessionAccess
    let live: any LiveControl
    let configuration: ServeConfiguration
    let home: String
    private let port = Atomic<Int>(0)
    /// One request at a time reaches the session, in arrival order, off the event loops.
    private let queue = DispatchQueue(label: "mithai.serve.session")

    /// Frames a WebSocket subscriber may have queued before the oldest are dropped.
    static let subscriberCapacity = 512
    static let channels = ["status", "price", "fills", "pnl", "depth"]

    init(access: SessionAccess, live: any LiveControl, configuration: ServeConfiguration, home: String) {
        self.access = access
        self.live = live
        self.configuration = configuration
        self.home = home
    }

    func setPort(_ p: Int) { port.store(p, ordering: .relaxed) }

    typealias Context = BasicWebSocketRequestContext

    func router() -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: SecurityMiddleware<Context>(configuration: configuration))
        // Pages and assets.
        // With a token, the pages' own script and style URLs carry it (every request is checked).
        let token = configuration.token
        router.get("/") { _, _ in Self.html(Pages.withToken(Pages.index, token)) }
        router.get("/hft") { _, _ in Self.html(Pages.withToken(Pages.hft, token)) }
        router.get("/advanced_charts") { _, _ in Self.html(Pages.withToken(Pages.advancedCharts, token)) }
        router.get("/assets/mithai.css") { _, _ in Self.text(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/mithai.js") { _, _ in Self.text(Assets.js, type: "text/javascript; charset=utf-8") }
        router.get("/vendor/chart.js/chart.min.js") { _, _ in Self.chartJS() }

        // The bot.
        router.get("/api/hft/status") { [self] _, _ in Self.json(live.status()) }
        router.post("/api/hft/start") { [self] request, _ in try await start(request) }
        router.post("/api/hft/stop") { [self] _, _ in
            // Stopping a live session waits for its runner and stores its run under the session's
            // lock: off the event loops, in order with the other requests.
            let live = self.live
            let status: LiveStatus = await withCheckedContinuation { c in queue.async { c.resume(returning: live.stop()) } }
            return Self.json(status)
        }
        router.get("/api/hft/trades") { [self] request, _ in
            let q = request.uri.queryParameters
            let limit = try Self.integer(q["limit"], field: "limit", range: 1...1000, default: 100)
            let before = try Self.optionalInteger(q["before"], field: "before", range: 1...Int.max)
            return Self.json(live.fills(before: before, limit: limit))
        }
        router.get("/api/hft/l2data") { [self] request, _ in try await l2(request) }
        router.get("/api/hft/history") { [self] request, _ in
            let limit = try Self.integer(request.uri.queryParameters["limit"], field: "limit", range: 1...BacktestReplayControl.historyLength, default: 600)
            return Self.json(live.history(limit: limit))
        }

        // The session: datasets, strategies, runs, statistics, exports.
        router.get("/api/summary") { [self] _, _ in Self.json(await session { ServeQueries.summary($0) }) }
        router.get("/api/datasets") { [self] _, _ in Self.json(await session { ServeQueries.datasets($0) }) }
        router.get("/api/runs") { [self] _, _ in Self.json(await session { ServeQueries.runs($0) }) }
        router.get("/api/runs/:name") { [self] _, context in
            let name = try Self.name(context.parameters.get("name"), field: "run")
            return try await respond { session throws(LiveRequestError) in try ServeQueries.run(name, session) }
        }
        router.get("/api/runs/:name/stats") { [self] _, context in
            let name = try Self.name(context.parameters.get("name"), field: "run")
            return try await respond { session throws(LiveRequestError) in try ServeQueries.run(name, session).stats }
        }
        router.get("/api/runs/:name/markouts") { [self] request, context in
            let name = try Self.name(context.parameters.get("name"), field: "run")
            let horizons = try Self.durations(request.uri.queryParameters["horizons"], field: "horizons",
                                              default: [100_000_000, 1_000_000_000, 10_000_000_000])
            return try await respond { session throws(LiveRequestError) in try ServeQueries.markouts(run: name, horizons: horizons, session) }
        }
        router.get("/api/runs/:name/export/:file") { [self] _, context in
            let name = try Self.name(context.parameters.get("name"), field: "run")
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".csv") else { throw RouteError(.badRequest, "file", "exports are CSV files: fills.csv, orders.csv, equity.csv, stats.csv, markouts.csv") }
            let table = String(file.dropLast(4))
            guard ServeQueries.exportTables.contains(table) else {
                throw RouteError(.notFound, "file", "no export '\(file)'; exports: " + ServeQueries.exportTables.map { "\($0).csv" }.joined(separator: ", "))
            }
            let csv = try await sessionResult { session throws(LiveRequestError) in try ServeQueries.csv(run: name, table: table, session) }
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(name)-\(table).csv\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
        }

        // Update stream.
        router.ws("/ws") { request, _ in
            let wanted = request.uri.queryParameters["channels"].map(String.init) ?? Self.channels.joined(separator: ",")
            let list = wanted.split(separator: ",").map(String.init)
            guard !list.isEmpty, list.allSatisfy(Self.channels.contains) else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { [self] inbound, outbound, context in
            let wanted = context.request.uri.queryParameters["channels"].map(String.init) ?? Self.channels.joined(separator: ",")
            let channels = Set(wanted.split(separator: ",").map(String.init))
            try await stream(inbound: inbound, outbound: outbound, channels: channels)
        }
        return router
    }

    // MARK: - Handlers

    func start(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let data = Data(buffer: body)
        let start: LiveStartRequest
        do { start = try JSON.decoder.decode(LiveStartRequest.self, from: data) } catch {
            throw RouteError(.badRequest, Self.field(of: error) ?? "body", "the body is not a start request: \(Self.describe(error))")
        }
        let live = self.live
        let result: Result<LiveStatus, LiveRequestError> = await withCheckedContinuation { c in
            queue.async { c.resume(returning: Result { () throws(LiveRequestError) in try live.start(start) }) }
        }
        switch result {
        case .success(let s): return Self.json(s)
        case .failure(let e): return APIError.response(e)
        }
    }

    func l2(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let levels = try Self.integer(q["levels"], field: "levels", range: 1...500, default: 20)
        let at = q["at"].map(String.init)
        let dataset = try q["dataset"].map { try Self.name(String($0), field: "dataset") }
        if at == nil && dataset == nil {
            guard let book = live.book(levels: levels) else {
                throw RouteError(.conflict, nil, "the bot has no book yet: start it (POST /api/hft/start), or ask for a dataset's book with ?dataset=NAME&at=TIME")
            }
            return Self.json(book)
        }
        guard let dataset else { throw RouteError(.badRequest, "dataset", "at= needs dataset=NAME") }
        guard let at else { throw RouteError(.badRequest, "at", "dataset= needs at=TIME (10:00:00.250, a timestamp or nanoseconds)") }
        return try await respond { session throws(LiveRequestError) in
            let t = try ServeQueries.instant(at, dataset: dataset, session)
            return try ServeQueries.book(dataset: dataset, at: t, levels: levels, session)
        }
    }

    /// One WebSocket subscriber: frames from the bot's broadcaster, filtered by channel, as
    /// `{"type", "seq", "dropped", "data"}` text messages. Reading the client's side detects a
    /// close; a client that stops reading only loses old frames (the queue is bounded).
    func stream(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channels: Set<String>) async throws {
        let subscription = live.subscribe(capacity: Self.subscriberCapacity)
        defer { subscription.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Client messages carry nothing we need; the loop ends when the client goes.
                for try await _ in inbound {}
                subscription.cancel()
            }
            group.addTask {
                var seq = 0
                while let (update, dropped) = await subscription.next() {
                    guard channels.contains(update.channel) else { continue }
                    seq += 1
                    try await outbound.write(.text(Self.message(update, seq: seq, dropped: dropped)))
                }
            }
            _ = try await group.next()
            subscription.cancel()
            group.cancelAll()
        }
    }

    static func message(_ update: LiveUpdate, seq: Int, dropped: Int) -> String {
        struct Envelope<T: Encodable>: Encodable { var type: String; var seq: Int; var dropped: Int; var data: T }
        let data: Data?
        switch update {
        case .status(let s): data = try? JSON.encoder.encode(Envelope(type: "status", seq: seq, dropped: dropped, data: s))
        case .price(let p): data = try? JSON.encoder.encode(Envelope(type: "price", seq: seq, dropped: dropped, data: p))
        case .fill(let f): data = try? JSON.encoder.encode(Envelope(type: "fill", seq: seq, dropped: dropped, data: f))
        case .pnl(let p): data = try? JSON.encoder.encode(Envelope(type: "pnl", seq: seq, dropped: dropped, data: p))
        case .depth(let b): data = try? JSON.encoder.encode(Envelope(type: "depth", seq: seq, dropped: dropped, data: b))
        }
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    // MARK: - Session access

    /// Runs `body` with the session, after any running statement, without blocking an event loop.
    func session<T: Sendable>(_ body: @escaping @Sendable (Session) -> T) async -> T {
        let access = self.access
        return await withCheckedContinuation { c in queue.async { c.resume(returning: access.exclusive(body)) } }
    }

    func sessionResult<T: Sendable>(_ body: @escaping @Sendable (Session) throws(LiveRequestError) -> T) async throws -> T {
        let access = self.access
        let r: Result<T, LiveRequestError> = await withCheckedContinuation { c in
            queue.async { c.resume(returning: Result { () throws(LiveRequestError) in try access.exclusive(body) }) }
        }
        switch r {
        case .success(let v): return v
        case .failure(let e): throw RouteError(e)
        }
    }

    func respond<T: Encodable & Sendable>(_ body: @escaping @Sendable (Session) throws(LiveRequestError) -> T) async throws -> Response {
        Self.json(try await sessionResult(body))
    }

    // MARK: - Parameters and responses

    static func integer(_ text: Substring?, field: String, range: ClosedRange<Int>, default value: Int) throws -> Int {
        try optionalInteger(text, field: field, range: range) ?? value
    }

    static func optionalInteger(_ text: Substring?, field: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let n = Int(text), range.contains(n) else {
            throw RouteError(.badRequest, field, "\(field) must be a whole number in \(range.lowerBound)...\(range.upperBound == Int.max ? "" : String(range.upperBound)), got '\(text)'")
        }
        return n
    }

    static func name(_ text: String?, field: String) throws -> String {
        guard let text, !text.isEmpty, text.count <= 64, text.first!.isLetter || text.first == "_",
              text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw RouteError(.badRequest, field, "\(field) must be a name such as r1 or btc")
        }
        return text
    }

    /// `100ms,1s,10s` in nanoseconds.
    static func durations(_ text: Substring?, field: String, default value: [Int64]) throws -> [Int64] {
        guard let text else { return value }
        let units: [(String, Int64)] = [("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
        var out: [Int64] = []
        for part in text.split(separator: ",") {
            guard let unit = units.first(where: { part.hasSuffix($0.0) && Double(part.dropLast($0.0.count)) != nil }),
                  let x = Double(part.dropLast(unit.0.count)), x > 0, x * Double(unit.1) < 9e18 else {
                throw RouteError(.badRequest, field, "\(field) is a list of positive durations such as 100ms,1s,10s; got '\(part)'")
            }
            out.append(Int64(x * Double(unit.1)))
        }
        guard !out.isEmpty, out.count <= 20 else { throw RouteError(.badRequest, field, "\(field) takes 1 to 20 durations") }
        return out
    }

    static func json<T: Encodable>(_ value: T) -> Response {
        guard let data = try? JSON.encoder.encode(value) else { return APIError.response(status: .internalServerError, field: nil, message: "cannot encode the response") }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func html(_ text: String) -> Response { self.text(text, type: "text/html; charset=utf-8") }

    static func text(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        headers[.xContentTypeOptions] = "nosniff"
        if type.hasPrefix("text/html") {
            headers[.contentSecurityPolicy] = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Chart.js 3.9 from Debian's libjs-chart.js (the pages never load scripts from elsewhere).
    static func chartJS() -> Response {
        guard let data = FileManager.default.contents(atPath: Assets.chartJSPath) else {
            var headers = HTTPFields()
            headers[.contentType] = "text/javascript; charset=utf-8"
            let body = "window.MITHAI_CHART_MISSING = \"\(Assets.chartJSPath) is missing on the server: apt-get install libjs-chart.js\";\n"
            return Response(status: .serviceUnavailable, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/javascript; charset=utf-8"
        headers[.cacheControl] = "max-age=3600"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func field(of error: any Error) -> String? {
        switch error {
        case DecodingError.keyNotFound(let key, let c): (c.codingPath + [key]).map { $0.stringValue.snakeCased }.joined(separator: ".")
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            c.codingPath.isEmpty ? nil : c.codingPath.map { $0.stringValue.snakeCased }.joined(separator: ".")
        default: nil
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "\(key.stringValue.snakeCased) is required"
        case DecodingError.typeMismatch(let t, _): "expected \(t == String.self ? "a string" : t == Double.self ? "a number" : "\(t)")"
        case DecodingError.valueNotFound(_, _): "a value is missing"
        case DecodingError.dataCorrupted(let c): c.debugDescription
        default: "\(error)"
        }
    }
}

/// A 4xx answer raised inside a route.
struct RouteError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var field: String?
    var message: String

    init(_ status: HTTPResponse.Status, _ field: String?, _ message: String) {
        self.status = status
        self.field = field
        self.message = message
    }

    init(_ e: LiveRequestError) {
        self.init(HTTPResponse.Status(code: e.status), e.field, e.message)
    }

    var headers: HTTPFields { [.contentType: "application/json; charset=utf-8"] }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        APIError.response(status: status, field: field, message: message)
    }
}

extension String {
    var snakeCased: String {
        var out = ""
        for c in self {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}
