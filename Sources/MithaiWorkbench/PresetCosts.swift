import MithaiEngine

extension InstrumentCommands {
    /// The costs `instrument DATA preset=KEY` would set (the preset's fee table, first variant),
    /// for a loader that knows its data's preset (Breeze `RELIND` → `nse:RELIANCE-FUT`); nil
    /// when there is no key, no such preset, or the preset has no fee table.
    static func presetCosts(_ key: String?) -> InstrumentCosts? {
        guard let key, let preset = InstrumentPresets.named(key), let terms = preset.terms else { return nil }
        return InstrumentCosts(presetKey: preset.key, charges: terms.fees, chargesLabel: terms.variants.first?.name ?? "default",
                               funding: nil)
    }

    /// The costs of the preset whose contract is `instrument` (a simulated market's leg, built
    /// from a preset), or nil.
    static func presetCosts(for instrument: Instrument) -> InstrumentCosts? {
        presetCosts(InstrumentPresets.all.first { $0.instrument == instrument }?.key)
    }
}
