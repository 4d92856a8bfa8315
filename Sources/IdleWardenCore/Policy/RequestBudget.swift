/// A token bucket per uid: each uid may make `burst` requests at once and `perSecond` on average. It keeps
/// one local user from making the daemon (or syslog, through reject lines) spend its time on them.
public struct RequestBudget: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Instant
    }

    public let burst: Double
    public let perSecond: Double
    private var buckets: [UInt32: Bucket] = [:]
    /// Requests refused per uid since the last `drainRefusals`, for one summary audit line.
    public private(set) var refusals: [UInt32: Int] = [:]

    public init(burst: Double, perSecond: Double) {
        self.burst = burst
        self.perSecond = perSecond
    }

    /// Takes one token for `uid`; false when its budget is spent.
    public mutating func spend(uid: UInt32, now: Instant) -> Bool {
        var bucket = buckets[uid] ?? Bucket(tokens: burst, updated: now)
        let elapsed = max(0, Double((now - bucket.updated).milliseconds) / 1000)
        bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
        bucket.updated = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 } else { refusals[uid, default: 0] += 1 }
        buckets[uid] = bucket
        if buckets.count > 4096 { forgetFullBuckets(now: now) }
        return allowed
    }

    /// How many uids have a bucket now (what the pruning bounds).
    var trackedUIDs: Int { buckets.count }

    /// Returns and clears the refusal counts.
    public mutating func drainRefusals() -> [UInt32: Int] {
        defer { refusals = [:] }
        return refusals
    }

    /// Buckets that have refilled completely carry no information; dropping them bounds memory by the
    /// number of uids active within one refill period.
    private mutating func forgetFullBuckets(now: Instant) {
        let refill = burst / perSecond
        buckets = buckets.filter { Double((now - $0.value.updated).milliseconds) / 1000 < refill }
    }
}
