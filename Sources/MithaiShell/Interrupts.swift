#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Synchronization
public import MithaiWorkbench

/// Ctrl-C handling. A `sigaction` handler (no SA_RESTART) counts the press, marks the shared
/// `Cancellation`, and writes a byte to a self-pipe so a reader blocked in `poll` wakes up.
/// At the prompt a press discards the line; during a command it cancels the command; the third
/// press in a row during one command exits at once with status 130.
public enum Interrupts {
    /// The cancellation flag every session of this process shares.
    public static let cancellation = Cancellation()
    static let presses = Atomic<Int>(0)
    static let readFD = Atomic<Int32>(-1)
    static let writeFD = Atomic<Int32>(-1)

    /// Installs the handler once; safe to call again.
    public static func install() {
        guard readFD.load(ordering: .relaxed) < 0 else { return }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD.store(fds[0], ordering: .relaxed)
        writeFD.store(fds[1], ordering: .relaxed)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            let n = Interrupts.presses.wrappingAdd(1, ordering: .relaxed).newValue
            Interrupts.cancellation.cancel()
            if n >= 3 { _exit(130) }
            var byte: UInt8 = 3
            _ = Glibc.write(Interrupts.writeFD.load(ordering: .relaxed), &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        // A parent may have left SIGINT blocked (the mask is inherited across exec).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The read end of the self-pipe, for `poll`.
    public static var wakeFD: Int32 { readFD.load(ordering: .relaxed) }

    /// Forgets earlier presses (after the prompt handled one, or a command finished).
    public static func reset() {
        presses.store(0, ordering: .relaxed)
        cancellation.reset()
        drain()
    }

    /// Empties the self-pipe.
    public static func drain() {
        let fd = readFD.load(ordering: .relaxed)
        guard fd >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(fd, &buffer, buffer.count) > 0 {}
    }

    public static var pending: Bool { presses.load(ordering: .relaxed) > 0 }
}
