import QKDCore

/// Parses link durations written as `90`, `90s`, `10m`, `6h`, `2d` or combinations like `1h30m`.
public enum DurationParser {
    /// Seconds in `text`, or a `QKDError` naming what is wrong.
    public static func seconds(_ text: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var total = 0.0
        var number = ""
        var sawUnit = false
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
            } else if let unit = units[character], let value = Double(number) {
                total += value * unit
                number = ""
                sawUnit = true
            } else {
                throw QKDError(.invalidParameter, "duration \"\(text)\" is not like 90s, 10m, 6h or 1h30m")
            }
        }
        if !number.isEmpty {
            guard !sawUnit, let value = Double(number) else {
                throw QKDError(.invalidParameter, "duration \"\(text)\" ends without a unit (s, m, h, d)")
            }
            total += value
        }
        guard total > 0, total.isFinite, !text.isEmpty else {
            throw QKDError(.invalidParameter, "duration \"\(text)\" must be positive")
        }
        return total
    }
}
