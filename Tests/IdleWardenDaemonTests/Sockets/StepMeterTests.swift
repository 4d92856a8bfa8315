@testable import IdleWardenDaemon
import XCTest

/// The event loop's step lengths as the `stop` line reports them.
final class StepMeterTests: XCTestCase {
    private func sample(_ wall: UInt64, _ cpu: UInt64) -> StepMeter.Sample { .init(wall: wall, cpu: cpu) }

    func testKeepsTheLongestStepWithItsCPUAndSources() {
        var meter = StepMeter()
        meter.begin(.start, at: sample(0, 0))
        meter.end(at: sample(40_000, 39_000))
        meter.begin([.timer, .process], at: sample(100_000, 39_000))
        meter.end(at: sample(350_000, 60_000)) // 250 ms, of which 21 ms on the CPU: the machine was busy
        meter.begin(.receiver, at: sample(400_000, 60_000))
        meter.end(at: sample(490_000, 150_000)) // 90 ms, all of it work
        let fields = Dictionary(uniqueKeysWithValues: meter.fields)
        XCTAssertEqual(fields["steps"], "3")
        XCTAssertEqual(fields["longest_step_ms"], "250.0")
        XCTAssertEqual(fields["longest_step_cpu_ms"], "21.0")
        XCTAssertEqual(fields["longest_step_woken_by"], "timer+process-exit")
        XCTAssertEqual(fields["most_cpu_step_ms"], "90.0")
        XCTAssertEqual(fields["steps_over_100ms"], "1")
    }

    /// An end without a begin (the loop's first wait) counts nothing; a begin without an end is not a step.
    func testUnmatchedCallsCountNothing() {
        var meter = StepMeter()
        meter.end(at: sample(5, 5))
        meter.begin(.socket, at: sample(10, 10))
        XCTAssertEqual(meter.steps, 0)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: meter.fields)["longest_step_woken_by"], "none")
        meter.end(at: sample(1_010, 510))
        XCTAssertEqual(meter.steps, 1)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: meter.fields)["longest_step_ms"], "1.0")
    }

    func testSourcesFromWhatTheLoopReturned() {
        XCTAssertEqual(StepMeter.Sources([.socket(1), .timer, .socket(0)]), [.socket, .timer])
        XCTAssertEqual(StepMeter.Sources([.receiverExited, .signal]).description, "receiver-exit+signal")
        XCTAssertEqual(StepMeter.Sources([]).description, "none")
    }

    func testMillisecondsRoundToATenth() {
        XCTAssertEqual(StepMeter.milliseconds(0), "0.0")
        XCTAssertEqual(StepMeter.milliseconds(49), "0.0")
        XCTAssertEqual(StepMeter.milliseconds(1_250), "1.3")
        XCTAssertEqual(StepMeter.milliseconds(12_345_678), "12345.7")
    }

    func testSampleReadsBothClocks() {
        let first = StepMeter.sample()
        var sink = 0
        for i in 0..<200_000 { sink &+= i &* i }
        let second = StepMeter.sample()
        XCTAssertNotEqual(sink, 1)
        XCTAssertGreaterThan(second.wall, first.wall)
        XCTAssertGreaterThanOrEqual(second.cpu, first.cpu)
    }
}
