import AgentCore
import Foundation
import Testing

/// Parsing `/proc/stat`, `/proc/meminfo` and `nvidia-smi` output (pure, sample text), and the
/// monitor reading files and running a stand-in `nvidia-smi` (no broker, no sleeps).
@Suite("resource monitor: /proc and nvidia-smi readings")
struct ResourceMonitorTests {
    static let procStat = """
        cpu  4705 356 584 3699 23 23 0 0 0 0
        cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0
        intr 1462898
        """

    static let meminfo = """
        MemTotal:       16318256 kB
        MemFree:         1294864 kB
        MemAvailable:    8159128 kB
        Buffers:          250268 kB
        """

    @Test func cpuLineIsSummedAndBusyShareIsMeasuredBetweenTwoReadings() throws {
        let first = try CPUTimes.parse(procStat: Self.procStat)
        #expect(first.total == 4705 + 356 + 584 + 3699 + 23 + 23)
        #expect(first.idle == 3699 + 23)
        // 100 ticks later: 25 idle (incl. iowait) → 75 % busy.
        let second = CPUTimes(total: first.total + 100, idle: first.idle + 25)
        #expect(second.busyPercent(since: first) == 75)
        #expect(first.busyPercent(since: first) == nil, "no time elapsed")
        #expect(first.busyPercent(since: second) == nil, "counters went backwards")
    }

    @Test(arguments: [
        ("", "no aggregate 'cpu' line"),
        ("cpu0 1 2 3 4", "no aggregate 'cpu' line"),
        ("cpu  12 x 3 4", "'x' in the cpu line is not a counter"),
        ("cpu  1 2 3", "the cpu line has 3 counters, at least 4 expected"),
    ])
    func malformedProcStatIsAClearError(_ text: String, _ expected: String) {
        #expect(throws: ResourceParseError(source: "/proc/stat", message: expected)) {
            try CPUTimes.parse(procStat: text)
        }
    }

    @Test func meminfoGivesTotalAvailableAndUsed() throws {
        let memory = try MemoryInfo.parse(meminfo: Self.meminfo)
        #expect(memory.totalBytes == 16_318_256 * 1024)
        #expect(memory.availableBytes == 8_159_128 * 1024)
        #expect(memory.usedBytes == (16_318_256 - 8_159_128) * 1024)
        #expect(abs(memory.usedPercent - 50.0) < 0.1)
    }

    @Test(arguments: [
        ("MemFree: 1 kB", "MemTotal is missing"),
        ("MemTotal: 100 kB", "MemAvailable is missing"),
        ("MemTotal: lots kB\nMemAvailable: 1 kB", "MemTotal: 'lots kB' is not a number of kB"),
        ("MemTotal: 100 MB\nMemAvailable: 1 kB", "MemTotal: unit 'MB' is not kB"),
    ])
    func malformedMeminfoIsAClearError(_ text: String, _ expected: String) {
        #expect(throws: ResourceParseError(source: "/proc/meminfo", message: expected)) {
            try MemoryInfo.parse(meminfo: text)
        }
    }

    @Test func nvidiaSmiLinesAddUpOverGPUs() throws {
        let gpu = try GPUInfo.parse(nvidiaSmi: "40, 24576, 6144\n60, 24576, 18432\n")
        #expect(gpu.count == 2)
        #expect(gpu.utilizationPercent == 50)
        #expect(gpu.memoryTotalBytes == 49_152 << 20 && gpu.memoryUsedBytes == 24_576 << 20)
        #expect(gpu.memoryUsedPercent == 50)
        let unknownUtilization = try GPUInfo.parse(nvidiaSmi: "[N/A], 8192, 1024")
        #expect(unknownUtilization.utilizationPercent == nil && unknownUtilization.memoryUsedBytes == 1024 << 20)
    }

    @Test(arguments: [
        ("", "no GPU listed"),
        (
            "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
            "line 1 has 1 fields, 3 expected"
        ),
        ("40, lots, 12", "line 1: memory 'lots', '12' are not MiB numbers"),
    ])
    func malformedNvidiaSmiIsAClearError(_ text: String, _ expected: String) {
        do {
            _ = try GPUInfo.parse(nvidiaSmi: text)
            Issue.record("should fail")
        } catch {
            #expect(error.source == "nvidia-smi" && error.message.hasPrefix(expected), "\(error)")
        }
    }

    // MARK: The monitor

    static func file(_ text: String, executable: Bool = false) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resources-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
        return path
    }

    @Test func theMonitorReadsTheFilesRunsNvidiaSmiAndMeasuresCPUFromTheSecondRefresh() async throws {
        let stat = try Self.file("cpu  100 0 100 800 0 0 0 0 0 0\n")
        let smi = try Self.file("#!/bin/sh\necho '35, 16384, 4096'\n", executable: true)
        let monitor = ResourceMonitor(
            sources: .init(procStat: stat, meminfo: try Self.file(Self.meminfo), nvidiaSmi: smi))
        #expect(monitor.latest == nil)
        let first = await monitor.refresh()
        #expect(first.cpuPercent == nil, "one reading is no rate")
        #expect(first.memory?.totalBytes == 16_318_256 * 1024)
        #expect(
            first.gpu
                == GPUInfo(
                    count: 1, utilizationPercent: 35, memoryTotalBytes: 16_384 << 20, memoryUsedBytes: 4096 << 20))
        try "cpu  160 0 140 900 0 0 0 0 0 0\n".write(toFile: stat, atomically: true, encoding: .utf8)
        let second = await monitor.refresh()
        #expect(second.cpuPercent == 50, "100 busy of 200 ticks")
        #expect(monitor.latest == second)
    }

    @Test func aFailingSlowOrMissingNvidiaSmiLeavesTheGPUOutWithoutAnError() async throws {
        let meminfo = try Self.file(Self.meminfo)
        for script in ["#!/bin/sh\necho 'driver not loaded'\nexit 9\n", "#!/bin/sh\nexec sleep 30\n"] {
            let monitor = ResourceMonitor(
                sources: .init(
                    meminfo: meminfo, nvidiaSmi: try Self.file(script, executable: true),
                    nvidiaSmiTimeout: .milliseconds(300)))
            let sample = await monitor.refresh()
            #expect(sample.gpu == nil)
            #expect(sample.memory != nil)
        }
        let missing = ResourceMonitor(
            sources: .init(
                procStat: "/nonexistent/stat", meminfo: "/nonexistent/meminfo", nvidiaSmi: "/nonexistent/nvidia-smi"))
        #expect(await missing.refresh() == ResourceSample())
    }

    @Test func theRealMachineHasMemory() async {
        let sample = await ResourceMonitor(sources: .init(nvidiaSmi: nil)).refresh()
        #expect((sample.memory?.totalBytes ?? 0) > 0 && (sample.memory?.usedBytes ?? 0) > 0)
    }

    @Test func findOnPathFindsExecutablesOnly() throws {
        #expect(ResourceMonitor.findOnPath("sh", path: "/nonexistent:/bin:/usr/bin") != nil)
        #expect(ResourceMonitor.findOnPath("surely-not-a-command-\(UUID().uuidString)", path: "/bin:/usr/bin") == nil)
    }
}
