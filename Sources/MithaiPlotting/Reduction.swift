/// Reduces a long series to what a given width can show, keeping its shape and extremes: for
/// each pixel column, the first, minimum, maximum and last point (the M4 method). The result
/// has at most 4 points per column, in x order, and contains every column's min and max.
/// Points out of x order are sorted by x first (stable). Returns the input unchanged when it
/// is already short enough.
public enum Reduction {
    public static func m4(x xIn: [Double], y yIn: [Double], width: Int) -> (x: [Double], y: [Double]) {
        guard xIn.count > 4 * max(1, width), width > 0 else { return (xIn, yIn) }
        var x = xIn, y = yIn
        if zip(x, x.dropFirst()).contains(where: { $0 > $1 }) {
            let order = x.indices.sorted { x[$0] != x[$1] ? x[$0] < x[$1] : $0 < $1 }
            x = order.map { xIn[$0] }
            y = order.map { yIn[$0] }
        }
        let n = x.count
        guard let first = x.first, let last = x.last, last > first else { return (x, y) }
        var outX: [Double] = [], outY: [Double] = []
        outX.reserveCapacity(4 * width)
        outY.reserveCapacity(4 * width)
        let span = last - first
        var i = 0
        while i < n {
            let column = min(width - 1, Int((x[i] - first) / span * Double(width)))
            var j = i
            var lo = i, hi = i
            while j < n && min(width - 1, Int((x[j] - first) / span * Double(width))) == column {
                if y[j] < y[lo] { lo = j }
                if y[j] > y[hi] { hi = j }
                j += 1
            }
            for k in Set([i, lo, hi, j - 1]).sorted() {
                outX.append(x[k])
                outY.append(y[k])
            }
            i = j
        }
        return (outX, outY)
    }
}
