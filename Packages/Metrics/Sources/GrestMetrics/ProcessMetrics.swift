#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process' own metrics as lazy gauges, read at scrape time (grest-ts' runtime metrics, which never
/// reached an export): register with `try registry.register(ProcessMetrics.self)`.
///
/// - `process_resident_memory_bytes`: resident set size (`/proc/self/statm`).
/// - `process_cpu_seconds_total`: user + system CPU time (`getrusage`), a gauge here because it is computed.
/// - `process_open_fds`: open file descriptors (`/proc/self/fd`).
/// - `process_max_fds`: the soft `RLIMIT_NOFILE`.
/// - `process_start_time_seconds` and `process_uptime_seconds`.
///
/// Where `/proc` is missing (macOS), resident memory and open fds read as 0.
public struct ProcessMetrics: MetricGroup {
    public static let name = "process"

    public let residentMemory: LazyGaugeMetric
    public let cpuSeconds: LazyGaugeMetric
    public let openFileDescriptors: LazyGaugeMetric
    public let maxFileDescriptors: LazyGaugeMetric
    public let startTime: LazyGaugeMetric
    public let uptime: LazyGaugeMetric

    public init(registry: MetricsRegistry) throws(MetricsDefinitionError) {
        let started = ProcessClock.now()
        residentMemory = try registry.lazyGauge("process_resident_memory_bytes", help: "Resident memory size in bytes") {
            ProcessReader.residentBytes()
        }
        cpuSeconds = try registry.lazyGauge("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds") {
            ProcessReader.cpuSeconds()
        }
        openFileDescriptors = try registry.lazyGauge("process_open_fds", help: "Number of open file descriptors") {
            ProcessReader.openFileDescriptors()
        }
        maxFileDescriptors = try registry.lazyGauge("process_max_fds", help: "Maximum number of open file descriptors (soft limit)") {
            ProcessReader.maxFileDescriptors()
        }
        startTime = try registry.lazyGauge("process_start_time_seconds", help: "When the metrics were registered, seconds since 1970") {
            started
        }
        uptime = try registry.lazyGauge("process_uptime_seconds", help: "Seconds since the metrics were registered") {
            ProcessClock.now() - started
        }
    }
}

enum ProcessClock {
    static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

enum ProcessReader {
    static func residentBytes() -> Double {
        guard let text = readFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
            guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        #else
            guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func openFileDescriptors() -> Double {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in name.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return Double(max(count - 1, 0))  // the directory stream's own descriptor
    }

    static func maxFileDescriptors() -> Double {
        var limit = rlimit()
        #if canImport(Glibc)
            guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        #else
            guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return 0 }
        #endif
        return Double(limit.rlim_cur)
    }

    /// A small /proc file, whole.
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
