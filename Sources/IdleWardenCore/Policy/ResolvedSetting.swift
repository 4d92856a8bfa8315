/// One line of `idlewarden explain`: a key, its resolved value as config text, and what set it.
public struct ResolvedSetting: Equatable, Sendable, CustomStringConvertible {
    public var key: PolicyKey
    public var value: String
    public var source: LimitSource

    public init(key: PolicyKey, value: String, source: LimitSource) {
        self.key = key
        self.value = value
        self.source = source
    }

    public var description: String { "\(key.rawValue) = \(value)  (\(source))" }
}
