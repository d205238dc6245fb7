/// Alerts: conditions over named live values, evaluated at simulated times.
///
/// The evaluator is pure: `AlertBook.evaluate(_:)` takes a snapshot of named values (`mid(btc)`,
/// `position(r5)`, `latency.p99`, ...) at a simulated time and returns the alerts that fire,
/// updating only the book's own state. A replay (`backtest`, `alerts on DATA`) and a live
/// session drive the same book the same way, so the same data gives the same alerts at the same
/// simulated times, interactive or piped.
///
/// ## Firing rules
/// - `.edge` (the default): fires when the condition becomes true (false or unknown before,
///   true now); it re-arms when the condition is false again.
/// - `.once`: fires the first time the condition is true, then never again (until redefined).
/// - `.every(d)`: fires whenever the condition is true and at least `d` ns of simulated time
///   have passed since it last fired.
/// A condition whose values are not all in the snapshot is *unknown*: nothing fires and the
/// edge state is kept (a missing value is not a false one).
///
/// ## Ordering
/// Firings of one snapshot come out in the order the rules were defined; snapshots must come in
/// non-decreasing time. Complexity: O(rules × condition size) per snapshot.
public indirect enum AlertCondition: Sendable, Equatable {
    public enum Comparison: String, Sendable { case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "=", notEqual = "!=" }
    public enum Arithmetic: String, Sendable { case add = "+", subtract = "-", multiply = "*", divide = "/" }

    /// A named live value, e.g. `mid(btc)`.
    case value(String)
    case constant(Double)
    case compare(Comparison, AlertCondition, AlertCondition)
    case arithmetic(Arithmetic, AlertCondition, AlertCondition)
    case and(AlertCondition, AlertCondition)
    case or(AlertCondition, AlertCondition)
    case not(AlertCondition)

    /// Every named value the condition reads, in first-use order, without repeats.
    public var valueNames: [String] {
        var out: [String] = []
        func walk(_ c: AlertCondition) {
            switch c {
            case .value(let n): if !out.contains(n) { out.append(n) }
            case .constant: break
            case .compare(_, let a, let b), .arithmetic(_, let a, let b), .and(let a, let b), .or(let a, let b): walk(a); walk(b)
            case .not(let a): walk(a)
            }
        }
        walk(self)
        return out
    }

    /// The number, or nil when a value is missing (or a division by zero).
    func number(_ s: AlertSnapshot) -> Double? {
        switch self {
        case .value(let n): return s.values[n].flatMap { $0.isNaN ? nil : $0 }
        case .constant(let d): return d
        case .arithmetic(let op, let a, let b):
            guard let x = a.number(s), let y = b.number(s) else { return nil }
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide: return y == 0 ? nil : x / y
            }
        default: return nil
        }
    }

    /// true, false, or nil when unknown. `and`/`or` follow three-valued logic.
    public func truth(_ s: AlertSnapshot) -> Bool? {
        switch self {
        case .compare(let op, let a, let b):
            guard let x = a.number(s), let y = b.number(s) else { return nil }
            switch op {
            case .less: return x < y
            case .lessEqual: return x <= y
            case .greater: return x > y
            case .greaterEqual: return x >= y
            case .equal: return x == y
            case .notEqual: return x != y
            }
        case .and(let a, let b):
            let x = a.truth(s), y = b.truth(s)
            if x == false || y == false { return false }
            return x == true && y == true ? true : nil
        case .or(let a, let b):
            let x = a.truth(s), y = b.truth(s)
            if x == true || y == true { return true }
            return x == false && y == false ? false : nil
        case .not(let a): return a.truth(s).map { !$0 }
        case .value, .constant, .arithmetic:
            // A bare number is true when non-zero (a flag such as `halted(btc)`).
            return number(s).map { $0 != 0 }
        }
    }
}

