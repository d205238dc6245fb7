import Foundation
import Synchronization

/// The "bot" a browser or a program drives through `serve`: its state, start and stop, recent
/// fills, the book it trades on, and a stream of updates.
///
/// The server (MithaiServer) knows only this protocol. A session's control is
/// `SessionLiveControl`: it follows the session's live session (`live STRAT on MARKET`, started
/// from the shell or by `start` with a market) and, for `start` with a dataset, a
/// `BacktestReplayControl` (a backtest replayed paced against the wall clock), with the same
/// messages either way.
///
/// Every method may be called from any thread; implementations serialise their own state and
/// take `Session.exclusive` before they read or change the workspace.
public protocol LiveControl: AnyObject, Sendable {
    /// A snapshot of the bot: state, position, P&L, win rate, volatility, latency percentiles.
    func status() -> LiveStatus
    /// Starts the bot (a running one is stopped first). Throws `LiveRequestError` naming the
    /// request field that is wrong.
    func start(_ request: LiveStartRequest) throws(LiveRequestError) -> LiveStatus
    /// Stops the bot; what it did so far stays readable. Stopping an idle bot is not an error.
    func stop() -> LiveStatus
    /// Fills so far, newest first: `limit` fills older than fill number `before` (all when nil).
    func fills(before: Int?, limit: Int) -> LiveFillPage
    /// The book the bot trades on, `levels` per side, at the bot's current time (nil before start).
    func book(levels: Int) -> LiveBook?
    /// A new subscriber to updates; its queue holds at most `capacity` frames and drops the
    /// oldest when the reader falls behind.
    func subscribe(capacity: Int) -> LiveSubscription
    /// The last `limit` price and P&L frames of the current run, oldest first (so a page
    /// opened mid-run draws its charts at once).
    func history(limit: Int) -> LiveHistory
    /// A live session started in the session (by `live`): the control follows it from now on.
    func attach(_ session: LiveSessionObject)
}

extension LiveControl {
    public func attach(_ session: LiveSessionObject) {}
}

/// Recent frames of the bot, oldest first.
public struct LiveHistory: Sendable, Codable, Equatable {
    public var prices: [PriceFrame]
    public var pnl: [PnLFrame]
    public init(prices: [PriceFrame], pnl: [PnLFrame]) { self.prices = prices; self.pnl = pnl }
}

/// A request that cannot be carried out, with the request field at fault (nil: not one field).
public struct LiveRequestError: Error, Sendable, Equatable {
    public var field: String?
    public var message: String
    /// HTTP-like status: 400 bad field, 404 unknown name, 409 conflicting state, 422 not possible.
    public var status: Int
    public init(field: String?, _ message: String, status: Int = 400) {
        self.field = field
        self.message = message
        self.status = status
    }
}

/// What `start` asks for.
public struct LiveStartRequest: Sendable, Codable, Equatable {
    /// A strategy of the workspace (`strategy mm = grid ...`), or a strategy kind (grid, spread,
    /// as, glft) configured by `params`.
    public var strategy: String
    /// A dataset of the workspace to replay.
    public var dataset: String?
    /// A live market: a `market` of the workspace, or an instrument preset (`nse:RELIANCE`,
    /// `binance:BTCUSDT`, ...) for which a zero-intelligence market is defined.
    public var market: String?
    /// Strategy parameters (only with a strategy kind): `{"half_spread": "20", "levels": "5"}`.
    public var params: [String: String]?
    /// Backtest options: latency, queue, fill, maker, taker, from, to, bin, seed; with a market,
    /// `live`'s: latency, queue, fill, maker, taker, for, and seed (of a preset's market).
    public var options: [String: String]?
    /// Replay speed as a multiple of real time (default 1: as fast as the data happened).
    public var speed: Double?

    public init(strategy: String, dataset: String? = nil, market: String? = nil, params: [String: String]? = nil,
                options: [String: String]? = nil, speed: Double? = nil) {
        self.strategy = strategy
        self.dataset = dataset
        self.market = market
        self.params = params
        self.options = options
        self.speed = speed
    }
}

/// Percentiles of a latency, in nanoseconds.
public struct LatencyPercentiles: Sendable, Codable, Equatable {
    public var p50: Int64
    public var p99: Int64
    public var p999: Int64
    public init(p50: Int64, p99: Int64, p999: Int64) { self.p50 = p50; self.p99 = p99; self.p999 = p999 }
}

