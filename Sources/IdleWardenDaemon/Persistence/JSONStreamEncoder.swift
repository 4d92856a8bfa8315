/// A Codable `Encoder` that writes JSON straight into a byte buffer and hands the buffer to `sink` whenever it
/// passes `chunkSize`, so that encoding a state of any size allocates one small buffer. Foundation's
/// `JSONEncoder` first builds a tree of the whole value (≈ 16 MB of short-lived allocations per 1,000 sessions),
/// which glibc keeps as the daemon's RSS.
///
/// The output is what `JSONDecoder` reads back into the same value (keys in encoding order, `/` not escaped).
/// Containers are written as they are used, which is how synthesized and hand-written conformances use them: a
/// container that is written to after a sibling was started, or `superEncoder`, is an error, never wrong JSON.
final class JSONStreamEncoder {
    enum Failure: Error, CustomStringConvertible {
        case outOfOrder(String)
        case superEncoderUnsupported
        case nonFinite(Double)

        var description: String {
            switch self {
            case .outOfOrder(let what): return "the state encoder cannot go back to an earlier container (\(what))"
            case .superEncoderUnsupported: return "the state encoder does not support superEncoder"
            case .nonFinite(let value): return "\(value) has no JSON form"
            }
        }
    }

    private struct OpenContainer {
        var close: UInt8
        /// Tells this container from a later one at the same depth, so a stale container cannot write into it.
        var serial: Int
        var hasElement = false
    }

    /// Where a container struct writes: its depth (1-based index in `open`) and its serial.
    fileprivate struct Slot {
        var level: Int
        var serial: Int
    }

    // Unchecked: every append would otherwise pay a dynamic exclusivity check (a third of the encoding time);
    // nothing here hands out a reference to these arrays.
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    private let chunkSize: Int
    private let sink: ([UInt8]) throws -> Void
    /// Containers opened and not yet closed, outermost first.
    @exclusivity(unchecked) private var open: [OpenContainer] = []
    /// How many containers were open when the value being encoded began.
    private var valueDepth = 0
    /// The first misuse seen by a non-throwing entry point, thrown at the next write.
    private var failure: Failure?
    /// Bytes handed to the sink so far; with `buffer.count`, tells whether a value wrote anything.
    private var flushedCount = 0
    private var containersOpened = 0

    init(chunkSize: Int = 1 << 16, sink: @escaping ([UInt8]) throws -> Void) {
        self.chunkSize = chunkSize
        self.sink = sink
        buffer.reserveCapacity(chunkSize + 4096)
    }

    /// Appends one complete JSON value (several calls write several values back to back).
    func encode<T: Encodable>(_ value: T) throws {
        try encodeValue(value)
        if let failure { throw failure }
    }

    /// Appends bytes written by the caller between values (e.g. the punctuation of a hand-written document).
    func appendRaw(_ text: StaticString) throws {
        appendLiteral(text)
        try flushIfFull()
    }

    /// Hands what is buffered to the sink.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        try sink(buffer)
        flushedCount += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    private func flushIfFull() throws {
        if buffer.count >= chunkSize { try flush() }
    }

    fileprivate func encodeValue<T: Encodable>(_ value: T) throws {
        let outer = valueDepth
        let depth = open.count
        valueDepth = depth
        defer { valueDepth = outer }
        let before = buffer.count
        let flushedBefore = flushedCount
        try value.encode(to: self)
        if let failure { throw failure }
        if open.count == depth && buffer.count == before && flushedCount == flushedBefore {
            appendLiteral("{}") // encoded nothing: what JSONEncoder writes too
        }
        while open.count > depth { buffer.append(open.removeLast().close) }
        try flushIfFull()
    }

    /// Opens a container at the value position.
    fileprivate func openContainer(_ opening: UInt8, close: UInt8) -> Slot {
        buffer.append(opening)
        containersOpened += 1
        open.append(OpenContainer(close: close, serial: containersOpened))
        return Slot(level: open.count, serial: containersOpened)
    }

    /// Starts an element of the container in `slot`: closes the nested containers a previous element left open,
    /// writes the separator and, in an object, the key.
    fileprivate func startElement(_ slot: Slot, key: String?) throws {
        if let failure { throw failure }
        let level = slot.level
        guard open.count >= level, open[level - 1].serial == slot.serial else {
            throw Failure.outOfOrder(key.map { "key \($0)" } ?? "array element")
        }
        while open.count > level { buffer.append(open.removeLast().close) }
        if open[level - 1].hasElement { buffer.append(UInt8(ascii: ",")) }
        open[level - 1].hasElement = true
        if let key {
            appendString(key)
            buffer.append(UInt8(ascii: ":"))
        }
    }

    fileprivate func note(_ failure: Failure) {
        if self.failure == nil { self.failure = failure }
    }

