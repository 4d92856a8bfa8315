// IdleWardenCore microbenchmarks: the scheduler (Schedule) and the policy (Policy.resolve, Session.verdict) with
// 1k, 10k and 100k sessions registered, as the daemon holds them (`[String: Session]` plus one `Schedule`).
//
//   bash Benchmarks/run-core.sh          (or: cd Benchmarks && swift package --scratch-path .build-bench-core benchmark)
//
// Benchmarks named "... per op" run 1000 operations per iteration (scalingFactor .kilo): their times are per
// operation. Environment: IW_CORE_SIZES (comma-separated, default 1000,10000,100000), IW_CORE_MAX_SECONDS (time
// budget per benchmark, default 3; the smoke test uses 1).
import Benchmark
import Foundation
import IdleWardenCore

/// The example policy of etc/idlewarden.conf: exclusions and four rules matching on tty, groups, services,
/// remote hosts and users, so that resolving walks every kind of match.
let configText = """
    idle_timeout = "15m"
    warn_before = "1m"
    grace = "10s"
    exclude_users = ["root"]
    exclude_groups = ["kiosk"]

    [[rule]]
    name = "serial-console"
    ttys = ["ttyS*", "ttyUSB[0-9]"]
    exempt = true

    [[rule]]
    name = "oncall"
    groups = ["oncall"]
    idle_timeout = "2h"
    warn_before = "5m"
    end = "leader"
    max_session = "1d"

    [[rule]]
    name = "contractors"
    groups = ["contractors"]
    services = ["sshd"]
    remote = ["*.example.net", "203.0.113.*"]
    idle_timeout = "10m"
    warn_before = "2m"
    grace = "30s"
    allow_keepalive = false

    [[rule]]
    name = "wall-screen"
    users = ["display"]
    remote = ["local"]
    services = ["login"]
    activity = "input+output"
    """

let config: Config = {
    let result = ConfigParser.parse(configText, path: "bench.conf")
    guard let config = result.config else { fatalError("benchmark config does not parse: \(result.errors)") }
    return config
}()

/// Wall-clock start of the simulated day, in seconds.
let epoch: Int64 = 1_800_000_000

let groupSets: [[String]] = [["users"], ["users", "oncall"], ["contractors"], ["users", "staff", "docker"], ["users"]]
let services = ["sshd", "sshd", "login", "su-l"]

/// The facts of session number `i`: a mix of users, groups, services and remote hosts that every rule sees.
func facts(_ i: Int) -> SessionFacts {
    let hosts: [String?] = ["10.1.\(i % 250).\(i % 199)", "vpn\(i % 97).example.net", nil, "203.0.113.\(i % 250)"]
    return SessionFacts(
        user: "user\(i % 5000)", uid: UInt32(10_000 + i % 5000), groups: groupSets[i % groupSets.count],
        service: services[i % services.count], tty: "/dev/pts/\(i)", rhost: hosts[i % hosts.count])
}

/// Registers a session as the daemon does at open: resolve its limits, make the Session, store it, schedule
/// its first due moment. Sessions open spread over an hour, so their deadlines are spread too.
@inline(__always)
func register(_ i: Int, into fleet: Fleet) {
    let sessionFacts = facts(i)
    let limits = Policy.resolve(config, for: sessionFacts).limits
    let opened = Instant(seconds: epoch + Int64((i &* 7919) % 3600))
    var session = Session(
        id: String(i + 1), facts: sessionFacts, leader: ProcessIdentity(pid: Int32(100 + i % 4_000_000), startTime: UInt64(i)),
        sid: Int32(100 + i % 4_000_000), openedAt: opened, limits: limits, terminals: ["/dev/pts/\(i)"])
    session.terminalDiscovery = .settled
    session.setTerminals(["/dev/pts/\(i)": stamp(readAt: opened.seconds)], now: opened)
    fleet.sessions[session.id] = session
    fleet.schedule(session, now: opened)
}

/// What the kernel shows on a terminal last read at `seconds` (its inode unchanged since its creation).
@inline(__always)
func stamp(readAt seconds: Int64) -> TerminalStamp {
    TerminalStamp(access: FileTime(seconds: seconds), modification: FileTime(seconds: seconds),
                  change: FileTime(seconds: epoch - 60, nanoseconds: 1), owner: 10_000)
}

/// What the daemon holds: every session by id, and one schedule of due moments.
final class Fleet {
    var sessions: [String: Session] = [:]
    var schedule = Schedule()
    /// Decisions made so far; each due session's terminal shows input a little before it came due.
    var decisions = 0

    init(count: Int) {
        sessions.reserveCapacity(count)
        for i in 0..<count { register(i, into: self) }
    }

