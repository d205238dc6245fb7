/// Orders, requests and responses: trivial value types that cross between the strategy and the
/// simulated exchange through latency-delayed buses.

/// The strategy's identifier of an order, unique among its live orders (hftbacktest's grid uses
/// the price in ticks).
public typealias OrderID = UInt64

/// What kind of order.
public enum OrderType: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    /// Executes at `price` or better; rests (GTC, GTX) or expires (IOC, FOK) otherwise.
    case limit = 0
    /// Executes against the book at any price.
    case market = 1
    /// Rests on the exchange unseen until a print reaches `stopPrice` (buy: at or above, sell: at
    /// or below), then becomes a market order.
    case stop = 2
    /// Like `stop`, but becomes a limit order at `price` with the order's time in force.
    case stopLimit = 3
    /// A stop whose trigger follows the market: `price` holds the trailing distance in ticks
    /// (> 0). A sell's stop is `max(stop, print - distance)` after every print, a buy's
    /// `min(stop, print + distance)`; a print at or through the stop (sell: `<=`, buy: `>=`)
    /// turns it into a market order. `stopPrice` is the initial stop (0: the last print, or
    /// the near best price when nothing has printed, offset by the distance).
    case trailingStop = 4

    public var description: String {
        switch self {
        case .limit: return "limit"
        case .market: return "market"
        case .stop: return "stop"
        case .stopLimit: return "stop_limit"
        case .trailingStop: return "trailing_stop"
        }
    }
}

/// How long an order may live.
public enum TimeInForce: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    /// Good till cancelled: whatever does not execute on arrival rests.
    case gtc = 0
    /// Immediate or cancel: executes what it can on arrival, the rest expires.
    case ioc = 1
    /// Fill or kill: executes entirely on arrival or not at all.
    case fok = 2
    /// Post only (good till crossing): rejected (expired) if it would execute on arrival.
    case gtx = 3

    public var description: String {
        switch self {
        case .gtc: return "gtc"
        case .ioc: return "ioc"
        case .fok: return "fok"
        case .gtx: return "gtx"
        }
    }
}

/// An order's state, as the exchange last reported it (or `pendingNew` before any answer).
public enum OrderStatus: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    /// Sent; no answer from the exchange yet.
    case pendingNew = 0
    /// Resting on the book (or, for stops, waiting for its trigger).
    case new = 1
    case partiallyFilled = 2
    case filled = 3
    case canceled = 4
    /// Ended without (full) execution by its own rules: GTX that would cross, IOC/FOK remainder,
    /// market order with no liquidity.
    case expired = 5
    /// Refused by the exchange or before reaching it; see `RejectReason`.
    case rejected = 6

    /// True when the order can no longer execute.
    @inlinable public var isFinal: Bool { self.rawValue >= OrderStatus.filled.rawValue }

    public var description: String {
        switch self {
        case .pendingNew: return "pending_new"
        case .new: return "new"
        case .partiallyFilled: return "partially_filled"
        case .filled: return "filled"
        case .canceled: return "canceled"
        case .expired: return "expired"
        case .rejected: return "rejected"
        }
    }
}

/// Why a request did not do what it asked. Rejections are values, never errors thrown out of
/// the engine.
public enum RejectReason: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    case none = 0
    /// A live order already has this id.
    case duplicateOrderID = 1
    /// Cancel or modify of an order the exchange does not hold (filled, cancelled, never accepted).
    case unknownOrder = 2
    /// Post-only (GTX) order that would have crossed the book on arrival.
    case postOnlyWouldCross = 3
    /// IOC or market order that found no (or not enough) liquidity; the rest expired.
    case noLiquidity = 4
    /// FOK order that the visible book could not fill entirely.
    case fillOrKillUnfillable = 5
    /// Quantity not positive, or a modify to a non-positive quantity.
    case invalidQuantity = 6
    /// A stop order without a stop price, a limit without a usable price, an impossible combination.
    case invalidOrder = 7
    /// The venue dropped the request before matching (negative latency in the latency model).
    case venueRejected = 8
    /// The strategy already has a request in flight for this order.
    case requestInFlight = 9
    /// The order is not in a state that allows the request (e.g. modify of a stop that triggered).
    case notModifiable = 10
    /// Refused by the run's pre-trade risk checks (`RiskGuard`); the breach log says which limit.
    case riskLimit = 11

    public var description: String {
        switch self {
        case .none: return "none"
        case .duplicateOrderID: return "duplicate order id"
        case .unknownOrder: return "unknown order"
        case .postOnlyWouldCross: return "post-only order would cross"
        case .noLiquidity: return "no liquidity"
        case .fillOrKillUnfillable: return "fill-or-kill order not fillable"
        case .invalidQuantity: return "invalid quantity"
        case .invalidOrder: return "invalid order"
        case .venueRejected: return "rejected by the venue before matching"
        case .requestInFlight: return "a request for this order is in flight"
        case .notModifiable: return "order cannot be modified"
        case .riskLimit: return "rejected by a risk limit"
        }
    }
}

