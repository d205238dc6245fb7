#if canImport(Glibc)
@preconcurrency import Glibc
#endif
@preconcurrency import CEditLine
import Foundation
import MithaiWorkbench

/// What one read from the user gave.
public enum ReadResult: Equatable {
    case line(String)
    /// Ctrl-C at the prompt: the line is discarded.
    case interrupted
    /// Ctrl-D on an empty line, or the input ended.
    case endOfInput
}

/// Line editing with libedit's native API: emacs keys, history kept in the user's home and
/// written atomically, Ctrl-R incremental search, TAB completion from the command table, and
/// Ctrl-C through the self-pipe of `Interrupts` (libedit's own signal handling is off).
/// All calls happen on one thread.
final class EditLineReader {
    private let editLine: OpaquePointer
    private let history: OpaquePointer
    private var event = HistEvent()
    let historyPath: String?

    /// The completion callback's view of the session (C callbacks cannot capture context).
    nonisolated(unsafe) static var completer: ((String, Int) -> Completer.Completion)?
    nonisolated(unsafe) static var promptText: UnsafeMutablePointer<CChar> = strdup("mithai> ")
    nonisolated(unsafe) static var mainPrompt: UnsafeMutablePointer<CChar> = strdup("mithai> ")
    nonisolated(unsafe) static var continuationPrompt: UnsafeMutablePointer<CChar> = strdup("   ...> ")
    /// Readable when notices (fired alerts) wait: `Session.alertInbox.wakeFD`; -1 for none.
    nonisolated(unsafe) static var noticeFD: Int32 = -1
    /// Collects the waiting notices as text (delivers the session's pending alerts).
    nonisolated(unsafe) static var takeNotices: (() -> String)?
    /// The key getc returns when notices wait (Ctrl-]); bound to `mithai-notice`.
    static let noticeKey: UInt32 = 0x1D

    init(prompt: String, historyPath: String?) {
        setlocale(LC_ALL, "")
        EditLineReader.mainPrompt = strdup(prompt)
        EditLineReader.continuationPrompt = strdup(String(repeating: " ", count: max(0, prompt.count - 5)) + "...> ")
        EditLineReader.promptText = EditLineReader.mainPrompt
        editLine = el_init("mithai", fdopen(0, "r"), fdopen(1, "w"), fdopen(2, "w"))
        history = history_init()
        self.historyPath = historyPath
        _ = mithai_history_setsize(history, &event, 2000)
        _ = mithai_history_setunique(history, &event, 1)
        if let historyPath { _ = mithai_history_load(history, &event, historyPath) }
        // Order matters: signal handling, getc and the editor are snapshotted at the first read.
        _ = mithai_el_set_signal(editLine, 0)
        _ = mithai_el_set_getc(editLine, EditLineReader.getCharacter)
        _ = mithai_el_set_editor(editLine, "emacs")
        _ = mithai_el_set_prompt(editLine, { _ in EditLineReader.promptText })
        _ = mithai_el_set_history(editLine, history)
        _ = mithai_el_addfn(editLine, "mithai-complete", "complete the word at the cursor", EditLineReader.complete)
        _ = mithai_el_bind(editLine, "^I", "mithai-complete")
        _ = mithai_el_bind(editLine, "^R", "em-inc-search-prev")
        _ = mithai_el_addfn(editLine, "mithai-notice", "print waiting notices above the prompt", EditLineReader.showNotices)
        _ = mithai_el_bind(editLine, "^]", "mithai-notice")
        _ = mithai_el_source(editLine)
    }

    deinit {
        el_end(editLine)
        history_end(history)
    }

    func readLine(continuation: Bool) -> ReadResult {
        EditLineReader.promptText = continuation ? EditLineReader.continuationPrompt : EditLineReader.mainPrompt
        var count: Int32 = 0
        guard let pointer = el_gets(editLine, &count) else {
            if count < 0 || Interrupts.pending { return discardLine() }
            return .endOfInput
        }
        if Interrupts.pending { return discardLine() }
        var line = String(cString: pointer)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    /// After Ctrl-C: clears libedit's line buffer. In a UTF-8 locale el_gets leaves the
    /// interrupted text in place for the next read unless the editor is reset.
    private func discardLine() -> ReadResult {
        el_reset(editLine)
        return .interrupted
    }

    /// Adds an entry and rewrites the history file atomically (temp file + rename).
    func remember(_ entry: String) {
        let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return }
        _ = mithai_history_enter(history, &event, trimmed)
        guard let historyPath else { return }
        let temporary = historyPath + ".tmp.\(getpid())"
        if mithai_history_save(history, &event, temporary) >= 0 {
            if rename(temporary, historyPath) != 0 { unlink(temporary) }
        }
    }

