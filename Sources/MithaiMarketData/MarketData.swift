/// Namespace for the market-data layer's constants.
public enum MarketData {
    /// Version of the binary cache layout; bump when the cached event layout changes.
    public static var cacheVersion: Int { Int(EventCache.layoutVersion) }
}