    fileprivate func appendString(_ string: String) {
        buffer.append(UInt8(ascii: "\""))
        var string = string
        let plain = string.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
            else { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if !plain { appendEscaped(string) }
        buffer.append(UInt8(ascii: "\""))
    }

    private func appendEscaped(_ string: String) {
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): appendLiteral("\\\"")
            case UInt8(ascii: "\\"): appendLiteral("\\\\")
            case UInt8(ascii: "\n"): appendLiteral("\\n")
            case UInt8(ascii: "\t"): appendLiteral("\\t")
            case UInt8(ascii: "\r"): appendLiteral("\\r")
            case 0..<0x20:
                appendLiteral("\\u00")
                for nibble in [byte >> 4, byte & 0xF] {
                    buffer.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
                }
            default: buffer.append(byte)
            }
        }
    }

    /// Decimal digits written in place: `description` would allocate for numbers of 16 digits and more
    /// (every `Duration` has one).
    fileprivate func appendInteger<T: BinaryInteger>(_ value: T) {
        var magnitude = UInt64(value.magnitude)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                digits[start] = UInt8(ascii: "-")
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private func appendLiteral(_ text: StaticString) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    fileprivate func appendBool(_ value: Bool) {
        appendLiteral(value ? "true" : "false")
    }

    fileprivate func appendNull() {
        appendLiteral("null")
    }

    fileprivate func appendFloating(_ value: Double) throws {
        guard value.isFinite else { throw Failure.nonFinite(value) }
        buffer.append(contentsOf: value.description.utf8)
    }
}

extension JSONStreamEncoder: Encoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if open.count > valueDepth {
            // A second request in the same `encode(to:)` gets the same object back, as JSONEncoder's does.
            if open[valueDepth].close != UInt8(ascii: "}") { note(.outOfOrder("keyed container after unkeyed")) }
            return KeyedEncodingContainer(KeyedContainer(encoder: self, slot: currentSlot))
        }
        return KeyedEncodingContainer(KeyedContainer(
            encoder: self, slot: openContainer(UInt8(ascii: "{"), close: UInt8(ascii: "}"))))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if open.count > valueDepth {
            if open[valueDepth].close != UInt8(ascii: "]") { note(.outOfOrder("unkeyed container after keyed")) }
            return UnkeyedContainer(encoder: self, slot: currentSlot)
        }
        return UnkeyedContainer(encoder: self, slot: openContainer(UInt8(ascii: "["), close: UInt8(ascii: "]")))
    }

    /// The container the value being encoded opened first.
    private var currentSlot: Slot { Slot(level: valueDepth + 1, serial: open[valueDepth].serial) }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        if open.count > valueDepth { note(.outOfOrder("single value after a container")) }
        return SingleValueContainer(encoder: self)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONStreamEncoder
    let slot: JSONStreamEncoder.Slot
    var codingPath: [any CodingKey] { [] }

    private func start(_ key: Key) throws { try encoder.startElement(slot, key: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { try start(key); encoder.appendNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try start(key); encoder.appendBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { try start(key); encoder.appendString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try start(key); try encoder.appendFloating(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        try start(key)
        try encoder.appendFloating(Double(value))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try start(key); encoder.appendInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try start(key)
        try encoder.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        do { try start(key) } catch { encoder.note(.outOfOrder("nested container for \(key.stringValue)")) }
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(
            encoder: encoder, slot: encoder.openContainer(UInt8(ascii: "{"), close: UInt8(ascii: "}"))))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        do { try start(key) } catch { encoder.note(.outOfOrder("nested array for \(key.stringValue)")) }
        return UnkeyedContainer(encoder: encoder,
                                slot: encoder.openContainer(UInt8(ascii: "["), close: UInt8(ascii: "]")))
    }

    mutating func superEncoder() -> any Encoder {
        encoder.note(.superEncoderUnsupported)
        return encoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        encoder.note(.superEncoderUnsupported)
        return encoder
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: JSONStreamEncoder
    let slot: JSONStreamEncoder.Slot
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    init(encoder: JSONStreamEncoder, slot: JSONStreamEncoder.Slot) {
        self.encoder = encoder
        self.slot = slot
    }

    private mutating func start() throws {
        try encoder.startElement(slot, key: nil)
        count += 1
    }

    mutating func encodeNil() throws { try start(); encoder.appendNull() }
    mutating func encode(_ value: Bool) throws { try start(); encoder.appendBool(value) }
    mutating func encode(_ value: String) throws { try start(); encoder.appendString(value) }
    mutating func encode(_ value: Double) throws { try start(); try encoder.appendFloating(value) }
    mutating func encode(_ value: Float) throws { try start(); try encoder.appendFloating(Double(value)) }
    mutating func encode(_ value: Int) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: Int8) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: Int16) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: Int32) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: Int64) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt8) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt16) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt32) throws { try start(); encoder.appendInteger(value) }
    mutating func encode(_ value: UInt64) throws { try start(); encoder.appendInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try start()
        try encoder.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        do { try start() } catch { encoder.note(.outOfOrder("nested container in an array")) }
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(
            encoder: encoder, slot: encoder.openContainer(UInt8(ascii: "{"), close: UInt8(ascii: "}"))))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        do { try start() } catch { encoder.note(.outOfOrder("nested array in an array")) }
        return UnkeyedContainer(encoder: encoder,
                                slot: encoder.openContainer(UInt8(ascii: "["), close: UInt8(ascii: "]")))
    }

    mutating func superEncoder() -> any Encoder {
        encoder.note(.superEncoderUnsupported)
        return encoder
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: JSONStreamEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { encoder.appendNull() }
    mutating func encode(_ value: Bool) throws { encoder.appendBool(value) }
    mutating func encode(_ value: String) throws { encoder.appendString(value) }
    mutating func encode(_ value: Double) throws { try encoder.appendFloating(value) }
    mutating func encode(_ value: Float) throws { try encoder.appendFloating(Double(value)) }
    mutating func encode(_ value: Int) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: Int8) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: Int16) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: Int32) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: Int64) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: UInt) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: UInt8) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: UInt16) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: UInt32) throws { encoder.appendInteger(value) }
    mutating func encode(_ value: UInt64) throws { encoder.appendInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encodeValue(value) }
}
