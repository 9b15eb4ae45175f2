import Foundation
import PeerProcesses
import Testing

/// The child-process harness the interop tests rely on.
@Suite("Peer harness", .timeLimit(.minutes(2)))
struct PeersTests {
    /// Regression: stopping a peer with SIGTERM never returned for a peer that blocks or ignores it (python and
    /// coreutils keep the signal mask of the thread that spawned them), which wedged the test run.
    @Test("withServer ends a peer that ignores SIGTERM, and reaps it")
    func endsPeerIgnoringSIGTERM() async throws {
        let started = ContinuousClock.now
        // `exec` keeps the shell's pid and its ignored SIGTERM; the first line is that pid.
        let pid = try await Peers.withServer("sh", ["-c", "trap '' TERM; echo $$; exec sleep 600"]) { pid in
            #expect(kill(pid_t(pid), 0) == 0, "the peer runs while the body does")
            return pid
        }
        // Far below the peer's 600 s sleep; generous because the idle-connections test loads the machine meanwhile.
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(kill(pid_t(pid), 0) == -1 && errno == ESRCH, "the peer is gone (killed and waited for) once withServer returns")
    }

    /// Regression: Foundation's `Process.run()` on Linux over-reads `/proc/self/fd` entries
    /// (swift-corelibs-foundation#5472) and crashed the whole test process with SIGSEGV when a peer was spawned
    /// while another test held thousands of sockets open. The harness must spawn peers whatever the descriptor
    /// count, and must not leak those descriptors into them.
    @Test("peers spawn while 2000 descriptors are open, and inherit none of them")
    func spawnsWithManyOpenDescriptors() async throws {
        let descriptors = (0..<2000).map { _ in open("/dev/null", O_RDONLY) }
        defer { for fd in descriptors where fd >= 0 { close(fd) } }
        #expect(descriptors.allSatisfy { $0 >= 0 }, "could not open 2000 descriptors (ulimit -n)")
        for _ in 0..<10 {
            // The child lists its own descriptors: stdin/stdout/stderr and the directory being listed.
            let output = try await Peers.run("sh", ["-c", "ls /proc/self/fd | wc -l"], timeout: 30)
            #expect(output.status == 0, "\(output.stderr)")
            #expect((Int(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max) <= 5)
        }
    }

    @Test("run reports the exit status, stdout and stderr")
    func runReportsOutput() async throws {
        let output = try await Peers.run("sh", ["-c", "echo out; echo err >&2; exit 3"], timeout: 30)
        #expect(output.status == 3)
        #expect(output.stdout == "out\n")
        #expect(output.stderr == "err\n")
        let timedOut = try await Peers.run("sleep", ["30"], timeout: 1)
        #expect(timedOut.status == 124, "timeout(1) reports a killed program as 124")
    }

    @Test("withServer throws when the peer prints no number")
    func noPort() async throws {
        await #expect(throws: Peers.PeerError.self) {
            try await Peers.withServer("sh", ["-c", "echo not-a-port; exec sleep 600"]) { _ in }
        }
    }
}
