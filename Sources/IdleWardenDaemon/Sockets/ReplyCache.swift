import IdleWardenCore
import IdleWardenWire

/// Recent multi-chunk answers, so a client can fetch chunk N of the answer it got chunk 0 of, without the
/// daemon recomputing it or pushing several datagrams at a client that may not read them. Small and
/// short-lived, and bounded for what a user controls: each answer is kept `lifetime`; a uid has at most
/// `perUID` answers (its next one replaces its oldest, so a user who asks in a loop only ever holds its own
/// slots), and all of them together at most `capacity` answers and `byteLimit` bytes (the oldest go first).
struct ReplyCache {
    private struct Entry {
        var requestID: UInt32
        var uid: UInt32
        var chunks: [ReplyChunk]
        var size: Int
        var storedAt: Instant
    }

    private var entries: [Entry] = []
    /// The payload bytes held now.
    private(set) var bytes = 0
    let capacity = 64
    let perUID = 2
    let byteLimit = 32 << 20
    let lifetime: Duration = .seconds(30)

    mutating func store(_ chunks: [ReplyChunk], requestID: UInt32, uid: UInt32, now: Instant) {
        let lifetime = lifetime
        remove { now - $0.storedAt > lifetime || ($0.requestID == requestID && $0.uid == uid) }
        let size = chunks.reduce(0) { $0 + $1.payload.count }
        guard chunks.count > 1, size <= byteLimit else { return }
        var own = entries.filter { $0.uid == uid }.count
        while own >= perUID, let oldest = entries.firstIndex(where: { $0.uid == uid }) {
            removeEntry(at: oldest)
            own -= 1
        }
        while !entries.isEmpty && (entries.count >= capacity || bytes + size > byteLimit) { removeEntry(at: 0) }
        entries.append(Entry(requestID: requestID, uid: uid, chunks: chunks, size: size, storedAt: now))
        bytes += size
    }

    /// Answers kept now (at most `capacity`).
    var count: Int { entries.count }

    /// The chunk, only for the uid that asked for the answer.
    func chunk(requestID: UInt32, uid: UInt32, index: UInt16) -> ReplyChunk? {
        guard let entry = entries.first(where: { $0.requestID == requestID && $0.uid == uid }),
              Int(index) < entry.chunks.count
        else { return nil }
        return entry.chunks[Int(index)]
    }

    private mutating func remove(where condition: (Entry) -> Bool) {
        bytes -= entries.filter(condition).reduce(0) { $0 + $1.size }
        entries.removeAll(where: condition)
    }

    private mutating func removeEntry(at index: Int) {
        bytes -= entries[index].size
        entries.remove(at: index)
    }
}
