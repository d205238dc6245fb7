/// Position, cash, fees and FIFO realised P&L of one instrument, exact in money units.
///
/// - position: Σ signed fill quantities (lots);
/// - cash: Σ `Valuation.cashFlow` of every fill (a linear buy pays its value);
/// - fees: Σ fees (positive paid, negative rebates);
/// - realised: P&L of the quantity closed so far, matching closing fills against the open lots
///   first in, first out: each matched piece of `q` lots adds
///   `cashFlow(entry side, value(entry price, q)) + cashFlow(exit side, value(exit price, q))`;
/// - equity(mark) = cash + mark(position) - fees; unrealised = equity + fees - realised
///   (the P&L of the open lots at the mark; exact for linear contracts).
///
/// Complexity: a fill is O(1) amortised plus O(open lots it closes).
public struct Ledger: Sendable {
    public let valuation: Valuation
    public private(set) var position: Lots = 0
    public private(set) var cash = Money.zero
    public private(set) var fees = Money.zero
    public private(set) var realized = Money.zero
    public private(set) var fillCount = 0
    public private(set) var tradedQuantity: Lots = 0
    public private(set) var tradedValue = Money.zero
    /// Funding of perpetuals, received positive (net), and its two sides (both >= 0).
    public private(set) var funding = Money.zero
    public private(set) var fundingPaid = Money.zero
    public private(set) var fundingReceived = Money.zero
    public private(set) var fundingEvents = 0
    /// Open lots, oldest first (all on the side of `position`).
    private var openPrices: ContiguousArray<Ticks> = []
    private var openQuantities: ContiguousArray<Lots> = []
    private var openHead = 0

    public init(valuation: Valuation) { self.valuation = valuation }

    /// Books one fill.
    public mutating func apply(side: Side, price: Ticks, quantity: Lots, value: Money, fee: Money) {
        precondition(quantity > 0, "fill of a non-positive quantity")
        fillCount += 1
        tradedQuantity += quantity
        tradedValue += value
        fees += fee
        cash += valuation.cashFlow(side: side, value: value)
        let signed = side == .buy ? quantity : -quantity
        var remaining = quantity
        // Close against open lots of the other side, oldest first.
        if position != 0 && (position > 0) != (signed > 0) {
            let entrySide: Side = position > 0 ? .buy : .sell
            while remaining > 0 && openHead < openQuantities.count {
                let q = min(remaining, openQuantities[openHead])
                let entry = openPrices[openHead]
                realized += valuation.cashFlow(side: entrySide, value: valuation.value(price: entry, quantity: q))
                realized += valuation.cashFlow(side: side, value: valuation.value(price: price, quantity: q))
                openQuantities[openHead] -= q
                remaining -= q
                if openQuantities[openHead] == 0 { openHead += 1 }
            }
            if openHead == openQuantities.count {
                openPrices.removeAll(keepingCapacity: true)
                openQuantities.removeAll(keepingCapacity: true)
                openHead = 0
            } else if openHead >= 256 && openHead * 2 >= openQuantities.count {
                openPrices.removeSubrange(0..<openHead)
                openQuantities.removeSubrange(0..<openHead)
                openHead = 0
            }
        }
        if remaining > 0 {
            openPrices.append(price)
            openQuantities.append(remaining)
        }
        position += signed
    }

    /// Books a funding payment (received positive).
    public mutating func applyFunding(_ amount: Money) {
        funding += amount
        if amount < .zero { fundingPaid -= amount } else { fundingReceived += amount }
        fundingEvents += 1
    }

    /// Equity at a mid of `halfTicks` (best bid + best ask): cash + mark(position) - fees +
    /// funding.
    @inlinable
    public func equity(markHalfTicks halfTicks: Int64) -> Money {
        cash + valuation.mark(position: position, halfTicks: halfTicks) - fees + funding
    }

    /// P&L before fees at a mid of `halfTicks`: cash + mark(position).
    @inlinable
    public func grossPnL(markHalfTicks halfTicks: Int64) -> Money {
        cash + valuation.mark(position: position, halfTicks: halfTicks)
    }

    /// P&L of the open lots at a mid of `halfTicks` (before fees).
    public func unrealized(markHalfTicks halfTicks: Int64) -> Money {
        grossPnL(markHalfTicks: halfTicks) - realized
    }

    /// The open lots, oldest first, as (price ticks, lots).
    public var openLots: [(price: Ticks, quantity: Lots)] {
        (openHead..<openQuantities.count).map { (openPrices[$0], openQuantities[$0]) }
    }

    /// Average entry price of the open position in ticks (volume-weighted over the open FIFO
    /// lots), or nil when flat. A Double: for display only.
    public var averageEntryTicks: Double? {
        if position == 0 { return nil }
        var num = 0.0, den = 0.0
        for i in openHead..<openQuantities.count {
            num += Double(openPrices[i]) * Double(openQuantities[i])
            den += Double(openQuantities[i])
        }
        return den > 0 ? num / den : nil
    }

    /// Verifies that the open lots add up to the position. O(open lots).
    public func checkInvariants() {
        var sum: Lots = 0
        for i in openHead..<openQuantities.count {
            precondition(openQuantities[i] > 0, "empty open lot")
            sum += openQuantities[i]
        }
        precondition(sum == abs(position), "open lots \(sum) != |position| \(abs(position))")
    }
}
