import Foundation
import MithaiWorkbench
import Testing

/// docs/COMMANDS.md is generated from the command table; it must match the code.
@Test func commandReferenceIsUpToDate() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/COMMANDS.md")
    let generated = Help.reference()
    if ProcessInfo.processInfo.environment["MITHAI_RECORD"] == "1" {
        try generated.write(to: url, atomically: true, encoding: .utf8)
    }
    let committed = try String(contentsOf: url, encoding: .utf8)
    #expect(committed == generated, "docs/COMMANDS.md is stale: re-generate it with MITHAI_RECORD=1 swift test --filter commandReferenceIsUpToDate")
    // Every command documents at least two runnable examples.
    for c in Commands.standard.commands { #expect(c.examples.count >= 2, "\(c.name) has fewer than two examples") }
}
