import Foundation
import Synchronization
public import MithaiWorkbench
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The HTTP server behind `serve`: Hummingbird 2 with WebSocket upgrade, running on its own
/// event loops inside the session's process. Handlers reach the workspace only through
/// `Session.access` (one statement or one request at a time), on a serial queue so a long
/// statement never blocks an event loop.
public final class MithaiHTTPServer: SessionServer {
    private struct Running {
        var task: Task<Void, any Error>
        var url: String
    }
    private let running = Mutex<Running?>(nil)

    public init() {}

    public var url: String? { running.withLock { $0?.url } }

    public func start(_ configuration: ServeConfiguration, session: Session) throws(WorkbenchError) -> String {
        if let url { throw .failed("already serving \(url)") }
        let api = API(access: session.access, live: session.live, configuration: configuration, home: session.options.home)
        let router = api.router()
        let bound = BoundSignal()
        var logger = Logger(label: "mithai.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["MITHAI_SERVE_LOG"] == nil ? .critical : .debug
        let app = Application(
            router: router,
            // Pings every 15 s: a client that vanished without closing is dropped within ~30 s.
            server: .http1WebSocketUpgrade(webSocketRouter: router,
                                           configuration: .init(ws: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(15))))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in bound.signal(port: channel.localAddress?.port) },
            logger: logger)
        // The server's tasks prefer their own threads: a busy cooperative pool (a sweep using
        // every core, or a caller blocking in it) cannot starve the server.
        let task = Task(executorPreference: ServerExecutor.shared) {
            do { try await app.run() } catch { bound.fail(error); throw error }
        }
        guard let port = bound.wait(seconds: 60) else {
            task.cancel()
            throw .failed("cannot listen on \(configuration.host):\(configuration.port): \(bound.error.map { "\($0)" } ?? "the server did not start")")
        }
        let hostText = configuration.host.contains(":") && !configuration.host.hasPrefix("[") ? "[\(configuration.host)]" : configuration.host
        let url = "http://\(hostText):\(port)"
        api.setPort(port)
        running.withLock { $0 = Running(task: task, url: url) }
        if !FileManager.default.fileExists(atPath: Assets.chartJSPath) {
            session.print("warning: \(Assets.chartJSPath) is missing: the pages cannot draw charts (apt-get install libjs-chart.js)\n", to: .err)
        }
        return url
    }

    public func stop() {
        guard let r = running.withLock({ r -> Running? in defer { r = nil }; return r }) else { return }
        r.task.cancel()
        let done = DispatchSemaphore(value: 0)
        Task { _ = await r.task.result; done.signal() }
        _ = done.wait(timeout: .now() + 10)
    }
}

/// Tells the starting thread that the socket is bound (or why not).
final class BoundSignal: Sendable {
    private let state = Mutex<(port: Int?, error: String?, done: Bool)>((nil, nil, false))
    private let semaphore = DispatchSemaphore(value: 0)
    func signal(port: Int?) {
        state.withLock { $0 = (port, nil, true) }
        semaphore.signal()
    }
    func fail(_ error: any Error) {
        let first = state.withLock { s -> Bool in
            guard !s.done else { return false }
            s = (nil, "\(error)", true)
            return true
        }
        if first { semaphore.signal() }
    }
    var error: String? { state.withLock { $0.error } }
    func wait(seconds: Int) -> Int? {
        _ = semaphore.wait(timeout: .now() + .seconds(seconds))
        return state.withLock { $0.port }
    }
}

/// Runs the server's tasks on threads of its own (a concurrent dispatch queue, which adds
/// threads as needed) instead of the shared cooperative pool.
final class ServerExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: immutable; DispatchQueue is thread-safe.
    static let shared = ServerExecutor()
    private let queue = DispatchQueue(label: "mithai.serve.tasks", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
