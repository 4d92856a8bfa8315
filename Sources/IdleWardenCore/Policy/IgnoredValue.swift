/// A value that resolution had to pass over: a malformed or out-of-bounds pam.d argument, or a rule's warn_before
/// that is not shorter than the idle_timeout another source chose. Never fatal (a login must not fail over a
/// typo in pam.d), but the daemon logs each one so that the admin learns the setting had no effect.
public struct IgnoredValue: Equatable, Sendable, CustomStringConvertible {
    public var source: LimitSource
    public var key: String
    public var reason: String

    public init(source: LimitSource, key: String, reason: String) {
        self.source = source
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(source): \(key) ignored: \(reason)" }
}
