import Foundation
import Testing

/// A sweep split into shards run as separate processes, merged, equals the unsharded sweep.
@Suite(.serialized) struct ShardTests {
    static let script = """
    load Datasets/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip as amzn cache=off
    strategy mm = grid half_spread=5 step=1 levels=3 qty=100 max_position=500
    sweep mm on amzn half_spread=3,5,8 levels=2,3 from=10:00 to=10:20 jobs=2
    """

    @Test func shardsMergedEqualTheUnshardedSweep() throws {
        let dir = try Paths.temporaryFolder("shard")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = Paths.packageRoot
        let whole = try mithai(["-c", ShardTests.script, "--format", "csv", "--db", dir.appendingPathComponent("whole.db").path], in: root)
        #expect(whole.status == 0, "\(whole.stderr)")
        var shards: [String] = []
        for i in 1...3 {
            let out = dir.appendingPathComponent("shard\(i).db").path
            let r = try mithai(["-c", ShardTests.script, "--shard", "\(i)/3", "--out", out, "--format", "csv"], in: root)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.split(separator: "\r\n").count == 3, "shard \(i): 2 runs and a header\n\(r.stdout)")
            shards.append(out)
        }
        let merged = try mithai(["-c", "merge " + shards.joined(separator: " "), "--format", "csv",
                                 "--db", dir.appendingPathComponent("merged.db").path], in: root)
        #expect(merged.status == 0, "\(merged.stderr)")
        // Same runs, same statistics, in grid order (the sweep table has the parameter columns too).
        func rows(_ csv: String, dropping: Set<String>) -> [String] {
            let lines = csv.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            guard let header = lines.first else { return [] }
            let keep = header.indices.filter { !dropping.contains(header[$0]) }
            return lines.map { line in keep.map { line[$0] }.joined(separator: ",") }
        }
        let wholeRows = rows(whole.stdout, dropping: ["half_spread", "levels"])
        let mergedRows = rows(merged.stdout, dropping: [])
        #expect(wholeRows.count == 7)
        #expect(wholeRows == mergedRows)
        // A shard of another sweep is refused.
        let other = dir.appendingPathComponent("other.db").path
        let otherScript = ShardTests.script.replacingOccurrences(of: "half_spread=3,5,8", with: "half_spread=4,6,8")
        _ = try mithai(["-c", otherScript, "--shard", "1/3", "--out", other], in: root)
        let refused = try mithai(["-c", "merge \(shards[0]) \(other)", "--db", dir.appendingPathComponent("m2.db").path], in: root)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("different sweep"))
    }
}