/// Named live values at one simulated instant (ns since the epoch). Durations are in ns,
/// prices in currency units, percentages as fractions.
public struct AlertSnapshot: Sendable, Equatable {
    public var time: Int64
    public var values: [String: Double]
    public init(time: Int64, values: [String: Double]) { self.time = time; self.values = values }
}

public struct AlertRule: Sendable, Equatable {
    public enum Repeat: Sendable, Equatable {
        case edge, once
        /// At most once per this many ns of simulated time while true.
        case every(Int64)
    }

    /// When a live session checks the rule (backtests and replays of a dataset check every
    /// rule at each update of its values).
    public enum Check: Sendable, Equatable {
        /// Price conditions at every event that changes their values, others every 100 ms.
        case standard
        /// On a grid of this many ns of simulated time (multiples since the epoch).
        case interval(Int64)
        /// At every event that changes its values (price conditions only).
        case event
    }

    public var name: String
    /// The condition as the user wrote it, for messages.
    public var text: String
    public var condition: AlertCondition
    public var repeatMode: Repeat
    public var bell: Bool
    public var check: Check

    public init(name: String, text: String, condition: AlertCondition, repeatMode: Repeat = .edge, bell: Bool = false,
                check: Check = .standard)
    {
        self.name = name
        self.text = text
        self.condition = condition
        self.repeatMode = repeatMode
        self.bell = bell
        self.check = check
    }

    /// The value names a live session can follow event by event: the top of book and the
    /// last trade of an instrument (`mid(X)`, `bid(X)`, `ask(X)`, `spread(X)`, `last(X)`).
    public static func isPriceValue(_ name: String) -> Bool {
        name.hasSuffix(")") && ["mid(", "bid(", "ask(", "spread(", "last("].contains { name.hasPrefix($0) }
    }

    /// Whether every value the condition reads is a price value (see `isPriceValue`).
    public var readsPricesOnly: Bool { condition.valueNames.allSatisfy(Self.isPriceValue) }

    /// In a live session: nil when checked at every event that changes its values, else the
    /// grid step in ns (`standard`: 100 ms unless the condition reads prices only).
    public var checkInterval: Int64? {
        switch check {
        case .event: return nil
        case .interval(let d): return d
        case .standard: return readsPricesOnly ? nil : AlertRule.standardInterval
        }
    }

    /// The grid step of rules that are not checked event by event, unless they say otherwise.
    public static let standardInterval: Int64 = 100_000_000
}

/// One alert that fired: which, when (simulated ns), and the values it saw.
public struct AlertFiring: Sendable, Equatable {
    public var name: String
    public var text: String
    public var time: Int64
    /// The condition's values at that instant, in the condition's order.
    public var values: [(name: String, value: Double)]
    public var bell: Bool

    public static func == (a: AlertFiring, b: AlertFiring) -> Bool {
        a.name == b.name && a.text == b.text && a.time == b.time && a.bell == b.bell
            && a.values.map(\.name) == b.values.map(\.name) && a.values.map(\.value) == b.values.map(\.value)
    }
}

/// The alerts of a session: rules in definition order, their firing state and history.
/// A value type: the interpreter changes a copy and keeps it only when a statement succeeds.
public struct AlertBook: Sendable, Equatable {
    struct State: Sendable, Equatable {
        var wasTrue = false
        var lastFired: Int64?
        var spent = false
        /// The book's `revision` when the rule was (re)defined: tells a copy whether to keep
        /// its state (`sync`).
        var defined = 0
    }

    public private(set) var rules: [AlertRule] = []
    private var states: [State] = []
    /// Every firing, oldest first.
    public private(set) var history: [AlertFiring] = []
    /// Bumped by every `define` and `remove`: a copy with the same revision has the same rules.
    public private(set) var revision = 0

    public init() {}

