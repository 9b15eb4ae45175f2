import GrestContext
import Testing

@Suite("Context scopes")
struct ContextScopeTests {
    let requestID = ContextKey<String>("scope-test:requestId")
    let counter = ContextKey<Int>("scope-test:counter", isMutable: true)

    @Test("child scopes inherit and override without leaking to the parent")
    func childInheritsAndOverrides() throws {
        try Context.withNew(name: "parent") {
            try requestID.set("req-123")
            try Context.run(name: "child") {
                #expect(requestID.get() == "req-123")
                #expect(Context.current?.name == "child")
                #expect(Context.current?.parent?.name == "parent")
                try requestID.set("req-456")
                try counter.set(1)
                #expect(requestID.get() == "req-456")
            }
            #expect(requestID.get() == "req-123")
            #expect(counter.get() == nil)
        }
    }

    @Test("delete removes only the current level, so the parent's value reappears")
    func deleteRevealsParent() throws {
        try Context.withNew {
            try requestID.set("parent")
            try Context.run {
                try requestID.set("child")
                try requestID.delete()
                #expect(requestID.get() == "parent")
                #expect(requestID.has())
                try requestID.delete()
                #expect(requestID.get() == "parent", "deleting an absent child value leaves the parent alone")
            }
        }
    }

    @Test("a strict scope rejects a second set unless the key is mutable", arguments: [false, true])
    func strictDoubleSet(isMutable: Bool) throws {
        let key = ContextKey<String>("scope-test:strict", isMutable: isMutable)
        try Context.withNew(strict: true) {
            #expect(Context.current?.isStrict == true)
            try key.set("first")
            if isMutable {
                try key.set("second")
                #expect(key.get() == "second")
            } else {
                let error = #expect(throws: ContextError.alreadySet(key: "scope-test:strict")) { try key.set("second") }
                #expect(error?.description.contains("scope-test:strict") == true)
                #expect(key.get() == "first")
            }
        }
    }

    @Test("a strict scope accepts a set after a delete, and its children may override")
    func strictAfterDeleteAndInChild() throws {
        try Context.withNew(strict: true) {
            try requestID.set("first")
            try requestID.delete()
            try requestID.set("again")
            try Context.run(strict: true) {
                try requestID.set("child")
                #expect(requestID.get() == "child")
            }
        }
    }

    @Test("a non-strict scope overwrites")
    func nonStrictOverwrites() throws {
        try Context.withNew {
            try requestID.set("a")
            try requestID.set("b")
            #expect(requestID.get() == "b")
        }
    }

    @Test("reset clears one level")
    func resetClearsLevel() throws {
        try Context.withNew {
            try requestID.set("parent")
            try Context.run {
                try requestID.set("child")
                try counter.set(3)
                try Context.require().reset()
                #expect(requestID.get() == "parent")
                #expect(counter.get() == nil)
            }
        }
    }

    @Test("withNew starts a root scope that inherits nothing")
    func withNewIsRoot() async throws {
        try await Context.withNew(name: "outer") {
            await Task.yield()
            try requestID.set("outer")
            Context.withNew(name: "inner") {
                #expect(Context.current?.parent == nil)
                #expect(requestID.get() == nil)
            }
        }
        #expect(Context.current == nil, "the binding ends with the body")
    }

    @Test("Context.run outside a scope creates a root")
    func runOutsideScopeCreatesRoot() async throws {
        try await Context.run(name: "lonely") {
            await Task.yield()
            #expect(Context.current?.name == "lonely")
            #expect(Context.current?.parent == nil)
            try requestID.set("ok")
        }
    }

    @Test("an unbound scope can be read and written directly")
    func unboundScope() throws {
        let scope = Context(name: "manual")
        try scope.set(requestID, "direct")
        #expect(scope.get(requestID) == "direct")
        #expect(requestID.get() == nil, "not bound")
        scope.run {
            #expect(requestID.get() == "direct")
        }
        let child = scope.branch(name: "child")
        #expect(child.get(requestID) == "direct")
        #expect(child.has(requestID))
        scope.delete(requestID)
        #expect(!child.has(requestID))
    }

    @Test("the scope is mutable: a set after an await is seen by the rest of the request")
    func mutableAcrossAwaits() async throws {
        try await Context.withNew(strict: true) {
            await Task.yield()
            try await authenticate()
            #expect(requestID.get() == "set-in-callee")
        }
    }

    private func authenticate() async throws {
        await Task.yield()
        try requestID.set("set-in-callee")
    }

    @Test("run works from an actor and returns non-Sendable results")
    @MainActor
    func runOnMainActor() async throws {
        final class Box { var value = 0 }
        let box = try await Context.withNew {
            try counter.set(5)
            await Task.yield()
            let box = Box()
            box.value = counter.get() ?? 0
            return box
        }
        #expect(box.value == 5)
    }
}