/// The bot's state. Money in the instrument's quote currency; quantities in the instrument's units.
public struct LiveStatus: Sendable, Codable, Equatable {
    /// idle, preparing (computing), running, finished, stopped, failed.
    public var state: String
    /// replay (a dataset paced against the clock) or live.
    public var mode: String
    public var strategy: String?
    public var strategyKind: String?
    public var dataset: String?
    /// The live market and session (mode live).
    public var market: String?
    public var session: String?
    /// The stored runs the live session became when it stopped (`r3`, ...).
    public var runs: [String]?
    public var symbol: String?
    public var venue: String?
    public var currency: String?
    public var tickSize: String?
    public var lotSize: String?
    /// The bot's clock (ns since 1970 UTC) and as ISO text in the instrument's zone.
    public var time: Int64?
    public var timeText: String?
    /// Share of the data replayed (0...1); while preparing, share of the backtest computed.
    public var progress: Double
    public var speed: Double
    public var position: Double
    public var pnlNet: Double
    public var pnlGross: Double
    public var fees: Double
    public var fills: Int
    public var makerFills: Int
    public var roundTrips: Int
    public var winRate: Double?
    public var sharpe: Double?
    public var maxDrawdown: Double?
    /// Standard deviation of 1-second mid returns over the last minute of the bot's time (bps).
    public var volatilityBps: Double?
    public var bestBid: Double?
    public var bestAsk: Double?
    public var mid: Double?
    public var tickToOrder: LatencyPercentiles?
    public var orderRoundTrip: LatencyPercentiles?
    /// Why the bot failed or stopped early.
    public var message: String?

    public static let idle = LiveStatus(state: "idle", mode: "replay", progress: 0, speed: 0, position: 0, pnlNet: 0, pnlGross: 0,
                                        fees: 0, fills: 0, makerFills: 0, roundTrips: 0)

    public init(state: String, mode: String, progress: Double, speed: Double, position: Double, pnlNet: Double, pnlGross: Double,
                fees: Double, fills: Int, makerFills: Int, roundTrips: Int) {
        self.state = state
        self.mode = mode
        self.progress = progress
        self.speed = speed
        self.position = position
        self.pnlNet = pnlNet
        self.pnlGross = pnlGross
        self.fees = fees
        self.fills = fills
        self.makerFills = makerFills
        self.roundTrips = roundTrips
    }
}

/// One fill of the bot.
public struct LiveFill: Sendable, Codable, Equatable {
    /// 1 for the first fill of the run, 2 for the next, ...
    public var seq: Int
    /// Exchange time (ns since 1970 UTC) and as ISO text.
    public var time: Int64
    public var timeText: String
    public var side: String
    public var price: Double
    public var qty: Double
    public var maker: Bool
    public var fee: Double
    /// Position right after the fill.
    public var position: Double
    public var orderId: Int64

    public init(seq: Int, time: Int64, timeText: String, side: String, price: Double, qty: Double, maker: Bool, fee: Double,
                position: Double, orderId: Int64) {
        self.seq = seq; self.time = time; self.timeText = timeText; self.side = side; self.price = price; self.qty = qty
        self.maker = maker; self.fee = fee; self.position = position; self.orderId = orderId
    }
}

/// A page of fills, newest first.
public struct LiveFillPage: Sendable, Codable, Equatable {
    public var total: Int
    public var fills: [LiveFill]
    /// Pass as `before` for the next (older) page; nil on the last page.
    public var nextBefore: Int?

    public init(total: Int, fills: [LiveFill], nextBefore: Int?) { self.total = total; self.fills = fills; self.nextBefore = nextBefore }
}

/// One price level: price, quantity, orders (0 = unknown).
public struct LiveLevel: Sendable, Codable, Equatable {
    public var price: Double
    public var qty: Double
    public var orders: Int

    public init(price: Double, qty: Double, orders: Int) { self.price = price; self.qty = qty; self.orders = orders }
}

/// Book levels, best first on each side.
public struct LiveBook: Sendable, Codable, Equatable {
    public var time: Int64
    public var timeText: String
    public var symbol: String
    public var bids: [LiveLevel]
    public var asks: [LiveLevel]

    public init(time: Int64, timeText: String, symbol: String, bids: [LiveLevel], asks: [LiveLevel]) {
        self.time = time; self.timeText = timeText; self.symbol = symbol; self.bids = bids; self.asks = asks
    }
}

