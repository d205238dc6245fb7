/// The exchange side of a backtest: replays market events at exchange time, holds our orders,
/// matches them, and answers requests. Responses (acks, fills, rejections) are appended to
/// `outbox`, which the driver drains after every call and delivers after the response latency.
///
/// Exchanges are generic over their models (`QueueModel`, `FeeModel`) and are used as generic
/// parameters of `Backtest`, never as existentials.
public protocol ExchangeModel: Sendable {
    /// The exchange's view of the market (after every event it has processed).
    var book: L2Book { get }
    /// Responses produced by the last calls, oldest first; the driver empties it.
    var outbox: ContiguousArray<OrderMessage> { get set }
    /// Applies one market event; `event.exchTime` is the exchange's clock. Returns true when
    /// it produced responses (in `outbox`).
    @discardableResult
    mutating func process(_ event: Event) -> Bool
    /// Handles one request arriving at exchange time `time`.
    mutating func receive(_ request: OrderMessage, at time: Nanos)
    /// Number of our orders resting (including untriggered stops).
    var restingCount: Int { get }
    /// Totals over every fill the exchange produced (for conservation checks).
    var totals: ExchangeTotals { get }
    /// Verifies internal invariants; traps on violation. O(orders). For tests.
    func checkInvariants()
    /// Lends the exchange's book to `body`, which must give it back with the same content
    /// (the driver rewinds it to show the strategy its delayed view, then replays it).
    mutating func withBook<R>(_ body: (inout L2Book) -> R) -> R
    /// True when the driver may run in shared-book mode with this exchange (its book is an
    /// `L2Book` changed only by depth, snapshot and clear events).
    static var supportsSharedBook: Bool { get }

    // Exchanges that make their own market (the live impact engine, `ImpactExchange`): the
    // driver asks them for arrivals instead of feeding them events. Defaults: none.
    /// True when the exchange generates its market (then `process` is never called).
    static var generatesMarket: Bool { get }
    /// Exchange time of the next self-generated arrival (Nanos.max: none).
    var nextArrival: Nanos { get }
    /// Produces that arrival: public events to `published`, responses to `outbox`.
    mutating func arrive()
    /// Public feed events produced since the driver last emptied it, in exchange-time order.
    var published: ContiguousArray<Event> { get set }
    /// What the generated crowd did, when there is one.
    var generatedCounts: FlowCounts? { get }
}

extension ExchangeModel {
    public static var supportsSharedBook: Bool { true }
    public static var generatesMarket: Bool { false }
    public var nextArrival: Nanos { Nanos.max }
    public mutating func arrive() {}
    public var published: ContiguousArray<Event> {
        get { [] }
        set {}
    }
    public var generatedCounts: FlowCounts? { nil }
}

/// Running totals of the fills an exchange produced.
public struct ExchangeTotals: Sendable, Equatable {
    public var fills = 0
    /// Σ signed fill quantity (buys positive), lots.
    public var position: Lots = 0
    /// Σ fill value × (buy: -1, sell: +1) for linear contracts (`Valuation.cashFlow`).
    public var cash = Money.zero
    public var fees = Money.zero
    public var tradedQuantity: Lots = 0
    public var tradedValue = Money.zero
    public init() {}
}

/// How our orders execute.
public protocol FillBehaviour: Sendable {
    /// True when an order may execute in parts (a print smaller than the order, a taker order
    /// walking the book level by level).
    static var partialFills: Bool { get }
    /// Short name for run metadata.
    static var name: String { get }
}

/// Every execution fills the order's whole remaining quantity (hftbacktest's
/// `NoPartialFillExchange`): an order at the front of the queue is filled entirely by any print
/// reaching past it; a marketable order is filled entirely at the opposite best price whatever
/// the quantity there.
public enum NoPartialFills: FillBehaviour {
    public static var partialFills: Bool { false }
    public static var name: String { "no_partial_fill" }
}

/// Orders execute in parts (our own rules, documented in docs/BACKTEST.md; hftbacktest's
/// `PartialFillExchange` has faults we do not copy): a print at our price fills only the
/// quantity that reaches past our queue position; a marketable order takes each visible level
/// from the best up to its limit, at most the level's quantity.
public enum PartialFills: FillBehaviour {
    public static var partialFills: Bool { true }
    public static var name: String { "partial_fill" }
}

/// An L2 exchange that never fills partially.
public typealias NoPartialFillExchange<Q: QueueModel, F: FeeModel> = L2Exchange<NoPartialFills, Q, F>
/// An L2 exchange that fills partially.
public typealias PartialFillExchange<Q: QueueModel, F: FeeModel> = L2Exchange<PartialFills, Q, F>
