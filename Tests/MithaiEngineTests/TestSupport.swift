import MithaiEngine

/// SplitMix64: a tiny, fast, seedable generator so every random test is reproducible.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seeds every property test runs: fixed, so failures reproduce; printed on failure.
let propertySeeds: [UInt64] = Array(1...40) + [0xDEAD_BEEF, 0x5EED_0001, 987_654_321]
