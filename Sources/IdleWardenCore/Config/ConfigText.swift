/// The text of one config file, as `ConfigLoader` read it, for `ConfigParser`.
public struct ConfigText: Equatable, Sendable {
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}
