import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `mithai` on a pseudo-terminal, as a person types: libedit editing, TAB completion,
/// history across sessions, Ctrl-R search and Ctrl-C at the prompt.
final class PseudoTerminal {
    let master: Int32
    let pid: pid_t
    private(set) var transcript = ""

    init(_ binary: URL, arguments: [String] = [], environment: [String: String], folder: URL) throws {
        // posix_openpt/grantpt/unlockpt/ptsname are not visible from Swift's Glibc module;
        // the Linux ioctls behind them are (TIOCSPTLCK to unlock, TIOCGPTN for the number).
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw SkipError("no pseudo-terminal available")
        }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw SkipError("cannot open the pseudo-terminal's slave") }
        var size = winsize(ws_row: 30, ws_col: 100, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The child starts a new session (SETSID runs before the file actions), so opening the
        // slave as its stdin makes it the controlling terminal: Ctrl-C typed on the master
        // then raises SIGINT in the child, exactly as for a user.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/pts/\(number)", O_RDWR, 0)
        for fd: Int32 in [1, 2] { posix_spawn_file_actions_adddup2(&actions, 0, fd) }
        posix_spawn_file_actions_addclose(&actions, master)
        posix_spawn_file_actions_addclose(&actions, slave)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID | SETSIGMASK | SETSIGDEF: a new session, nothing blocked, SIGINT default.
        posix_spawnattr_setflags(&attributes, Int16(0x80 | 0x08 | 0x04))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let argv = ([binary.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary.path, &actions, &attributes, argv, envp)
        close(slave)
        guard rc == 0 else { throw SkipError("posix_spawn failed: \(rc)") }
        pid = child
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(master)
    }

    func send(_ text: String) {
        var bytes = Array(text.utf8)
        _ = write(master, &bytes, bytes.count)
    }

    /// Reads until the output since `mark` contains `text` (or 20 s pass, a guard against
    /// hangs only); returns whether it appeared.
    @discardableResult
    func waitFor(_ text: String, after mark: Int? = nil) -> Bool {
        let start = Date()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(start) < 20 {
            let from = transcript.index(transcript.startIndex, offsetBy: min(mark ?? 0, transcript.count))
            if transcript[from...].contains(text) { return true }
            var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 200) > 0 {
                let n = read(master, &buffer, buffer.count)
                if n <= 0 { break }
                transcript += String(decoding: buffer[0..<n], as: UTF8.self)
            }
        }
        let from = transcript.index(transcript.startIndex, offsetBy: min(mark ?? 0, transcript.count))
        if transcript[from...].contains(text) { return true }
        Issue.record("waiting for \(text.debugDescription); the terminal shows:\n\(transcript[from...].debugDescription)")
        return false
    }

    var mark: Int { transcript.count }

    /// Waits until the line editor has put the terminal in raw mode (ICANON off), i.e. it is
    /// reading keys. Control keys sent earlier would meet the cooked terminal (^R = reprint).
    @discardableResult
    func waitForEditing() -> Bool {
        var attributes = termios()
        for _ in 0..<2000 {
            if tcgetattr(master, &attributes) == 0 && attributes.c_lflag & tcflag_t(ICANON) == 0 { return true }
            usleep(5_000)
        }
        Issue.record("the terminal never left canonical mode")
        return false
    }

    /// The child's exit status once it has exited; `0...255`, or 256 when it exited but was
    /// reaped by someone else (Foundation's `Process` reaps every child of the test process),
    /// or -1 when it is still running after 30 s.
    func exitStatus() -> Int32 {
        var status: Int32 = 0
        // Drain output so the child never blocks on a full pty buffer.
        var buffer = [UInt8](repeating: 0, count: 4096)
        // By time, not by count: once the child closes the terminal, poll returns at once (HUP).
        let start = Date()
        while Date().timeIntervalSince(start) < 30 {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (status >> 8) & 0xFF }
            if r < 0 && errno == ECHILD && kill(pid, 0) != 0 { return 256 }
            // Exited, but the status belongs to whoever reaps it (Foundation's Process machinery
            // in this test process may be waiting on every child).
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return 256 }
            var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 100) > 0 {
                let n = read(master, &buffer, buffer.count)
                if n > 0 { transcript += String(decoding: buffer[0..<n], as: UTF8.self) } else { usleep(10_000) }
            }
        }
        let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? "?"
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "?"
        Issue.record("still running (wchan \(wchan), stat \(state.prefix(60))); the terminal shows:\n\(transcript.suffix(300).debugDescription)")
        return -1
    }
}

