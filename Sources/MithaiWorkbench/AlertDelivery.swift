#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import Synchronization
public import MithaiEngine

/// A thread-safe mailbox for alerts that fire off the interpreter's thread (a live session's
/// background task). `post` may be called from any thread; it queues the firings and writes a
/// byte to a pipe so a reader blocked in `poll` (the shell's prompt) wakes up. The shell then
/// calls `Session.deliverPendingAlerts()` on the main thread, which prints, rings, journals and
/// records them.
public final class AlertInbox: Sendable {
    private let pending = Mutex<[(firing: AlertFiring, zone: String)]>([])
    private let readEnd: Int32
    private let writeEnd: Int32

    public init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        if readEnd >= 0 { close(readEnd) }
        if writeEnd >= 0 { close(writeEnd) }
    }

    /// Readable when alerts wait (for `poll`); -1 if no pipe could be made.
    public var wakeFD: Int32 { readEnd }

    /// Queues firings (times are simulated ns, shown in `zone`). Any thread.
    public func post(_ firings: [AlertFiring], zone: String) {
        guard !firings.isEmpty else { return }
        pending.withLock { $0 += firings.map { ($0, zone) } }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Takes every queued firing, oldest first.
    public func take() -> [(firing: AlertFiring, zone: String)] {
        var buffer = [UInt8](repeating: 0, count: 64)
        while readEnd >= 0 && read(readEnd, &buffer, buffer.count) > 0 {}
        return pending.withLock { p in defer { p = [] }; return p }
    }

    public var isEmpty: Bool { pending.withLock { $0.isEmpty } }

    // MARK: - The rules as the user last left them (read by live sessions)

    private let published = Mutex<AlertBook>(AlertBook())
    private let publishedRevision = Atomic<Int>(0)

    /// Makes `book`'s rules the ones running live sessions check (the interpreter calls this
    /// after every statement that succeeds; a no-op when the rules did not change).
    func publish(_ book: AlertBook) {
        guard book.revision != publishedRevision.load(ordering: .acquiring) else { return }
        published.withLock { $0 = book }
        publishedRevision.store(book.revision, ordering: .releasing)
    }

    /// The published book when its revision differs from `revision` (cheap otherwise).
    func rules(ifNewerThan revision: Int) -> AlertBook? {
        guard publishedRevision.load(ordering: .acquiring) != revision else { return nil }
        return published.withLock { $0 }
    }

    // MARK: - Background replay (`alerts on DATA speed=10x` at a terminal)

    /// Bumped to stop the running replay thread (each thread runs while it holds the latest).
    private let generation = Atomic<Int>(0)
    private let running = Atomic<Bool>(false)

    /// Replays `timeline` through a copy of `book` on a background thread, paced at `speed`
    /// times real time, posting what fires. Replaces a replay already running.
    func startReplay(book: AlertBook, timeline: Timeline, speed: Double, zone: String) {
        let mine = generation.wrappingAdd(1, ordering: .relaxed).newValue
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            var book = book
            book.beginTimeline()
            var values: [String: Double] = [:]
            let clock = ContinuousClock()
            let start = clock.now
            guard let t0 = timeline.times.first else { return }
            for i in timeline.times.indices {
                let target = Double(timeline.times[i] - t0) / speed / 1e9
                while true {
                    if generation.load(ordering: .relaxed) != mine { return }
                    let elapsed = clock.now - start
                    let remaining = target - Double(elapsed.components.seconds) - Double(elapsed.components.attoseconds) / 1e18
                    if remaining <= 0 { break }
                    usleep(UInt32(min(remaining, 0.05) * 1e6))
                }
                for u in timeline.updates[i] { values[u.name] = u.value }
                post(book.evaluate(AlertSnapshot(time: timeline.times[i], values: values)), zone: zone)
            }
            if generation.load(ordering: .relaxed) == mine { running.store(false, ordering: .relaxed) }
        }
        thread.name = "mithai-alert-replay"
        thread.start()
    }

    /// Stops the background replay; returns whether one was running.
    func stopReplay() -> Bool {
        let was = running.exchange(false, ordering: .relaxed)
        generation.wrappingAdd(1, ordering: .relaxed)
        return was
    }
}

extension Session {
    /// Reports fired alerts: one line each (`alert NAME fired at TIME: CONDITION [values]`),
    /// the terminal bell when asked (interactive sessions only), and a row in the journal's
    /// `alerts` table. In scripts the lines come in simulated-time order with the statement's
    /// output, so the same script gives the same lines, piped or not.
    public func announce(_ firings: [AlertFiring], zone: String) {
        guard !firings.isEmpty else { return }
        var text = ""
        var bell = false
        for f in firings {
            text += AlertCommands.line(f, zone: zone) + "\n"
            bell = bell || f.bell
            if let journal {
                try? journal.addAlert(commandID: currentCommandID, name: f.name, simulatedTime: f.time, condition: f.text, observed: AlertCommands.observed(f))
            }
        }
        if bell && options.mode == .interactive { text += "\u{07}" }
        if let noticePrinter {
            noticePrinter(text)
        } else {
            print(text, to: workspace.settings.format.isMachineReadable ? .err : .out)
        }
    }

    /// Delivers the alerts a live session posted to `alertInbox`: announces them and adds them
    /// to the workspace's alert history. Call on the interpreter's thread (the shell does, at
    /// the prompt and between statements).
    public func deliverPendingAlerts() {
        let items = alertInbox.take()
        guard !items.isEmpty else { return }
        workspace.alerts.record(items.map(\.firing))
        announce(items)
    }

    /// The same, recording into `ws` (a statement's own copy of the workspace, e.g. `wait`,
    /// which delivers while it blocks). `ws` must not be `self.workspace`.
    func deliverPendingAlerts(into ws: inout Workspace) {
        let items = alertInbox.take()
        guard !items.isEmpty else { return }
        ws.alerts.record(items.map(\.firing))
        announce(items)
    }

    private func announce(_ items: [(firing: AlertFiring, zone: String)]) {
        var i = 0
        while i < items.count {
            let zone = items[i].zone
            var group: [AlertFiring] = []
            while i < items.count && items[i].zone == zone { group.append(items[i].firing); i += 1 }
            announce(group, zone: zone)
        }
    }
}
