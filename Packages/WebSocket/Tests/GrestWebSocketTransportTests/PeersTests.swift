import Foundation
import PeerProcesses
import Testing

/// The child-process harness the interop tests rely on.
@Suite("Peer harness", .timeLimit(.minutes(1)))
struct PeersTests {
    /// Regression: `Server.stop()` sent SIGTERM, which a peer spawned from a Dispatch/pool thread has blocked
    /// (python and coreutils keep the inherited mask), so `stop()` never returned and wedged the test run.
    @Test("stop() ends a peer that inherited a blocked SIGTERM")
    func stopEndsPeerWithBlockedSIGTERM() async throws {
        // `sleep` keeps the inherited mask, like python does; `exec` so the peer is the process we spawned.
        let server = try await Peers.start("sh", ["-c", "echo 0; exec sleep 600"])
        let pid = server.process.processIdentifier
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.stop()
            stopped.signal()
        }
        let didStop = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: stopped.wait(timeout: .now() + 10) == .success) }
        }
        #expect(didStop, "stop() did not end the peer within 10 s")
        if !didStop { kill(pid, SIGKILL) }   // unwedge the blocked stop() so the run can finish
    }
}
