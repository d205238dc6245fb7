#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
public import MithaiWorkbench

/// Facts about the process's terminal, read once at start.
public enum Terminal {
    public static var stdinIsTerminal: Bool { isatty(0) == 1 }
    public static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// Columns of the terminal on stdout, or nil when it is not a terminal.
    public static var width: Int? {
        guard stdoutIsTerminal else { return nil }
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Whether the terminal on stdin/stdout draws sixel graphics: asks it for its primary
    /// device attributes (DA1, `ESC [ c`) and looks for feature 4 in the answer. Waits at most
    /// 0.3 s; MITHAI_SIXEL=1 or 0 overrides; never asks when either side is not a terminal.
    public static func supportsSixel() -> Bool {
        if let forced = ProcessInfo.processInfo.environment["MITHAI_SIXEL"] { return forced == "1" }
        guard stdinIsTerminal, stdoutIsTerminal, ProcessInfo.processInfo.environment["TERM"] != "dumb" else { return false }
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return false }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        tcsetattr(0, TCSANOW, &raw)
        defer { tcsetattr(0, TCSANOW, &saved) }
        var query = Array("\u{1B}[c".utf8)
        _ = Glibc.write(1, &query, query.count)
        var answer: [UInt8] = []
        var byte: UInt8 = 0
        while answer.count < 128 {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 300) > 0, Glibc.read(0, &byte, 1) == 1 else { break }
            answer.append(byte)
            if byte == UInt8(ascii: "c") { break }
        }
        guard let text = String(bytes: answer, encoding: .ascii), text.hasPrefix("\u{1B}[?") else { return false }
        let features = text.dropFirst(3).dropLast().split(separator: ";")
        return features.dropFirst().contains("4")
    }

    /// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
    public static var wantsColor: Bool {
        stdoutIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"].map { $0.isEmpty } ?? true
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }
}

/// Writes to file descriptors 1 and 2 directly (no stdio buffering, so output and error text
/// interleave in order). A closed pipe (EPIPE) ends output quietly.
public final class StandardOutput: OutputSink {
    public private(set) var brokenPipe = false

    public init() {
        signal(SIGPIPE, SIG_IGN)
    }

    public func write(_ text: String, to stream: OutputStreamKind) {
        guard !brokenPipe || stream == .err else { return }
        let fd: Int32 = stream == .out ? 1 : 2
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE && fd == 1 { brokenPipe = true }
                    return
                }
                offset += n
            }
        }
    }
}
