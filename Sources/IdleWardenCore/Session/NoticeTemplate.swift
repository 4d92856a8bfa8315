/// The text of an idle warning as a site writes it (`warn_message`), with placeholders filled in when it is sent:
/// `{user}`, `{session}`, `{idle}` (time without input), `{left}` (time until the logout), `{deadline}` (its
/// clock time), `{stay}` (how to stay: a key on a terminal, the mouse or a key on a desktop). Checked when the
/// config is read, so a typo is an error at its line and never a garbled notice at 3 a.m.
public struct NoticeTemplate: Equatable, Sendable, Codable {
    public enum Placeholder: String, CaseIterable, Sendable {
        case user, session, idle, left, deadline, stay
    }

    /// What the placeholders stand for in one notice.
    public struct Values: Sendable {
        public var user: String
        public var session: String
        public var idle: String
        public var left: String
        public var deadline: String
        public var stay: String

        public init(user: String, session: String, idle: String, left: String, deadline: String, stay: String) {
            self.user = user
            self.session = session
            self.idle = idle
            self.left = left
            self.deadline = deadline
            self.stay = stay
        }

        func value(of placeholder: Placeholder) -> String {
            switch placeholder {
            case .user: return user
            case .session: return session
            case .idle: return idle
            case .left: return left
            case .deadline: return deadline
            case .stay: return stay
            }
        }
    }

    /// Longest text accepted, in characters: a notice is a line or two, not a page that scrolls the work away.
    public static let maximumLength = 500

    public let text: String

    /// Nil with the problem, as a message an admin can act on, when `text` is not a usable notice.
    public static func problem(in text: String) -> String? {
        if text.allSatisfy(\.isWhitespace) { return "an empty notice; remove the key for the built-in text" }
        if text.count > maximumLength { return "longer than \(maximumLength) characters" }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) }) {
            return "control characters other than a line break are not allowed"
        }
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { return "a { without its }" }
            let name = String(rest[rest.index(after: open)..<close])
            guard Placeholder(rawValue: name) != nil else {
                return "unknown placeholder {\(name)}; use " + Placeholder.allCases.map { "{\($0.rawValue)}" }
                    .joined(separator: ", ")
            }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }

    /// A template from text that `problem(in:)` accepts.
    public init?(_ text: String) {
        guard Self.problem(in: text) == nil else { return nil }
        self.text = text
    }

    public func render(_ values: Values) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            result += Placeholder(rawValue: name).map(values.value) ?? ""
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
