/// What to draw, independent of gnuplot: the Workbench builds a `PlotSpec` from tables, runs
/// and datasets; `GnuplotScript` turns it into script text (pure, snapshot-tested); `Gnuplot`
/// runs it. Times are passed as seconds since the epoch *in the instrument's zone* (the caller
/// adds the zone's offset), so gnuplot prints wall-clock time without knowing zones.
public struct PlotSpec: Sendable, Equatable {
    public var title: String?
    public var panels: [Panel]
    public var theme: Theme
    public var output: Output
    /// Rows × columns of panels; nil stacks panels vertically, sized by their weights.
    public var layout: Layout?

    public struct Layout: Sendable, Equatable {
        public var rows: Int
        public var columns: Int
        public init(rows: Int, columns: Int) { self.rows = rows; self.columns = columns }
    }

    public init(title: String? = nil, panels: [Panel], theme: Theme = .terminal, output: Output) {
        self.title = title
        self.panels = panels
        self.theme = theme
        self.output = output
    }
}

/// One set of axes.
public struct Panel: Sendable, Equatable {
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    /// The x values are times (seconds, already shifted to the wanted zone).
    public var xIsTime: Bool
    public var series: [Series]
    /// Relative height when panels are stacked (the volume panel under candles is 1 to 3).
    public var weight: Double
    /// Log scale on y.
    public var logY: Bool
    /// A fixed y range (an oscillator's 0...100); nil scales to the data.
    public var yRange: ClosedRange<Double>?
    /// A fixed x range, so stacked panels line up (candles over volume over an oscillator).
    public var xRange: ClosedRange<Double>?
    /// Room above the data for a one-row key (price panels with overlays), as a fraction of
    /// the panel's height; 0 keeps the key in its corner.
    public var keyHeadroom: Double = 0
    /// Horizontal reference lines (RSI's 30 and 70, a zero line), drawn dashed and dim.
    public var referenceLines: [Double] = []

    public init(title: String? = nil, xLabel: String? = nil, yLabel: String? = nil, xIsTime: Bool = false,
                series: [Series], weight: Double = 1, logY: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xIsTime = xIsTime
        self.series = series
        self.weight = weight
        self.logY = logY
        self.yRange = nil
        self.xRange = nil
    }
}

/// One drawn series. `columns` are parallel arrays; their meaning depends on `style`:
/// `.line/.step/.scatter/.impulses/.area`: x, y; `.candles`: x, open, low, high, close;
/// `.boxes`: x, height, width; `.image`: x, y, z on a regular grid; `.band`: x, lower, upper
/// (a translucent fill between two lines, edged by them: Bollinger bands).
public struct Series: Sendable, Equatable {
    public enum Style: String, Sendable, Equatable {
        case line, step, scatter, impulses, candles, boxes, image, area, band
    }
    public var name: String
    public var style: Style
    public var columns: [[Double]]
    /// Index into the theme's palette; nil picks the series' position.
    public var colorIndex: Int?
    /// Draws a second, semi-transparent fill from the series down to zero (drawdown shading).
    public var fillToZero: Bool
    /// gnuplot dash type for lines (nil: solid in the terminal theme, by series on paper).
    public var dashType: Int?
    /// Line width multiplier (nil: the default 1.5).
    public var lineWidth: Double?

    public init(name: String, style: Style, columns: [[Double]], colorIndex: Int? = nil, fillToZero: Bool = false) {
        self.name = name
        self.style = style
        self.columns = columns
        self.colorIndex = colorIndex
        self.fillToZero = fillToZero
    }

    public var count: Int { columns.first?.count ?? 0 }
}

public enum Theme: String, Sendable, Equatable, CaseIterable {
    /// The Bloomberg look: black background, amber and cyan lines, dim grid, price axis on the right.
    case terminal
    /// White, black and grey series told apart by dash patterns, serif font, for print.
    case paper
}

public enum Output: Sendable, Equatable {
    /// Text in the terminal: `.ansi256` coloured, `.mono` plain (piped or NO_COLOR).
    case text(columns: Int, rows: Int, color: Bool)
    /// Sixel graphics for terminals that show them.
    case sixel(width: Int, height: Int)
    /// A file; the format comes from the extension (png, svg, pdf).
    case file(path: String, format: FileFormat, width: Int, height: Int, dpi: Int)

    public enum FileFormat: String, Sendable, Equatable, CaseIterable { case png, svg, pdf }

    /// Horizontal resolution in points/pixels/characters, for data reduction.
    public var pixelWidth: Int {
        switch self {
        case .text(let c, _, _): c
        case .sixel(let w, _): w
        case .file(_, let format, let w, _, let dpi): format == .pdf ? w * dpi / 96 : w
        }
    }
}
