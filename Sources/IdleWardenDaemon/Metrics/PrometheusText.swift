/// Metric families written in the Prometheus text exposition format (version 0.0.4): what `idlewarden metrics`
/// prints and what node_exporter's textfile collector reads.
struct MetricFamily {
    enum Kind: String {
        case counter, gauge
    }

    let name: String
    let help: String
    let kind: Kind
    /// Each sample: its labels (name, value) and its value.
    var samples: [(labels: [(String, String)], value: Double)]

    var text: String {
        var lines = ["# HELP \(name) \(Self.escapeHelp(help))", "# TYPE \(name) \(kind.rawValue)"]
        for sample in samples {
            let labels = sample.labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }
            lines.append(name + (labels.isEmpty ? "" : "{" + labels.joined(separator: ",") + "}") + " "
                         + Self.number(sample.value))
        }
        return lines.joined(separator: "\n")
    }

    /// The families, one after the other, ending with a newline as the format requires.
    static func exposition(_ families: [MetricFamily]) -> String {
        families.map(\.text).joined(separator: "\n") + "\n"
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    private static func escapeLabel(_ text: String) -> String {
        escapeHelp(text).replacingAll("\"", with: "\\\"")
    }
}

extension String {
    /// Every `target` replaced; without Foundation.
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