    /// Reads one character: waits on stdin and on the Ctrl-C self-pipe; decodes UTF-8.
    static let getCharacter: mithai_getc_fn = { _, out in
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: Interrupts.wakeFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: EditLineReader.noticeFD, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, fds[2].fd >= 0 ? 3 : fds[1].fd >= 0 ? 2 : 1, -1)
            if ready < 0 {
                if errno == EINTR {
                    if Interrupts.pending { errno = EINTR; return -1 }
                    continue
                }
                return -1
            }
            if fds[1].fd >= 0 && fds[1].revents & Int16(POLLIN) != 0 {
                Interrupts.drain()
                errno = EINTR
                return -1
            }
            // Fired alerts: a key bound to `showNotices`, which prints them above the prompt
            // and redraws the line being typed.
            if fds[2].fd >= 0 && fds[2].revents & Int16(POLLIN) != 0 {
                out?.pointee = wchar_t(bitPattern: EditLineReader.noticeKey)
                return 1
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                var first: UInt8 = 0
                let n = read(0, &first, 1)
                if n == 0 { return 0 }
                if n < 0 { if errno == EINTR { continue }; return -1 }
                var scalarValue = UInt32(first)
                let extra: Int
                switch first {
                case 0xC0...0xDF: extra = 1; scalarValue &= 0x1F
                case 0xE0...0xEF: extra = 2; scalarValue &= 0x0F
                case 0xF0...0xF7: extra = 3; scalarValue &= 0x07
                default: extra = 0
                }
                for _ in 0..<extra {
                    var next: UInt8 = 0
                    guard read(0, &next, 1) == 1 else { break }
                    scalarValue = (scalarValue << 6) | UInt32(next & 0x3F)
                }
                out?.pointee = wchar_t(bitPattern: scalarValue)
                return 1
            }
        }
    }

    /// Prints waiting notices above the prompt without breaking the line being typed: moves
    /// to the first row of the edited text, clears to the end of the screen, prints the
    /// notices, then leaves as many blank rows as the cursor was below the prompt's row, so
    /// libedit's redisplay (which moves up that many rows from where it believes the cursor is)
    /// redraws the prompt and the typed text, cursor in place, under the notices.
    static let showNotices: mithai_cmd_fn = { editLine, _ in
        guard let text = EditLineReader.takeNotices?(), !text.isEmpty else { return UInt8(CC_NORM) }
        var rowsAbove = 0
        if let editLine, let info = el_line(editLine)?.pointee {
            let width = max(20, Terminal.width ?? 80)
            let promptWidth = String(cString: EditLineReader.promptText).count
            let typed = String(decoding: UnsafeRawBufferPointer(start: info.buffer, count: info.cursor - info.buffer), as: UTF8.self).count
            rowsAbove = (promptWidth + typed) / width
        }
        var out = rowsAbove > 0 ? "\u{1B}[\(rowsAbove)A" : ""
        out += "\r\u{1B}[J" + text + String(repeating: "\n", count: rowsAbove)
        StandardOutput().write(out, to: .out)
        return UInt8(CC_REDISPLAY)
    }

    /// TAB: completes the word at the cursor from the command table; lists choices when the
    /// word cannot be extended further.
    static let complete: mithai_cmd_fn = { editLine, _ in
        guard let editLine, let info = el_line(editLine)?.pointee, let completer = EditLineReader.completer else {
            return UInt8(CC_ERROR)
        }
        let length = info.lastchar - info.buffer
        let cursor = info.cursor - info.buffer
        let bytes = UnsafeRawBufferPointer(start: info.buffer, count: length)
        let line = String(decoding: bytes, as: UTF8.self)
        let completion = completer(line, cursor)
        let typed = String(decoding: UnsafeRawBufferPointer(start: info.buffer, count: length)[completion.start..<cursor], as: UTF8.self)
        let candidates = completion.candidates
        guard !candidates.isEmpty else { return UInt8(CC_ERROR) }
        var common = candidates[0]
        for c in candidates.dropFirst() {
            while !c.hasPrefix(common) { common.removeLast() }
        }
        if common.count > typed.count && common.hasPrefix(typed) {
            var insertion = String(common.dropFirst(typed.count))
            if candidates.count == 1 && !common.hasSuffix("/") && !common.hasSuffix("=") { insertion += " " }
            _ = el_insertstr(editLine, insertion)
            return UInt8(CC_REFRESH)
        }
        if candidates.count == 1 { return UInt8(CC_REFRESH) }
        // List the choices in columns under the line.
        let width = max(20, Terminal.width ?? 80)
        let cell = min(width, (candidates.map(\.count).max() ?? 0) + 2)
        let perRow = max(1, width / cell)
        var text = "\n"
        for (i, c) in candidates.enumerated() {
            text += c.padding(toLength: cell, withPad: " ", startingAt: 0)
            if (i + 1) % perRow == 0 || i == candidates.count - 1 { text += "\n" }
        }
        StandardOutput().write(text, to: .out)
        return UInt8(CC_REDISPLAY)
    }
}
