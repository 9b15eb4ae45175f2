public import GrestSchema

extension HTTPImplementation {
    /// Implements the method named `name` with an untyped handler: raw input in (path params, query or body
    /// as JSON, not yet validated), the reply out. For stand-in servers that answer for another service
    /// (GrestTestKit's mocks and spies); applications use the typed ``handle(_:_:)``.
    @_spi(GrestTestKit)
    public func handle(methodNamed name: String, _ handler: @escaping @Sendable (JSONValue?) async -> ContractReply) {
        if handlers[name] != nil { duplicates.append(name) }
        handlers[name] = handler
    }
}
