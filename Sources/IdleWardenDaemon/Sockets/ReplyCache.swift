import IdleWardenCore
import IdleWardenWire

/// Recent multi-chunk answers, so a client can fetch chunk N of the answer it got chunk 0 of, without the
/// daemon recomputing it or pushing several datagrams at a client that may not read them. Small and
/// short-lived: at most `capacity` answers, each kept `lifetime`.
struct ReplyCache {
    private struct Entry {
        var requestID: UInt32
        var uid: UInt32
        var chunks: [ReplyChunk]
        var storedAt: Instant
    }

    private var entries: [Entry] = []
    let capacity = 16
    let lifetime: Duration = .seconds(30)

    mutating func store(_ chunks: [ReplyChunk], requestID: UInt32, uid: UInt32, now: Instant) {
        entries.removeAll { now - $0.storedAt > lifetime || ($0.requestID == requestID && $0.uid == uid) }
        guard chunks.count > 1 else { return }
        if entries.count >= capacity { entries.removeFirst() }
        entries.append(Entry(requestID: requestID, uid: uid, chunks: chunks, storedAt: now))
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
}