/// A new order as the strategy asks for it.
public struct OrderRequest: Sendable, BitwiseCopyable, Equatable {
    public var id: OrderID
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    /// Limit price in absolute ticks (limit and stop-limit; ignored for market and stop).
    public var price: Ticks
    /// Trigger price in absolute ticks (stop and stop-limit).
    public var stopPrice: Ticks
    /// Quantity in lots, > 0.
    public var quantity: Lots

    public init(id: OrderID, side: Side, type: OrderType = .limit, timeInForce: TimeInForce = .gtc,
                price: Ticks = 0, stopPrice: Ticks = 0, quantity: Lots)
    {
        self.id = id
        self.side = side
        self.type = type
        self.timeInForce = timeInForce
        self.price = price
        self.stopPrice = stopPrice
        self.quantity = quantity
    }

    /// A limit order.
    public static func limit(id: OrderID, side: Side, price: Ticks, quantity: Lots,
                             timeInForce: TimeInForce = .gtc) -> OrderRequest
    {
        OrderRequest(id: id, side: side, type: .limit, timeInForce: timeInForce, price: price, quantity: quantity)
    }

    /// A trailing stop (becomes a market order when triggered): `distance` ticks behind the best
    /// print seen since it arrived; `initialStop` 0 starts it from the last print.
    public static func trailingStop(id: OrderID, side: Side, distance: Ticks, quantity: Lots,
                                    initialStop: Ticks = 0) -> OrderRequest
    {
        OrderRequest(id: id, side: side, type: .trailingStop, timeInForce: .gtc, price: distance, stopPrice: initialStop,
                     quantity: quantity)
    }

    /// A market order.
    public static func market(id: OrderID, side: Side, quantity: Lots) -> OrderRequest {
        OrderRequest(id: id, side: side, type: .market, timeInForce: .ioc, quantity: quantity)
    }
}

/// What a message on an order bus asks or answers.
public enum MessageKind: UInt8, Sendable, BitwiseCopyable {
    // requests, strategy -> exchange
    case new = 0
    case cancel = 1
    case modify = 2
    // responses, exchange -> strategy
    /// The order's new state (accepted, cancelled, modified, expired, triggered).
    case update = 3
    /// A fill (execution) of the order; the message carries the new state too.
    case fill = 4
    /// The request was rejected; `reason` says why. The order's state is unchanged.
    case reject = 5
}

/// One message on an order bus: a request (strategy → exchange) or a response (exchange →
/// strategy). A trivial struct; the buses hold them contiguously.
public struct OrderMessage: Sendable, BitwiseCopyable {
    public var kind: MessageKind
    /// For a response to a request: the request it answers (`.new`, `.cancel`, `.modify`);
    /// for unsolicited updates and fills, `.update`/`.fill`.
    public var answers: MessageKind
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    public var status: OrderStatus
    public var reason: RejectReason
    public var isMaker: Bool
    public var id: OrderID
    /// Limit price (absolute ticks).
    public var price: Ticks
    public var stopPrice: Ticks
    /// Order quantity (lots) and what is left of it.
    public var quantity: Lots
    public var leaves: Lots
    /// Cumulative executed lots.
    public var executed: Lots
    /// Fill: this execution's price and lots.
    public var fillPrice: Ticks
    public var fillQuantity: Lots
    /// Fill: best bid + best ask (half ticks) of the exchange's book when it happened; 0 if
    /// either side was empty.
    public var markHalfTicks: Int64
    /// Local time the request was sent (for responses: of the request answered).
    public var requestTime: Nanos
    /// Exchange time of the response (0 for a request or a venue rejection).
    public var exchangeTime: Nanos
    /// Fill: traded value and fee (positive = paid), in the run's money units.
    public var value: Money
    public var fee: Money

