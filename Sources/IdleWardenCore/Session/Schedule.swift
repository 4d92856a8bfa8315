/// The due moments of all sessions, earliest first. Each session has at most one live entry; rescheduling
/// leaves the old entry in the heap and it is skipped when popped (lazy deletion), so every operation is
/// O(log n) and a wake-up costs nothing for the sessions that are not due.
public struct Schedule: Sendable {
    private var heap: [(moment: Instant, id: String)] = []
    private var current: [String: Instant] = [:]

    public init() {}

    public var count: Int { current.count }

    public mutating func set(_ id: String, at moment: Instant) {
        if current[id] == moment { return }
        current[id] = moment
        heap.append((moment, id))
        siftUp(heap.count - 1)
        if heap.count > 64 && heap.count > 4 * current.count { compact() }
    }

    public mutating func remove(_ id: String) {
        current[id] = nil
    }

    public func moment(of id: String) -> Instant? { current[id] }

    /// The earliest live due moment, discarding stale entries on the way.
    public mutating func next() -> Instant? {
        while let top = heap.first {
            if current[top.id] == top.moment { return top.moment }
            popTop()
        }
        return nil
    }

    /// Removes and returns the ids due at or before `now`, earliest first.
    public mutating func popDue(now: Instant) -> [String] {
        var due: [String] = []
        while let top = heap.first, top.moment <= now {
            popTop()
            if current[top.id] == top.moment {
                current[top.id] = nil
                due.append(top.id)
            }
        }
        return due
    }

    private mutating func compact() {
        heap = current.map { ($0.value, $0.key) }
        heap.sort { $0.moment < $1.moment }
    }

    private mutating func popTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        siftDown(0)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].moment < heap[parent].moment else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].moment < heap[smallest].moment { smallest = left }
            if right < heap.count && heap[right].moment < heap[smallest].moment { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
