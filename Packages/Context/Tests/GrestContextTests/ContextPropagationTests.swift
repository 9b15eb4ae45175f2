import GrestContext
import Testing

@Suite("Context propagation", .timeLimit(.minutes(2)))
struct ContextPropagationTests {
    let requestID = ContextKey<String>("propagation-test:requestId")

    @Test("task-group children and async let see the scope")
    func taskGroupChildren() async throws {
        try await Context.withNew {
            try requestID.set("req-1")
            let seen = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<8 {
                    group.addTask { requestID.get() }
                }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(seen == Array(repeating: "req-1", count: 8))
            async let fromAsyncLet = requestID.get()
            #expect(await fromAsyncLet == "req-1")
        }
    }

    @Test("Task {} inherits the scope; Task.detached does not")
    func unstructuredTasks() async throws {
        try await Context.withNew {
            try requestID.set("req-2")
            let inherited = await Task { requestID.get() }.value
            let detached = await Task.detached { requestID.get() }.value
            let detachedScope = await Task.detached { Context.current }.value
            #expect(inherited == "req-2")
            #expect(detached == nil)
            #expect(detachedScope == nil)
        }
    }

    @Test("a branch hands the values to a detached task")
    func branchToDetached() async throws {
        try await Context.withNew {
            try requestID.set("req-3")
            let job = try #require(Context.current?.branch(name: "job"))
            let seen = await Task.detached {
                await job.run {
                    await Task.yield()
                    return requestID.get()
                }
            }.value
            #expect(seen == "req-3")
        }
    }

    @Test("a child task writes the shared scope")
    func childTaskWritesSharedScope() async throws {
        await Context.withNew {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? requestID.set("from-child") }
            }
            #expect(requestID.get() == "from-child")
        }
    }

    @Test("concurrent sets from many tasks on one scope are safe")
    func concurrentSets() async throws {
        let shared = ContextKey<Int>("propagation-test:shared", isMutable: true)
        let taskCount = 500
        try await Context.withNew(strict: true) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<taskCount {
                    group.addTask {
                        try ContextKey<Int>("propagation-test:slot-\(index)").set(index)
                        try shared.set(index)
                        _ = shared.get()
                        _ = Context.current?.exportedValues
                    }
                }
                try await group.waitForAll()
            }
            for index in 0..<taskCount {
                #expect(ContextKey<Int>("propagation-test:slot-\(index)").get() == index)
            }
            let last = try shared.assert()
            #expect((0..<taskCount).contains(last))
        }
    }

    @Test("concurrent strict sets of one key: exactly one wins")
    func concurrentStrictSets() async throws {
        let once = ContextKey<Int>("propagation-test:once")
        await Context.withNew(strict: true) {
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<64 {
                    group.addTask { (try? once.set(index)) != nil }
                }
                return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(outcomes == 1)
            #expect(once.has())
        }
    }
}