    /// A message about `request`, sent at local time `time` (a request; the exchange fills in
    /// the rest of a response).
    public init(kind: MessageKind, request: OrderRequest, time: Nanos) {
        self.kind = kind
        answers = kind
        side = request.side
        type = request.type
        timeInForce = request.timeInForce
        status = .pendingNew
        reason = .none
        isMaker = false
        id = request.id
        price = request.price
        stopPrice = request.stopPrice
        quantity = request.quantity
        leaves = request.quantity
        executed = 0
        fillPrice = 0
        fillQuantity = 0
        markHalfTicks = 0
        requestTime = time
        exchangeTime = 0
        value = .zero
        fee = .zero
    }
}

/// One execution of one of our orders, as the strategy learns of it.
public struct Fill: Sendable, BitwiseCopyable, Equatable {
    public var orderID: OrderID
    public var side: Side
    public var isMaker: Bool
    /// Execution price in absolute ticks and quantity in lots.
    public var price: Ticks
    public var quantity: Lots
    /// What is left of the order after this fill.
    public var leaves: Lots
    /// Exchange time of the execution and local time the strategy learnt of it.
    public var exchangeTime: Nanos
    public var localTime: Nanos
    /// Best bid + best ask (half ticks) on the exchange when it happened; 0 if a side was empty.
    public var markHalfTicks: Int64
    /// Traded value and fee (positive = paid, negative = rebate), in money units.
    public var value: Money
    public var fee: Money
    /// The strategy's position (lots) right after this fill.
    public var positionAfter: Lots

    public init(orderID: OrderID, side: Side, isMaker: Bool, price: Ticks, quantity: Lots, leaves: Lots,
                exchangeTime: Nanos, localTime: Nanos, markHalfTicks: Int64, value: Money, fee: Money,
                positionAfter: Lots)
    {
        self.orderID = orderID
        self.side = side
        self.isMaker = isMaker
        self.price = price
        self.quantity = quantity
        self.leaves = leaves
        self.exchangeTime = exchangeTime
        self.localTime = localTime
        self.markHalfTicks = markHalfTicks
        self.value = value
        self.fee = fee
        self.positionAfter = positionAfter
    }

    /// +quantity for a buy, -quantity for a sell.
    @inlinable public var signedQuantity: Lots { side == .buy ? quantity : -quantity }
}

/// The life of one order, as recorded for `orders(RUN)`: one record per order id submitted.
public struct OrderRecord: Sendable, BitwiseCopyable, Equatable {
    public var id: OrderID
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    public var price: Ticks
    public var stopPrice: Ticks
    public var quantity: Lots
    public var executed: Lots
    /// Volume-weighted execution price × executed lots (ticks × lots), for the average price.
    public var executedTickLots: Int64
    public var status: OrderStatus
    public var reason: RejectReason
    /// Local time of the submission and of the last update the strategy received.
    public var submitTime: Nanos
    public var lastUpdateTime: Nanos
    /// Exchange time the order was accepted (0 if never).
    public var acceptTime: Nanos
    public var fills: Int32
    public var modifies: Int32
    public var cancelRequested: Bool

    public init(id: OrderID, side: Side, type: OrderType, timeInForce: TimeInForce, price: Ticks, stopPrice: Ticks, quantity: Lots, executed: Lots, executedTickLots: Int64, status: OrderStatus, reason: RejectReason, submitTime: Nanos, lastUpdateTime: Nanos, acceptTime: Nanos, fills: Int32, modifies: Int32, cancelRequested: Bool) {
        self.id = id
        self.side = side
        self.type = type
        self.timeInForce = timeInForce
        self.price = price
        self.stopPrice = stopPrice
        self.quantity = quantity
        self.executed = executed
        self.executedTickLots = executedTickLots
        self.status = status
        self.reason = reason
        self.submitTime = submitTime
        self.lastUpdateTime = lastUpdateTime
        self.acceptTime = acceptTime
        self.fills = fills
        self.modifies = modifies
        self.cancelRequested = cancelRequested
    }
}
