public import MithaiEngine

/// Namespace for the market-data layer: readers and writers of tick formats.
public enum MarketData {
    /// Version of the binary cache layout; bump when the cached event layout changes.
    public static let cacheVersion: Int = 1
}