@Suite(.serialized) struct PseudoTerminalTests {
    func environment(_ dir: URL) -> [String: String] {
        ["HOME": dir.path, "TERM": "xterm", "NO_COLOR": "1", "MITHAI_HOME": dir.path,
         "MITHAI_HISTORY": dir.appendingPathComponent("history").path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
         "MITHAI_SIXEL": "0"]
    }

    @Test func editingCompletionHistoryAndInterrupt() throws {
        guard let binary = Paths.binary else { throw SkipError("the mithai binary is not built") }
        let dir = try Paths.temporaryFolder("pty")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let tty = try PseudoTerminal(binary, environment: environment(dir), folder: dir)
            #expect(tty.waitFor("mithai> "))
            tty.send("x = 41\r")
            var mark = tty.mark
            tty.send("x + 1\r")
            #expect(tty.waitFor("42", after: mark))
            // TAB completes `hel` to `help `.
            mark = tty.mark
            tty.send("hel\tset\r")
            #expect(tty.waitFor("changes session settings", after: mark))
            // Ctrl-C at the prompt discards the half-typed line.
            mark = tty.mark
            tty.send("1 + ")
            #expect(tty.waitFor("1 + ", after: mark))
            tty.waitForEditing()
            tty.send("\u{03}")
            #expect(tty.waitFor("^C", after: mark))
            mark = tty.mark
            tty.send("2 * 333\r")
            #expect(tty.waitFor("666", after: mark))
            tty.waitForEditing()
            tty.send(".quit\r")
            #expect([0, 256].contains(tty.exitStatus()))
        }
        let history = try String(contentsOf: dir.appendingPathComponent("history"), encoding: .utf8)
        #expect(history.contains("x\\040+\\0401"))
        #expect(!history.contains("1\\040+\\040\n"))
        do {
            // A new session recalls the previous one's lines: up arrow twice, then Ctrl-R.
            let tty = try PseudoTerminal(binary, environment: environment(dir), folder: dir)
            #expect(tty.waitFor("mithai> "))
            var mark = tty.mark
            tty.send("\u{1B}[A\u{1B}[A\r")
            #expect(tty.waitFor("666", after: mark))
            #expect(tty.waitFor("666\r\nmithai> ", after: mark))
            // Keys sent while a command runs meet the terminal in cooked mode, where ^R means
            // "reprint": wait until the editor reads keys, as a person would.
            tty.waitForEditing()
            mark = tty.mark
            tty.send("\u{12}x +\r")
            #expect(tty.waitFor("unknown", after: mark)) // `x + 1` recalled; x is not defined here
            #expect(tty.waitFor("mithai> ", after: tty.mark - 8))
            tty.waitForEditing()
            tty.send("\u{04}")
            #expect([0, 256].contains(tty.exitStatus()))
        }
    }

    /// Ctrl-C during a long command cancels that command, keeps what finished, and the session
    /// goes on: the next statement runs and the workspace still holds what was defined before.
    @Test func interruptCancelsTheRunningCommandNotTheSession() throws {
        guard let binary = Paths.binary else { throw SkipError("the mithai binary is not built") }
        let dir = try Paths.temporaryFolder("pty-cancel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tty = try PseudoTerminal(binary, environment: environment(dir), folder: Paths.packageRoot)
        #expect(tty.waitFor("mithai> "))
        tty.send("load Datasets/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip as amzn\r")
        #expect(tty.waitFor("amzn: 74,805 events"))
        tty.waitFor("mithai> ", after: tty.mark - 9)
        tty.waitForEditing()
        tty.send("strategy mm = grid half_spread=5 step=1 levels=3 qty=100 max_position=500\r")
        #expect(tty.waitFor("strategy mm = grid"))
        tty.waitForEditing()
        // 400 runs take a while: interrupt once the progress bar shows, which it does only after
        // a second's work and a finished run.
        var mark = tty.mark
        tty.send("sweep mm on amzn half_spread=1..400/400 from=10:00 to=10:10 jobs=1\r")
        #expect(tty.waitFor("sweep mm on amzn  [", after: mark))
        tty.send("\u{03}")
        #expect(tty.waitFor("sweep stopped", after: mark))
        #expect(tty.waitFor("of 400 runs finished and kept", after: mark))
        tty.waitForEditing()
        mark = tty.mark
        tty.send("runs | head 1\r")
        #expect(tty.waitFor("r1", after: mark))
        tty.waitForEditing()
        mark = tty.mark
        tty.send("6 * 7\r")
        #expect(tty.waitFor("42", after: mark))
        tty.waitForEditing()
        tty.send(".quit\r")
        #expect([0, 256].contains(tty.exitStatus()))
    }
}
