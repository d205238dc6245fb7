import MithaiLanguage

/// `drop NAME ...`: removes named values. Live sessions and the markets they run on are not
/// plain values:
///
/// - dropping a live session that is running or paused stops it first, exactly as `stop`
///   does: the bot's run is kept and stored (r1, ...), then the session's name goes. A
///   session never keeps running in the background without a name. A session that ended on
///   its own and whose run was not collected yet gets it collected the same way. To forget
///   the run too, drop it afterwards (`drop live1` then `drop r3`).
/// - dropping a market that a running or paused session trades is refused, naming the
///   session (stop or drop the session first, or drop both in one `drop`: sessions are
///   stopped before markets are checked).
///
/// Every name is checked before anything is dropped or stopped, so a misspelt name leaves
/// the sessions running.
enum Drop {
    static let details = "Dropping a running or paused live session stops it first, as stop does: its run is stored (r1, ...) and stays; drop the run too to forget it. A market that a running session trades cannot be dropped until the session is stopped or dropped (in the same drop is fine)."

    static func run(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        var names: [(String, SourceRange)] = []
        for e in ctx.exprs("names") {
            let n = try CommandContext.word(of: e)
            guard ctx.workspace[n] != nil, n != "_" else {
                throw WorkbenchError.at(e.range, "no value named '\(n)'", suggestions: Suggest.names(for: n, among: ctx.workspace.names))
            }
            names.append((n, e.range))
        }
        let dropping = Set(names.map(\.0))
        // Sessions that go on running after this drop (not in it, not stopped).
        var others: [LiveSessionObject] = []
        for n in ctx.workspace.names where !dropping.contains(n) {
            if let s = session(ctx.workspace[n]), s.currentState != .stopped { others.append(s) }
        }
        for (n, r) in names {
            guard case .object(let o) = ctx.workspace[n], let m = o.as(MarketObject.self) else { continue }
            if let s = others.first(where: { $0.market === m }) {
                throw .at(r, "market \(n) is in use by live session \(s.name) (\(s.currentState.rawValue))",
                          notes: ["stop the session first (stop), or drop both: drop \(s.name) \(n)"])
            }
        }
        var notes: [String] = []
        for (n, _) in names {
            guard let s = session(ctx.workspace[n]) else { continue }
            let wasGoing = s.currentState != .stopped
            if wasGoing { s.stop() }
            s.waitUntilDone()
            ctx.session.deliverPendingAlerts(into: &ctx.workspace)
            let fresh = s.runs.isEmpty
            let runs = try LiveCommands.collect(s, &ctx)
            if wasGoing || fresh {
                let what = runs.count == 1 ? "its run is \(runs[0].name)" : "its runs are " + runs.map(\.name).joined(separator: " ")
                notes.append("\(n) \(wasGoing ? "stopped" : "ended"); \(what)")
            }
        }
        for (n, _) in names { ctx.workspace.remove(n) }
        return .message("dropped \(names.map(\.0).joined(separator: " "))" + (notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"))
    }

    private static func session(_ v: Value?) -> LiveSessionObject? {
        guard case .object(let o)? = v else { return nil }
        return o.as(LiveSessionObject.self)
    }
}
