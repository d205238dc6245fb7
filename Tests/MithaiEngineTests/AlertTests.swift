import Testing
@testable import MithaiEngine

/// The pure alert evaluator: firing rules, unknown values and ordering, on hand-made snapshots.
@Suite struct AlertTests {
    static let above = AlertCondition.compare(.greater, .value("mid(btc)"), .constant(100))

    static func run(_ book: inout AlertBook, _ mids: [Double?], step: Int64 = 1_000_000_000) -> [Int64] {
        var times: [Int64] = []
        for (i, m) in mids.enumerated() {
            let s = AlertSnapshot(time: Int64(i) * step, values: m.map { ["mid(btc)": $0] } ?? [:])
            times += book.evaluate(s).map(\.time)
        }
        return times
    }

    @Test func edgeFiresEachTimeTheConditionBecomesTrue() {
        var book = AlertBook()
        book.define(AlertRule(name: "a", text: "mid(btc) > 100", condition: AlertTests.above))
        // true at 1, stays true at 2 (no fire), false at 3, true again at 4.
        let s: Int64 = 1_000_000_000
        #expect(AlertTests.run(&book, [99, 101, 102, 100, 101]) == [1 * s, 4 * s])
        #expect(book.history.count == 2)
        #expect(book.history[0].values.map(\.name) == ["mid(btc)"] && book.history[0].values[0].value == 101)
    }

    @Test func onceFiresASingleTimeAndEveryIsThrottledBySimulatedTime() {
        var once = AlertBook()
        once.define(AlertRule(name: "o", text: "", condition: AlertTests.above, repeatMode: .once))
        #expect(AlertTests.run(&once, [101, 99, 101, 101]) == [0])
        #expect(!once.isArmed("o"))
        #expect(once.valueNames.isEmpty)
        var every = AlertBook()
        every.define(AlertRule(name: "e", text: "", condition: AlertTests.above, repeatMode: .every(2_500_000_000)))
        let s: Int64 = 1_000_000_000
        // True throughout: fires at 0, then once at least 2.5 s have passed: 3, 6.
        #expect(AlertTests.run(&every, Array(repeating: 101, count: 8)) == [0, 3 * s, 6 * s])
    }

    @Test func missingValuesAreUnknownNotFalse() {
        var book = AlertBook()
        book.define(AlertRule(name: "a", text: "", condition: AlertTests.above))
        // True, then missing (no change of state), then true: still one firing.
        #expect(AlertTests.run(&book, [101, nil, 101]).count == 1)
        let s = AlertSnapshot(time: 0, values: ["x": 1])
        let x = AlertCondition.compare(.equal, .value("x"), .constant(1))
        let y = AlertCondition.compare(.equal, .value("y"), .constant(1))
        #expect(AlertCondition.and(x, y).truth(s) == nil)
        #expect(AlertCondition.or(x, y).truth(s) == true)
        #expect(AlertCondition.and(.not(x), y).truth(s) == false)
        #expect(AlertCondition.compare(.greater, .arithmetic(.divide, .value("x"), .constant(0)), .constant(0)).truth(s) == nil)
    }

    @Test func rulesFireInDefinitionOrderAndRedefiningRearms() {
        var book = AlertBook()
        book.define(AlertRule(name: "b", text: "", condition: AlertTests.above, repeatMode: .once))
        book.define(AlertRule(name: "a", text: "", condition: .compare(.greaterEqual, .value("mid(btc)"), .constant(50))))
        let fired = book.evaluate(AlertSnapshot(time: 5, values: ["mid(btc)": 120]))
        #expect(fired.map(\.name) == ["b", "a"])
        book.define(AlertRule(name: "b", text: "", condition: AlertTests.above, repeatMode: .once))
        #expect(book.rules.map(\.name) == ["b", "a"])
        #expect(book.evaluate(AlertSnapshot(time: 6, values: ["mid(btc)": 120])).map(\.name) == ["b"])
        #expect(book.remove("a") && !book.remove("a"))
        #expect(book.history.count == 3)
    }

    @Test func aNewTimelineForgetsEdgesButNotSpentOnces() {
        var book = AlertBook()
        book.define(AlertRule(name: "e", text: "", condition: AlertTests.above))
        book.define(AlertRule(name: "o", text: "", condition: AlertTests.above, repeatMode: .once))
        #expect(book.evaluate(AlertSnapshot(time: 10, values: ["mid(btc)": 101])).count == 2)
        book.beginTimeline()
        #expect(book.evaluate(AlertSnapshot(time: 0, values: ["mid(btc)": 101])).map(\.name) == ["e"])
    }

    @Test func firingsEvaluatedElsewhereAreRecorded() {
        // A live session evaluates its own copy on its thread and hands the firings back.
        var main = AlertBook()
        main.define(AlertRule(name: "o", text: "", condition: AlertTests.above, repeatMode: .once))
        var copy = main
        let fired = copy.evaluate(AlertSnapshot(time: 7, values: ["mid(btc)": 101]))
        main.record(fired)
        #expect(main.history == fired)
        #expect(!main.isArmed("o"))
    }

    /// A live session's copy takes the user's later changes: untouched rules keep the copy's
    /// state, redefined ones (even with the same text) re-arm, removed ones stop firing.
    @Test func syncKeepsStateOfUntouchedRulesAndRearmsRedefinedOnes() {
        let s: Int64 = 1_000_000_000
        var user = AlertBook()
        user.define(AlertRule(name: "e", text: "", condition: AlertTests.above))
        user.define(AlertRule(name: "o", text: "", condition: AlertTests.above, repeatMode: .once))
        var copy = user
        #expect(AlertTests.run(&copy, [101]).count == 2)
        // Nothing changed: sync is a no-op; e stays true (no edge), o stays spent.
        copy.sync(rules: user)
        #expect(copy.evaluate(AlertSnapshot(time: 2 * s, values: ["mid(btc)": 102])).isEmpty)
        // o redefined with the same text re-arms; e is left alone; a new rule n fires.
        user.define(AlertRule(name: "o", text: "", condition: AlertTests.above, repeatMode: .once))
        user.define(AlertRule(name: "n", text: "", condition: AlertTests.above))
        copy.sync(rules: user)
        #expect(copy.evaluate(AlertSnapshot(time: 3 * s, values: ["mid(btc)": 103])).map(\.name) == ["o", "n"])
        // Removed: e no longer fires on its next edge.
        user.remove("e")
        copy.sync(rules: user)
        _ = copy.evaluate(AlertSnapshot(time: 4 * s, values: ["mid(btc)": 99]))
        #expect(copy.evaluate(AlertSnapshot(time: 5 * s, values: ["mid(btc)": 101])).map(\.name) == ["n"])
        #expect(copy.rules.map(\.name) == ["o", "n"] && copy.revision == user.revision)
    }
}