    @inline(__always)
    func schedule(_ session: Session, now: Instant) {
        switch session.verdict(now: now) {
        case .exempt, .unchecked: schedule.remove(session.id)
        case .sleep(let until): schedule.set(session.id, at: until)
        case .warn(let deadline, _), .warnAgain(let deadline, _): schedule.set(session.id, at: deadline)
        case .lock, .terminate: schedule.set(session.id, at: now + .seconds(1))
        }
    }

    /// One due decision, as the daemon's wake-up makes it: take the earliest due session, look at its terminal
    /// (read a few seconds ago, so it stays alive and the fleet keeps its size), decide with `verdict`, and put
    /// its next due moment back into the schedule. Returns the number of sessions decided.
    @inline(__always)
    func decideNext() -> Int {
        guard let now = schedule.next() else { return 0 }
        let due = schedule.popDue(now: now)
        for id in due {
            guard var session = sessions[id] else { continue }
            decisions += 1
            session.look(at: [session.terminals[0]: stamp(readAt: now.seconds - 2)], now: now)
            sessions[id] = session
            schedule(session, now: now)
        }
        return due.count
    }
}

let sizes: [Int] = (ProcessInfo.processInfo.environment["IW_CORE_SIZES"] ?? "1000,10000,100000")
    .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }

func label(_ count: Int) -> String {
    count % 1000 == 0 ? "\(count / 1000)k" : "\(count)"
}

let maxSeconds = Int(ProcessInfo.processInfo.environment["IW_CORE_MAX_SECONDS"] ?? "") ?? 3

let benchmarks: @Sendable () -> Void = {
    let perOp = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds, warmupIterations: 3, scalingFactor: .kilo, maxDuration: .seconds(maxSeconds),
        maxIterations: 2000)

    Benchmark("Policy.resolve (4 rules, exclusions) per op", configuration: perOp) { benchmark in
        let all = (0..<1000).map(facts)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(Policy.resolve(config, for: all[i]))
        }
    }

    Benchmark("Session.verdict per op", configuration: perOp) { benchmark in
        let fleet = Fleet(count: 1000)
        let all = Array(fleet.sessions.values)
        let now = Instant(seconds: epoch + 1800)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(all[i].verdict(now: now))
        }
    }

    for count in sizes {
        // Registering 1000 more sessions into a fleet of `count` (they are forgotten again, unmeasured, so the
        // fleet keeps its size): Policy.resolve + Session + dictionary insert + Schedule.set.
        Benchmark("register, \(label(count)) sessions, per op", configuration: perOp) { benchmark, fleet in
            let first = count + 1_000_000 * benchmark.currentIteration
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                register(first + i, into: fleet)
            }
            benchmark.stopMeasurement()
            for i in benchmark.scaledIterations {
                let id = String(first + i + 1)
                fleet.sessions[id] = nil
                fleet.schedule.remove(id)
            }
        } setup: {
            Fleet(count: count)
        }

        // The work of one due deadline, Core's part of it (the daemon adds one stat of the terminal per due
        // session and its /proc reads): Schedule.next + popDue, observe, verdict, Schedule.set.
        Benchmark("due decision, \(label(count)) sessions, per op", configuration: perOp) { benchmark, fleet in
            var done = 0
            while done < benchmark.scaledIterations.count {
                let decided = fleet.decideNext()
                if decided == 0 { break }
                done += decided
            }
        } setup: {
            Fleet(count: count)
        }

        // Memory: the net bytes still allocated after building the daemon's structures for `count` sessions
        // (kept alive past the measured region), and the time to build them.
        Benchmark(
            "build \(label(count)) sessions (memory)",
            configuration: .init(
                metrics: [.wallClock, .memoryLeakedBytes, .mallocCountTotal, .peakMemoryResidentDelta],
                timeUnits: .milliseconds, units: [.memoryLeakedBytes: .count, .mallocCountTotal: .count],
                warmupIterations: 1, maxDuration: .seconds(maxSeconds + 2),
                maxIterations: count >= 100_000 ? 5 : 20)
        ) { benchmark in
            benchmark.startMeasurement()
            let fleet = Fleet(count: count)
            benchmark.stopMeasurement()
            blackHole(fleet)
        }

        // The daemon writes its whole state (every Session, JSON) after every change; this is the sorting and
        // encoding part of that save (StateStore adds a CRC, a write, fsync and rename).
        Benchmark(
            "encode state, \(label(count)) sessions (JSON)",
            configuration: .init(
                metrics: [.wallClock, .mallocBytesCount], timeUnits: .milliseconds, warmupIterations: 1,
                maxDuration: .seconds(maxSeconds + 2), maxIterations: count >= 100_000 ? 5 : 50)
        ) { benchmark, fleet in
            let encoder = JSONEncoder()
            benchmark.startMeasurement()
            let list = fleet.sessions.values.sorted { (Int($0.id) ?? 0) < (Int($1.id) ?? 0) }
            blackHole(try? encoder.encode(list))
        } setup: {
            Fleet(count: count)
        }
    }
}
