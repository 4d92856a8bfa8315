#if canImport(Glibc)
import Glibc
#endif

/// How long the event loop's steps take: from the moment a wait returns to the next wait, that is, how long
/// anything that became ready (a `status`, a login, a deadline) may have to wait for the daemon. Kept for the
/// whole run and written in the `stop` line: the longest step by wall time (with the thread CPU time it used, and
/// what woke it), the longest by CPU time (the daemon's own work, whatever the machine's load), and how many
/// steps took longer than 100 ms. Two clock reads per step; no allocation.
struct StepMeter {
    /// A moment as both clocks read it, in microseconds.
    struct Sample: Equatable {
        var wall: UInt64
        var cpu: UInt64
    }

    /// What woke a step, one bit per kind of source.
    struct Sources: OptionSet, Equatable {
        let rawValue: UInt8
        static let socket = Sources(rawValue: 1 << 0)
        static let receiver = Sources(rawValue: 1 << 1)
        static let receiverExited = Sources(rawValue: 1 << 2)
        static let signal = Sources(rawValue: 1 << 3)
        static let timer = Sources(rawValue: 1 << 4)
        /// A session leader or an inhibitor exited.
        static let process = Sources(rawValue: 1 << 5)
        /// The daemon's start: loading state, adopting live logins.
        static let start = Sources(rawValue: 1 << 6)
        static let clockSet = Sources(rawValue: 1 << 7)

        init(rawValue: UInt8) { self.rawValue = rawValue }

        init(_ woken: [EventLoop.Source]) {
            var sources: Sources = []
            for source in woken {
                switch source {
                case .socket: sources.insert(.socket)
                case .receiver: sources.insert(.receiver)
                case .receiverExited: sources.insert(.receiverExited)
                case .signal: sources.insert(.signal)
                case .timer: sources.insert(.timer)
                case .process: sources.insert(.process)
                case .clockSet: sources.insert(.clockSet)
                }
            }
            self = sources
        }

        var description: String {
            let names: [(Sources, String)] = [
                (.start, "start"), (.socket, "session-socket"), (.receiver, "control"),
                (.receiverExited, "receiver-exit"), (.signal, "signal"), (.timer, "timer"), (.process, "process-exit"),
                (.clockSet, "clock-set"),
            ]
            let present = names.filter { contains($0.0) }.map(\.1)
            return present.isEmpty ? "none" : present.joined(separator: "+")
        }
    }

    static let slowStep: UInt64 = 100_000

    private(set) var steps = 0
    private(set) var slowSteps = 0
    /// The longest step by wall time: its length, its CPU time, what woke it.
    private(set) var longestWall: UInt64 = 0
    private(set) var longestWallCPU: UInt64 = 0
    private(set) var longestWallSources: Sources = []
    private(set) var longestCPU: UInt64 = 0

    private var current: (start: Sample, sources: Sources)?

    mutating func begin(_ sources: Sources, at sample: Sample) {
        current = (sample, sources)
    }

    /// Ends the step begun last (none: nothing happens).
    mutating func end(at sample: Sample) {
        guard let (start, sources) = current else { return }
        current = nil
        let wall = sample.wall &- start.wall, cpu = sample.cpu &- start.cpu
        steps += 1
        if wall > Self.slowStep { slowSteps += 1 }
        if wall > longestWall || steps == 1 {
            longestWall = wall
            longestWallCPU = cpu
            longestWallSources = sources
        }
        longestCPU = max(longestCPU, cpu)
    }

    /// The fields of the `stop` line.
    var fields: [(String, String)] {
        [
            ("steps", String(steps)), ("longest_step_ms", Self.milliseconds(longestWall)),
            ("longest_step_cpu_ms", Self.milliseconds(longestWallCPU)),
            ("longest_step_woken_by", longestWallSources.description),
            ("most_cpu_step_ms", Self.milliseconds(longestCPU)), ("steps_over_100ms", String(slowSteps)),
        ]
    }

    /// Microseconds as milliseconds with one decimal.
    static func milliseconds(_ microseconds: UInt64) -> String {
        let tenths = (microseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The monotonic clock and this thread's CPU clock, now.
    static func sample() -> Sample {
        var wall = timespec(), cpu = timespec()
        clock_gettime(CLOCK_MONOTONIC, &wall)
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
        return Sample(wall: microseconds(wall), cpu: microseconds(cpu))
    }

    private static func microseconds(_ time: timespec) -> UInt64 {
        UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
    }
}
