/// Splits a datagram into validated fields. Every length is checked against what remains and against the
/// field's own limit before anything is read, so no input can make it read out of bounds or allocate much.
public struct DatagramReader: Sendable {
    public let kind: MessageKind
    private let bytes: [UInt8]
    private var fields: [(tag: FieldTag, start: Int, count: Int)] = []

    public init(_ bytes: [UInt8], limit: Int = Datagram.requestLimit) throws(WireError) {
        guard bytes.count <= limit else { throw .oversized(size: bytes.count, limit: limit) }
        guard bytes.count >= Datagram.headerSize else {
            throw .truncated(needed: Datagram.headerSize, available: bytes.count)
        }
        guard bytes[0] == Datagram.magic[0], bytes[1] == Datagram.magic[1] else { throw .badMagic }
        guard bytes[2] == Datagram.version else { throw .unsupportedVersion(bytes[2]) }
        guard let kind = MessageKind(rawValue: bytes[3]) else { throw .unknownKind(bytes[3]) }
        self.kind = kind
        self.bytes = bytes

        var offset = Datagram.headerSize
        var overrides = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 3 else {
                throw .truncated(needed: 3, available: bytes.count - offset)
            }
            guard let tag = FieldTag(rawValue: bytes[offset]) else { throw .unknownField(bytes[offset]) }
            let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            offset += 3
            let remaining = bytes.count - offset
            guard length <= remaining else { throw .lyingLength(tag, claimed: length, remaining: remaining) }
            if tag.isInteger {
                guard length == tag.limit else { throw .badIntegerWidth(tag, length: length) }
            } else {
                guard length <= tag.limit else { throw .fieldTooLong(tag, length: length, limit: tag.limit) }
            }
            if tag == .policyOverride {
                overrides += 1
                guard overrides <= Datagram.maxOverrides else {
                    throw .tooManyOverrides(limit: Datagram.maxOverrides)
                }
            } else if fields.contains(where: { $0.tag == tag }) {
                throw .duplicateField(tag)
            }
            // PAM_RHOST comes from elsewhere (a resolver, the remote side): kept escaped, never a reason to refuse.
            if tag.isText && tag != .rhost {
                try Self.validateText(bytes[offset..<(offset + length)], tag: tag)
            }
            fields.append((tag, offset, length))
            offset += length
        }
    }

    /// The tags present, in order; lets a message type reject fields it does not define.
    public var tags: [FieldTag] { fields.map(\.tag) }

    public func integer(_ tag: FieldTag) -> UInt64? {
        guard let field = fields.first(where: { $0.tag == tag }) else { return nil }
        var value: UInt64 = 0
        for byte in bytes[field.start..<(field.start + field.count)] {
            value = value << 8 | UInt64(byte)
        }
        return value
    }

    public func requiredInteger(_ tag: FieldTag) throws(WireError) -> UInt64 {
        guard let value = integer(tag) else { throw .missingField(tag) }
        return value
    }

    public func bytes(_ tag: FieldTag) -> [UInt8]? {
        guard let field = fields.first(where: { $0.tag == tag }) else { return nil }
        return Array(bytes[field.start..<(field.start + field.count)])
    }

    public func text(_ tag: FieldTag) -> String? {
        bytes(tag).map { String(decoding: $0, as: UTF8.self) }
    }

    public func requiredText(_ tag: FieldTag) throws(WireError) -> String {
        guard let value = text(tag) else { throw .missingField(tag) }
        return value
    }

    public func allTexts(_ tag: FieldTag) -> [String] {
        fields.filter { $0.tag == tag }.map {
            String(decoding: bytes[$0.start..<($0.start + $0.count)], as: UTF8.self)
        }
    }

    /// Throws if any field is outside `allowed`: a message never carries a field its kind does not define.
    public func requireOnly(_ allowed: [FieldTag]) throws(WireError) {
        for field in fields where !allowed.contains(field.tag) {
            throw .unexpectedField(field.tag)
        }
    }

    /// Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF) and no C0/DEL control bytes,
    /// so that a value can never split an audit line or a terminal message.
    static func validateText(_ text: ArraySlice<UInt8>, tag: FieldTag) throws(WireError) {
        var index = text.startIndex
        while index < text.endIndex {
            let lead = text[index]
            if lead < 0x80 {
                guard lead >= 0x20, lead != 0x7F else { throw .forbiddenByte(tag) }
                index += 1
                continue
            }
            let count: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: count = 1
            case 0xE0: count = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: count = 2
            case 0xED: count = 2; upper = 0x9F
            case 0xF0: count = 3; lower = 0x90
            case 0xF1...0xF3: count = 3
            case 0xF4: count = 3; upper = 0x8F
            default: throw .badUTF8(tag)
            }
            guard text.endIndex - index > count else { throw .badUTF8(tag) }
            for offset in 1...count {
                let byte = text[index + offset]
                let (low, high) = offset == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
                guard byte >= low, byte <= high else { throw .badUTF8(tag) }
            }
            index += count + 1
        }
    }
}
