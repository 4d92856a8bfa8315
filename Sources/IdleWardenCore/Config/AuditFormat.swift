/// How each audit line is written: `key=value` fields (what a person greps), or one JSON object per line (what a
/// SIEM parses without a custom grammar). Both carry the same events and the same fields.
public enum AuditFormat: String, CaseIterable, Equatable, Hashable, Sendable {
    case kv
    case json
}
