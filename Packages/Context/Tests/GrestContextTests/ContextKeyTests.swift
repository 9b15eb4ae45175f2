import GrestContext
import Testing

@Suite("ContextKey")
struct ContextKeyTests {
    let plain = ContextKey<String>("key-test:plain")
    let withDefault = ContextKey<Int>("key-test:default", default: 7, description: "has a default")

    @Test("get outside a scope returns the default")
    func getOutsideScopeReturnsDefault() {
        #expect(Context.current == nil)
        #expect(withDefault.get() == 7)
        #expect(withDefault.value == 7)
        #expect(plain.get() == nil)
        #expect(!plain.has())
    }

    @Test("set and delete outside a scope throw noScope")
    func writesOutsideScopeThrow() {
        #expect(throws: ContextError.noScope) { try plain.set("x") }
        #expect(throws: ContextError.noScope) { try plain.delete() }
        #expect(throws: ContextError.noScope) { try Context.require() }
        #expect(throws: ContextError.noScope) { try Context.branch(name: "orphan") }
        #expect(ContextError.noScope.description == "No context scope found!")
    }

    @Test("set, get, has and delete in a scope")
    func roundTrip() throws {
        try Context.withNew {
            #expect(withDefault.get() == 7)
            #expect(!withDefault.has(), "a default is not a value")
            try withDefault.set(42)
            #expect(withDefault.get() == 42)
            #expect(withDefault.has())
            try withDefault.delete()
            #expect(withDefault.get() == 7)
            #expect(!withDefault.has())
        }
    }

    @Test("assert returns the value or throws the grest-ts message")
    func assertMessage() throws {
        let error = #expect(throws: ContextError.self) { try plain.assert() }
        #expect(error?.description == "Context named 'key-test:plain' is required, but not defined!")

        try Context.withNew {
            #expect(throws: ContextError.missingValue(key: "key-test:plain")) { try plain.assert() }
            #expect(throws: ContextError.missingValue(key: "key-test:default"), "a default does not satisfy assert") {
                try withDefault.assert()
            }
            try plain.set("here")
            #expect(try plain.assert() == "here")
        }
    }

    @Test("identity is the name")
    func identityIsName() throws {
        let twin = ContextKey<String>("key-test:plain", description: "another instance")
        #expect(twin == plain)
        #expect(Set([twin, plain]).count == 1)
        try Context.withNew {
            try plain.set("shared")
            #expect(twin.get() == "shared")
        }
    }

    @Test("a value of another type under the same name counts as absent")
    func typeMismatchIsAbsent() throws {
        let asInt = ContextKey<Int>("key-test:plain", default: -1)
        try Context.withNew {
            try plain.set("text")
            #expect(asInt.get() == -1)
            #expect(throws: ContextError.missingValue(key: "key-test:plain")) { try asInt.assert() }
        }
    }
}
