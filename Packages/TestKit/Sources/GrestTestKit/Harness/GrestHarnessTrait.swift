public import Testing

/// A Swift Testing trait that starts apps around a suite (or a test) and publishes the harness as
/// ``GrestHarness/current`` (grest-ts's describe-level runner).
///
/// ```swift
/// @Suite(.grest(UsersApp.self, OrdersApp.self))
/// struct OrderTests {
///     @Test func places() async throws {
///         let harness = try GrestHarness.required()
///         …
///     }
/// }
/// ```
public struct GrestHarnessTrait: SuiteTrait, TestTrait, TestScoping {
    let apps: [GrestAppDefinition]

    public var isRecursive: Bool { false }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await withGrestHarness(apps) { _ in try await function() }
    }
}

extension Trait where Self == GrestHarnessTrait {
    /// Starts `apps`, in order, around the suite or test.
    public static func grest(_ apps: any GrestApp.Type...) -> Self {
        GrestHarnessTrait(apps: apps.map { GrestAppDefinition($0) })
    }

    /// Starts `apps`, given as closures, around the suite or test.
    public static func grest(_ apps: [GrestAppDefinition]) -> Self {
        GrestHarnessTrait(apps: apps)
    }
}
