public import ServiceContextModule

// Binding scopes to tasks (grest-ts `GGContext.run` and `GGContextStore`).
//
// The current scope is a task local, so it follows structured concurrency: `async let`, task-group children and
// `Task { }` (which copies the creating task's task locals) all see the scope of the code that started them, and
// share it: a `set` in a child task writes the same mutable scope. `Task.detached` starts with no task locals, so
// it runs outside any scope unless it is handed one explicitly: `branch(name:)` a child and `run` it there.
extension Context {
    /// Whether a scope is bound to the running task (grest-ts `GGContextStore.hasContext()`).
    public static var hasContext: Bool { current != nil }

    /// The scope bound to the running task (grest-ts `GGContextStore.getContext()`).
    /// - Throws: ``ContextError/noScope`` outside a scope.
    public static func require() throws(ContextError) -> Context {
        guard let scope = current else { throw .noScope }
        return scope
    }

    /// A new, unbound child of the current scope (grest-ts `GGContextStore.branch(name)`).
    /// - Throws: ``ContextError/noScope`` outside a scope.
    public static func branch(name: String, strict: Bool = false) throws(ContextError) -> Context {
        try require().branch(name: name, strict: strict)
    }

    /// Binds this scope to the task for the duration of `body`.
    ///
    /// It also binds `ServiceContext.current` to ``serviceContext``, so swift-log and swift-distributed-tracing can
    /// reach this scope. Running an already bound scope again re-takes that snapshot. `body` runs on the caller's
    /// isolation (`nonisolated(nonsending)`).
    @inlinable
    nonisolated(nonsending) public func run<R>(_ body: nonisolated(nonsending) () async throws -> R) async rethrows -> R {
        try await ServiceContext.$current.withValue(
            serviceContext,
            operation: { try await Context.$current.withValue(self, operation: body, isolation: #isolation) },
            isolation: #isolation
        )
    }

    /// Binds this scope to the task for the duration of the synchronous `body`.
    ///
    /// It also binds `ServiceContext.current` to ``serviceContext``.
    @inlinable
    public func run<R>(_ body: () throws -> R) rethrows -> R {
        try ServiceContext.$current.withValue(serviceContext) {
            try Context.$current.withValue(self, operation: body)
        }
    }

    /// Runs `body` in a new child of the current scope, or in a new root scope when none is bound.
    ///
    /// The child inherits the current values; what `body` sets stays in the child.
    /// - Parameters:
    ///   - name: A name for debugging.
    ///   - strict: Reject a second write of a non-mutable key in the new scope.
    @inlinable
    nonisolated(nonsending) public static func run<R>(
        name: String = "child",
        strict: Bool = false,
        _ body: nonisolated(nonsending) () async throws -> R
    ) async rethrows -> R {
        try await Context(name: name, parent: current, strict: strict).run(body)
    }

    /// Runs the synchronous `body` in a new child of the current scope, or in a new root scope when none is bound.
    @inlinable
    public static func run<R>(name: String = "child", strict: Bool = false, _ body: () throws -> R) rethrows -> R {
        try Context(name: name, parent: current, strict: strict).run(body)
    }

    /// Runs `body` in a new root scope that inherits nothing, whatever is bound now.
    ///
    /// Servers open one per request: `Context.withNew(name: "request", strict: true) { ... }`.
    @inlinable
    nonisolated(nonsending) public static func withNew<R>(
        name: String = "root",
        strict: Bool = false,
        _ body: nonisolated(nonsending) () async throws -> R
    ) async rethrows -> R {
        try await Context(name: name, strict: strict).run(body)
    }

    /// Runs the synchronous `body` in a new root scope that inherits nothing.
    @inlinable
    public static func withNew<R>(name: String = "root", strict: Bool = false, _ body: () throws -> R) rethrows -> R {
        try Context(name: name, strict: strict).run(body)
    }
}