/// Top of book and last trade at the bot's time.
public struct PriceFrame: Sendable, Codable, Equatable {
    public var time: Int64
    public var bid: Double?
    public var ask: Double?
    public var mid: Double?
    /// Last market trade price and the volume traded since the previous frame.
    public var last: Double?
    public var volume: Double

    public init(time: Int64, bid: Double? = nil, ask: Double? = nil, mid: Double? = nil, last: Double? = nil, volume: Double) {
        self.time = time; self.bid = bid; self.ask = ask; self.mid = mid; self.last = last; self.volume = volume
    }
}

/// P&L and performance at the bot's time.
public struct PnLFrame: Sendable, Codable, Equatable {
    public var time: Int64
    public var pnlNet: Double
    public var pnlGross: Double
    public var fees: Double
    public var position: Double
    public var fills: Int
    public var winRate: Double?
    public var sharpe: Double?
    public var maxDrawdown: Double?
    public var volatilityBps: Double?

    public init(time: Int64, pnlNet: Double, pnlGross: Double, fees: Double, position: Double, fills: Int, winRate: Double?,
                sharpe: Double?, maxDrawdown: Double?, volatilityBps: Double?) {
        self.time = time; self.pnlNet = pnlNet; self.pnlGross = pnlGross; self.fees = fees; self.position = position
        self.fills = fills; self.winRate = winRate; self.sharpe = sharpe; self.maxDrawdown = maxDrawdown; self.volatilityBps = volatilityBps
    }
}

/// One message of the update stream.
public enum LiveUpdate: Sendable, Equatable {
    case status(LiveStatus)
    case price(PriceFrame)
    case fill(LiveFill)
    case pnl(PnLFrame)
    case depth(LiveBook)

    /// The stream channel: status, price, fills, pnl, depth.
    public var channel: String {
        switch self {
        case .status: "status"
        case .price: "price"
        case .fill: "fills"
        case .pnl: "pnl"
        case .depth: "depth"
        }
    }
}

/// A subscriber's bounded queue of updates. The publisher never blocks: when the queue is full
/// the oldest frame is dropped and counted, so a slow reader loses history, not the session's
/// time. Vanished readers are removed when they `cancel` (or when the publisher sees the flag).
public final class LiveSubscription: Sendable {
    private struct State {
        var queue: [LiveUpdate] = []
        var head = 0
        var dropped = 0
        var closed = false
        var waiter: CheckedContinuation<Void, Never>?
        var count: Int { queue.count - head }
    }
    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Adds a frame, dropping the oldest when full. Never blocks.
    public func publish(_ update: LiveUpdate) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            guard !s.closed else { return nil }
            if s.count >= capacity { s.head += 1; s.dropped += 1 }
            if s.head > 1024 && s.head * 2 > s.queue.count { s.queue.removeFirst(s.head); s.head = 0 }
            s.queue.append(update)
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// The next frame and how many were dropped before it; nil once cancelled.
    public func next() async -> (update: LiveUpdate, dropped: Int)? {
        while true {
            enum Step { case item(LiveUpdate, Int), closed, wait }
            let step: Step = state.withLock { s in
                if s.closed { return .closed }
                guard s.count > 0 else { return .wait }
                let u = s.queue[s.head]
                s.head += 1
                let d = s.dropped
                s.dropped = 0
                if s.head == s.queue.count { s.queue.removeAll(keepingCapacity: true); s.head = 0 }
                return .item(u, d)
            }
            switch step {
            case .item(let u, let d): return (u, d)
            case .closed: return nil
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow: Bool = state.withLock { s in
                        if s.closed || s.count > 0 { return true }
                        s.waiter = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }

    /// Ends the subscription: `next` returns nil, publishing is ignored.
    public func cancel() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            s.closed = true
            s.queue.removeAll()
            s.head = 0
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }
}

/// Fans updates out to subscribers; removes cancelled ones.
public final class LiveBroadcaster: Sendable {
    private let subscribers = Mutex<[LiveSubscription]>([])
    public init() {}

    public func subscribe(capacity: Int) -> LiveSubscription {
        let s = LiveSubscription(capacity: capacity)
        subscribers.withLock { $0.append(s) }
        return s
    }

    public func publish(_ update: LiveUpdate) {
        let current = subscribers.withLock { list in
            list.removeAll { $0.isClosed }
            return list
        }
        for s in current { s.publish(update) }
    }

    public var count: Int { subscribers.withLock { $0.filter { !$0.isClosed }.count } }
}
