import AgentCore
import Testing

/// The admission rule of the resource thresholds, on injected samples: refuse at or above a
/// `max_*`, shrink concurrency linearly between `soft_*` and `max_*`.
@Suite("resource admission: thresholds and concurrency following the load")
struct ResourceAdmissionTests {
    static func sample(cpu: Double? = nil, memoryPercent: Double? = nil, gpuPercent: Double? = nil) -> ResourceSample {
        ResourceSample(
            cpuPercent: cpu,
            memory: memoryPercent.map { MemoryInfo(totalBytes: 1000, availableBytes: 1000 - Int($0 * 10)) },
            gpu: gpuPercent.map {
                GPUInfo(count: 1, utilizationPercent: nil, memoryTotalBytes: 1000, memoryUsedBytes: Int($0 * 10))
            }
        )
    }

    @Test func withoutThresholdsEverythingIsAdmittedAtTheConfiguredLimit() {
        let admission = ResourceAdmission(policy: ResourcePolicy())
        #expect(
            admission.decide(Self.sample(cpu: 100, memoryPercent: 100, gpuPercent: 100), configuredLimit: 64)
                == .admit(limit: 64))
        #expect(admission.decide(nil, configuredLimit: 64) == .admit(limit: 64))
    }

    @Test func atOrAboveAMaxThresholdRequestsAreRefusedRetryableAfterTheRefreshInterval() throws {
        let policy = ResourcePolicy(
            refreshInterval: .milliseconds(1500), maxCPUPercent: 90, maxMemoryPercent: 0.1, maxGPUMemoryPercent: 95)
        let admission = ResourceAdmission(policy: policy)
        guard case .refuse(let memory) = admission.decide(Self.sample(cpu: 10, memoryPercent: 42), configuredLimit: 8)
        else {
            Issue.record("memory above 0.1 % must refuse")
            return
        }
        #expect(memory.type == .resourceConstrained && memory.retryable && memory.retryAfter == .milliseconds(1500))
        #expect(memory.message == "memory use 42% is at or above max_memory_percent 0.1%")
        guard
            case .refuse(let cpu) = ResourceAdmission(policy: ResourcePolicy(maxCPUPercent: 90)).decide(
                Self.sample(cpu: 90), configuredLimit: 8)
        else {
            Issue.record("CPU at the threshold must refuse")
            return
        }
        #expect(cpu.message == "CPU use 90% is at or above max_cpu_percent 90%")
        guard
            case .refuse(let gpu) = ResourceAdmission(policy: ResourcePolicy(maxGPUMemoryPercent: 95)).decide(
                Self.sample(gpuPercent: 99.5), configuredLimit: 8)
        else {
            Issue.record("GPU memory above the threshold must refuse")
            return
        }
        #expect(gpu.message == "GPU memory use 99.5% is at or above max_gpu_memory_percent 95%")
        // Below every threshold, or a resource not measured (no GPU, no CPU rate yet): admitted.
        #expect(
            ResourceAdmission(policy: ResourcePolicy(maxCPUPercent: 90, maxGPUMemoryPercent: 95)).decide(
                Self.sample(memoryPercent: 99), configuredLimit: 8) == .admit(limit: 8))
        #expect(
            ResourceAdmission(policy: ResourcePolicy(maxCPUPercent: 90)).decide(
                Self.sample(cpu: 89.9), configuredLimit: 8) == .admit(limit: 8))
    }

    @Test func betweenSoftAndMaxTheLimitShrinksLinearlyFromTheConfiguredOneToOne() {
        let admission = ResourceAdmission(policy: ResourcePolicy(maxCPUPercent: 90, softCPUPercent: 50))
        let limits = [40.0, 50, 60, 70, 80, 89, 89.99].map { cpu -> Int in
            if case .admit(let limit) = admission.decide(Self.sample(cpu: cpu), configuredLimit: 9) { return limit }
            return -1
        }
        // 9 − 8 × (cpu − 50) / 40, rounded down, at least 1.
        #expect(limits == [9, 9, 7, 5, 3, 1, 1])
        #expect(admission.decide(Self.sample(cpu: 70), configuredLimit: 1) == .admit(limit: 1))
    }

    @Test func theTightestResourceWins() {
        let admission = ResourceAdmission(
            policy: ResourcePolicy(maxCPUPercent: 100, softCPUPercent: 0.5, maxMemoryPercent: 90, softMemoryPercent: 80)
        )
        // CPU at 50.25 % halves 101 slots (to 51); memory at 85 % halves them too (51): both 51.
        #expect(admission.decide(Self.sample(cpu: 50.25, memoryPercent: 85), configuredLimit: 101) == .admit(limit: 51))
        // Memory at 89 % leaves 11; CPU would leave more.
        #expect(admission.decide(Self.sample(cpu: 50.25, memoryPercent: 89), configuredLimit: 101) == .admit(limit: 11))
    }
}
