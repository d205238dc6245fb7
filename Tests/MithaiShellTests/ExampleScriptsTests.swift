import Foundation
import Testing

/// Every recipe and every example session replays with `--verify` on the bundled data: their
/// recorded results must be reproduced bit for bit.
@Suite(.serialized) struct ExampleScriptsTests {
    static func scripts(in folder: String) -> [String] {
        let url = Paths.packageRoot.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(".mithai") }.sorted().map { "\(folder)/\($0)" }
    }

    static var all: [String] { scripts(in: "Recipes") + scripts(in: "Sessions") }

    @Test func thereAreExamplesToReplay() {
        #expect(!ExampleScriptsTests.scripts(in: "Recipes").isEmpty)
        #expect(!ExampleScriptsTests.scripts(in: "Sessions").isEmpty)
    }

    @Test("replays with --verify", arguments: all)
    func replay(_ script: String) throws {
        let home = try Paths.temporaryFolder("replay")
        defer { try? FileManager.default.removeItem(at: home) }
        // Run from the package root (scripts name bundled data by relative path), with the
        // journal and any saved output in a temporary home.
        let r = try mithai([script, "--verify", "--db", home.appendingPathComponent("journal.sqlite").path],
                           in: Paths.packageRoot, environment: ["MITHAI_HOME": home.path])
        #expect(r.status == 0, "\(script) failed:\n\(r.stderr)")
        #expect(r.stderr.contains("reproduced"), "\(script): \(r.stderr)")
    }
}