    /// Adds a rule, replacing (and re-arming) one of the same name in place.
    public mutating func define(_ rule: AlertRule) {
        revision += 1
        var fresh = State()
        fresh.defined = revision
        if let i = rules.firstIndex(where: { $0.name == rule.name }) {
            rules[i] = rule
            states[i] = fresh
        } else {
            rules.append(rule)
            states.append(fresh)
        }
    }

    /// Takes the rules of `other` (the user's book after `alert` / `alert NAME off`) into this
    /// copy (a live session's, which has its own firing state): rules defined in the same
    /// revision keep this copy's state; new or redefined rules start armed; removed rules go.
    /// History is left as it is.
    public mutating func sync(rules other: AlertBook) {
        guard other.revision != revision else { return }
        var newStates: [State] = []
        for (r, s) in zip(other.rules, other.states) {
            if let i = rules.firstIndex(where: { $0.name == r.name }), states[i].defined == s.defined {
                newStates.append(states[i])
            } else {
                newStates.append(s)
            }
        }
        rules = other.rules
        states = newStates
        revision = other.revision
    }

    /// Removes a rule; returns whether there was one. Its history stays.
    @discardableResult
    public mutating func remove(_ name: String) -> Bool {
        guard let i = rules.firstIndex(where: { $0.name == name }) else { return false }
        revision += 1
        rules.remove(at: i)
        states.remove(at: i)
        return true
    }

    /// Every value name the armed rules read (what a driver must put in its snapshots).
    public var valueNames: [String] { valueNames { _ in true } }

    /// The value names of the armed rules that `include` accepts.
    public func valueNames(where include: (AlertRule) -> Bool) -> [String] {
        var out: [String] = []
        for (r, s) in zip(rules, states) where !s.spent && include(r) {
            for n in r.condition.valueNames where !out.contains(n) { out.append(n) }
        }
        return out
    }

    /// Evaluates every armed rule on `snapshot` (or those `include` accepts); returns the
    /// firings (definition order) and appends them to `history`.
    public mutating func evaluate(_ snapshot: AlertSnapshot, where include: (AlertRule) -> Bool = { _ in true }) -> [AlertFiring] {
        var fired: [AlertFiring] = []
        for i in rules.indices where !states[i].spent && include(rules[i]) {
            let rule = rules[i]
            guard let now = rule.condition.truth(snapshot) else { continue }
            var fire = false
            switch rule.repeatMode {
            case .edge: fire = now && !states[i].wasTrue
            case .once: fire = now
            case .every(let d): fire = now && (states[i].lastFired.map { snapshot.time - $0 >= d } ?? true)
            }
            states[i].wasTrue = now
            guard fire else { continue }
            states[i].lastFired = snapshot.time
            if rule.repeatMode == .once { states[i].spent = true }
            let values = rule.condition.valueNames.compactMap { n in snapshot.values[n].map { (name: n, value: $0) } }
            fired.append(AlertFiring(name: rule.name, text: rule.text, time: snapshot.time, values: values, bell: rule.bell))
        }
        history += fired
        return fired
    }

    /// Appends firings that a driver evaluated on its own copy of the book (a live session on
    /// its thread) to this book's history, and marks `once` rules among them spent.
    public mutating func record(_ firings: [AlertFiring]) {
        for f in firings {
            history.append(f)
            if let i = rules.firstIndex(where: { $0.name == f.name }) {
                states[i].lastFired = f.time
                states[i].wasTrue = true
                if rules[i].repeatMode == .once { states[i].spent = true }
            }
        }
    }

    /// Starts a new simulated timeline (each replay has its own clock): forgets edge and
    /// `every` state; `once` rules that fired stay spent.
    public mutating func beginTimeline() {
        for i in states.indices { states[i].wasTrue = false; states[i].lastFired = nil }
    }

    /// Whether a rule still fires (`once` rules are spent after firing).
    public func isArmed(_ name: String) -> Bool {
        rules.firstIndex { $0.name == name }.map { !states[$0].spent } ?? false
    }
}
