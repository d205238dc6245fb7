import Foundation
import MithaiStore
import Testing

@Suite("Run store") struct RunStoreTests {
    func record(fills n: Int, name: String = "r1") -> RunRecord {
        var fills = RunRecord.Fills()
        for i in 0..<n {
            fills.exchTime.append(Int64(1_000 + i)); fills.localTime.append(Int64(1_010 + i))
            fills.orderID.append(Int64(i)); fills.side.append(i % 2 == 0 ? 1 : -1)
            fills.priceTicks.append(616_597 + Int64(i % 7)); fills.quantityLots.append(100)
            fills.isMaker.append(i % 3 != 0); fills.fee.append(-0.5)
        }
        var equity = RunRecord.Equity()
        for i in 0..<3 { equity.time.append(Int64(i)); equity.positionLots.append(Int64(i)); equity.midTicks.append(5); equity.equity.append(Double(i) / 2) }
        return RunRecord(name: name, kind: "backtest", strategy: "mm", strategyKind: "grid",
                         parameters: [("levels", "20"), ("step", "10")], dataset: "btc", datasetHash: "abc",
                         datasetPath: "Datasets/x.gz", symbol: "BTCUSDT", tickSize: "0.1", lotSize: "0.001",
                         engineVersion: "0.1.0", status: "complete", events: 42, seed: 7, fills: fills,
                         equity: equity, stats: [("sharpe", 1.5), ("max_drawdown", .nan), ("fills", Double(n))])
    }

    @Test func savesAndReadsBack() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try RunStore(database: Database(path: path))
        let id = try store.save(record(fills: 1_000), sessionID: nil)
        let id2 = try store.save(record(fills: 3, name: "r2"), sessionID: 9)
        #expect(id2 == id + 1)
        #expect(try store.list().map(\.name) == ["r1", "r2"])
        #expect(try store.fillCount(runID: id) == 1_000)
        let stats = try store.stats(runID: id)
        #expect(stats.map(\.name) == ["sharpe", "max_drawdown", "fills"])
        #expect(stats[0].value == 1.5 && stats[1].value.isNaN && stats[2].value == 1_000)
    }

    @Test func aFailedWriteLeavesNoPartialRun() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try RunStore(database: Database(path: path))
        var bad = record(fills: 10)
        bad.stats = [("sharpe", 1), ("sharpe", 2)] // fine: seq is the key
        bad.orders.orderID = [1, 1]; bad.orders.submitTime = [0, 0]; bad.orders.side = [1, 1]
        bad.orders.type = ["limit", "limit"]; bad.orders.timeInForce = ["gtc", "gtc"]; bad.orders.priceTicks = [1, 1]
        bad.orders.quantityLots = [1, 1]; bad.orders.filledLots = [0, 0]; bad.orders.status = ["new", "new"]
        bad.orders.reason = ["", ""]
        bad.equity.equity[1] = .nan // stored as NULL in a NOT NULL column: the write fails after the fills
        #expect(throws: StoreError.self) { try store.save(bad, sessionID: nil) }
        #expect(try store.list().isEmpty)
        let count = try store.database.prepare("SELECT count(*) FROM fills")
        #expect(try count.step())
        #expect(count.int(0) == 0)
    }
}
