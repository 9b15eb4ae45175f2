/// Misuse of the test kit.
public enum TestKitError: Error, Sendable, CustomStringConvertible {
    /// A mock or spy was used without a harness to install it in.
    case noHarness(String)
    /// `GrestHarness.current` was read outside `.grest(...)` / `withGrestHarness`.
    case noCurrentHarness
    /// An app failed to start.
    case appFailedToStart(String, any Error)
    /// The expectations of a test call were not met (they are also recorded as test issues).
    case expectationsFailed([String])

    public var description: String {
        switch self {
        case .noHarness(let what): "\(what) needs a harness: use it in a call made through GrestHarness"
        case .noCurrentHarness: "No current harness: use @Suite(.grest(MyApp.self)) or withGrestHarness { … }"
        case .appFailedToStart(let name, let error): "App \(name) failed to start: \(error)"
        case .expectationsFailed(let failures): failures.joined(separator: "\n")
        }
    }
}
