import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A real `etcd` on loopback, on free ports, with a temporary data directory; `stop()` kills it and removes the data.
final class EtcdServer: @unchecked Sendable {
    // @unchecked: `process` is replaced only by start/stop, which a test calls sequentially.
    let clientPort: Int
    let peerPort: Int
    private(set) var dataDirectory: URL
    private var process: Process?

    var url: URL { URL(string: "http://127.0.0.1:\(clientPort)")! }

    init(clientPort: Int? = nil) throws {
        self.clientPort = try clientPort ?? Self.freePort()
        self.peerPort = try Self.freePort()
        self.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("grest-etcd-\(UUID().uuidString)")
    }

    static func executable() -> String? {
        ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts etcd and returns once its `/health` answers (the only readiness signal etcd offers a client).
    func start(freshData: Bool = false) async throws {
        if freshData {
            try? FileManager.default.removeItem(at: dataDirectory)
            dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("grest-etcd-\(UUID().uuidString)")
        }
        guard let executable = Self.executable() else { throw EtcdServerError.notInstalled }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        let client = "http://127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        process.arguments = [
            "--name", "grest-test", "--data-dir", dataDirectory.path,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "grest-test=\(peer)", "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let health = url.appendingPathComponent("health")
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let (data, _) = try? await URLSession.shared.data(from: health), String(decoding: data, as: UTF8.self).contains("true") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw EtcdServerError.didNotStart
    }

    /// SIGKILLs etcd (keeping its data unless `removingData`).
    func stop(removingData: Bool = true) {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process = nil
        if removingData { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw EtcdServerError.noFreePort }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

enum EtcdServerError: Error {
    case notInstalled, didNotStart, noFreePort
}
