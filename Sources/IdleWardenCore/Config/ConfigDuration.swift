/// Durations as admins write them in idlewarden.conf and on pam.d lines: "90s", "15m", "2h", "1h30m", "1d".
///
/// Decisions, all documented in etc/idlewarden.conf:
/// - A unit is required. `idle_timeout = 15` could mean minutes to the admin and seconds to the program, and
///   guessing wrong ends sessions at once. The only unitless value is "0", which cannot be misread.
/// - Units are s, m, h, d; several may be combined, from largest to smallest, each once ("1h30m"). "30m1h" is
///   rejected as a likely typo rather than summed.
/// - Whole seconds only, no fractions, no spaces, no sign: the kernel's atime granularity (8 s buckets) makes
///   anything finer meaningless, and a strict grammar gives precise error messages.
/// - At most 365 days. Deadlines are Int64 milliseconds; a year is far beyond any useful limit, so a larger
///   value is a typo ("15000000m"), and the bound keeps every deadline computation far from overflow.
public enum ConfigDuration {
    public static let maximum: Duration = .seconds(365 * 86_400)

    /// Parses a duration string. Throws a `DurationParseError` whose description an admin can act on.
    public static func parse(_ text: String) throws(DurationParseError) -> Duration {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { throw .empty }
        if scalars.first == "-" { throw .negative(text) }
        if scalars.contains(where: { $0.properties.isWhitespace }) { throw .whitespace(text) }
        if text == "0" { return .zero }

        var total: Int64 = 0
        var index = 0
        var previousRank = Int.max
        while index < scalars.count {
            let numberStart = index
            while index < scalars.count, isDigit(scalars[index]) { index += 1 }
            let number = String(String.UnicodeScalarView(scalars[numberStart..<index]))
            guard !number.isEmpty else {
                throw .unexpectedCharacter(text, Character(scalars[index]))
            }
            guard index < scalars.count else { throw .missingUnit(text, number: number) }
            if scalars[index] == "." || scalars[index] == "," { throw .fraction(text) }

            let unitStart = index
            while index < scalars.count, isLetter(scalars[index]) { index += 1 }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            guard !unit.isEmpty else {
                throw .unexpectedCharacter(text, Character(scalars[unitStart]))
            }
            guard let (rank, secondsPerUnit) = unitValue(unit) else { throw .unknownUnit(text, unit: unit) }
            guard rank < previousRank else { throw .unitOrder(text) }
            previousRank = rank

            guard let count = Int64(number) else { throw .tooLong(text) }
            let (part, partOverflow) = count.multipliedReportingOverflow(by: secondsPerUnit)
            let (sum, sumOverflow) = total.addingReportingOverflow(part)
            guard !partOverflow, !sumOverflow else { throw .tooLong(text) }
            total = sum
        }
        guard total <= maximum.wholeSeconds else { throw .tooLong(text) }
        return .seconds(total)
    }

    /// The shortest string that parses back to `duration`, e.g. "1h30m", "0s"; used in summaries, `explain` and
    /// error messages so that what idlewarden prints can be pasted back into the config.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.wholeSeconds
        if seconds == 0 { return "0s" }
        var rest = seconds.magnitude
        var text = seconds < 0 ? "-" : ""
        for (unit, size) in [("d", UInt64(86_400)), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isAlphabetic }

    /// The unit's rank (larger units rank higher, to enforce largest-first order) and its length in seconds.
    private static func unitValue(_ unit: String) -> (Int, Int64)? {
        switch unit {
        case "s": return (1, 1)
        case "m": return (2, 60)
        case "h": return (3, 3_600)
        case "d": return (4, 86_400)
        default: return nil
        }
    }
}
