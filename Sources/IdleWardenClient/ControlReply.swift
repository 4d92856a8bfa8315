/// The daemon's answer to a control request, sent as JSON inside reply chunks.
public struct ControlReply: Codable, Equatable, Sendable {
    public var ok: Bool
    public var message: String?
    public var sessions: [StatusEntry]
    /// Human-readable lines: config errors of a refused reload, what a sweep did or would do.
    public var lines: [String]

    public init(ok: Bool, message: String? = nil, sessions: [StatusEntry] = [], lines: [String] = []) {
        self.ok = ok
        self.message = message
        self.sessions = sessions
        self.lines = lines
    }
}
