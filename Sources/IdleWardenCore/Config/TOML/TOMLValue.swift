import CTOML

/// One value of a `TOMLDocument` and where it was written.
struct TOMLValue {
    enum Kind: Equatable {
        case table, array, string, integer, float, boolean
        /// A date, a time or a date-time: idlewarden has no such setting, so its value is not kept.
        case dateTime
    }

    let document: TOMLDocument
    /// Its place in the document's depth-first node list.
    let index: Int

    private var node: ctoml_node { document.node(index) }

    var kind: Kind {
        switch node.kind {
        case CTOML_TABLE: return .table
        case CTOML_ARRAY: return .array
        case CTOML_STRING: return .string
        case CTOML_INTEGER: return .integer
        case CTOML_FLOAT: return .float
        case CTOML_BOOLEAN: return .boolean
        default: return .dateTime
        }
    }

    var position: TextPosition { TextPosition(line: Int(node.line), column: Int(node.column)) }

    var string: String? {
        let node = node
        guard node.kind == CTOML_STRING else { return nil }
        return document.text(offset: node.string_offset, length: node.string_length)
    }

    var integer: Int64? { node.kind == CTOML_INTEGER ? node.integer : nil }
    var float: Double? { node.kind == CTOML_FLOAT ? node.floating : nil }
    var bool: Bool? { node.kind == CTOML_BOOLEAN ? node.integer != 0 : nil }
    var table: TOMLTable? { TOMLTable(self) }

    /// The elements of an array, nil for any other kind.
    var array: [TOMLValue]? { node.kind == CTOML_ARRAY ? children : nil }

    /// The entries of a table or the elements of an array: each follows the one before and its descendants.
    var children: [TOMLValue] {
        var children: [TOMLValue] = []
        var next = index + 1
        for _ in 0..<Int(node.count) {
            children.append(TOMLValue(document: document, index: next))
            next += 1 + document.node(next).descendants
        }
        return children
    }

    /// The key it is stored under, with where the key was written; nil for array elements and the root.
    var key: (name: String, position: TextPosition)? {
        let node = node
        guard node.key_line > 0 else { return nil }
        return (document.text(offset: node.key_offset, length: node.key_length),
                TextPosition(line: Int(node.key_line), column: Int(node.key_column)))
    }
}
