/// Text from the daemon made safe to print on a terminal. A session's facts come from whoever logged in (PAM_RHOST
/// is what the client sent, a tty name what the login program set), so `status` would otherwise pass their bytes
/// to the reader's terminal: escape sequences that move the cursor or retitle the window (C0 and C1 controls,
/// DEL), and bidirectional overrides, isolates and marks that make a line read in another order than it is. Each
/// is shown as an escape instead: `\x1B` for the controls, `\u202E` for the rest; a backslash is doubled so that
/// no escape can be forged.
public enum TerminalText {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0) || $0 == "\\" }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                result += "\\\\"
            } else if needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += scalar.value <= 0xFF
                    ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                    : "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// C0 controls, DEL, C1 controls (U+0080–U+009F), the bidirectional embeddings and overrides (U+202A–U+202E),
    /// isolates (U+2066–U+2069) and marks (U+200E, U+200F, U+061C), and the line and paragraph separators
    /// (U+2028, U+2029).
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
