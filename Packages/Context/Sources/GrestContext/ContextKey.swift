import ServiceContextModule

/// A typed, named slot in the request-scoped ``Context`` (grest-ts `GGContextKey`).
///
/// Identity is the name string: two keys with the same name read and write the same slot.
/// Every accessor works on ``Context/current``, the scope bound to the running task.
///
/// ```swift
/// let requestID = ContextKey<String>("requestId", description: "Correlates one request's logs")
/// try requestID.set("req-123")       // in middleware, inside a scope
/// let id = try requestID.assert()    // in a handler, further down
/// ```
public struct ContextKey<Value: Sendable>: Sendable {
    /// The key's identity, also its label in docs and transports.
    public let name: String
    /// What ``get()`` returns when no scope in the chain holds a value, or when no scope is bound.
    public let defaultValue: Value?
    /// Free text for generated docs.
    public let description: String?
    /// Whether a strict scope accepts a second ``set(_:)`` of this key.
    public let isMutable: Bool

    /// How a value is rendered into log metadata, when the key is exported.
    let export: Export?
    /// How a value is copied into a `ServiceContext`, when the key is bridged.
    let bridge: (@Sendable (Value, inout ServiceContext) -> Void)?

    struct Export: Sendable {
        let label: String
        let render: @Sendable (Value) -> String
    }

    /// Creates a key.
    /// - Parameters:
    ///   - name: The key's identity.
    ///   - defaultValue: Returned by ``get()`` when nothing is set.
    ///   - description: Free text for generated docs.
    ///   - isMutable: Lets a strict scope accept repeated writes of this key.
    public init(_ name: String, default defaultValue: Value? = nil, description: String? = nil, isMutable: Bool = false) {
        self.init(name: name, defaultValue: defaultValue, description: description, isMutable: isMutable, export: nil, bridge: nil)
    }

    init(
        name: String,
        defaultValue: Value?,
        description: String?,
        isMutable: Bool,
        export: Export?,
        bridge: (@Sendable (Value, inout ServiceContext) -> Void)?
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.description = description
        self.isMutable = isMutable
        self.export = export
        self.bridge = bridge
    }

    /// The value in the current scope, else in its parents, else ``defaultValue``; ``defaultValue`` when no scope is bound.
    public func get() -> Value? {
        Context.current?.get(self) ?? defaultValue
    }

    /// The same as ``get()``, for call sites that read better as a property.
    public var value: Value? { self.get() }

    /// Whether the current scope or one of its parents holds a value. A default does not count.
    public func has() -> Bool {
        Context.current?.has(self) ?? false
    }

    /// Writes `value` at the current scope's level.
    /// - Throws: ``ContextError/noScope`` outside a scope; ``ContextError/alreadySet(key:)`` on a second write in a strict scope
    ///   unless the key ``isMutable``.
    public func set(_ value: Value) throws(ContextError) {
        guard let scope = Context.current else { throw .noScope }
        try scope.set(self, value)
    }

    /// Removes the value at the current scope's level only, so a parent's value shows again.
    /// - Throws: ``ContextError/noScope`` outside a scope.
    public func delete() throws(ContextError) {
        guard let scope = Context.current else { throw .noScope }
        scope.delete(self)
    }

    /// Returns the value set in the scope chain.
    /// - Throws: ``ContextError/missingValue(key:)`` ("Context named 'X' is required, but not defined!") when none is set;
    ///   a ``defaultValue`` does not satisfy it, as in grest-ts.
    public func assert() throws(ContextError) -> Value {
        guard let value = Context.current?.get(self) else { throw .missingValue(key: name) }
        return value
    }

    /// Packs `value` with what export and bridging need, rendered once at write time.
    func entry(for value: Value) -> Context.Entry {
        // Plain `if let`s rather than `Optional.map`: a key with neither export nor bridge (most of them) then needs
        // no closure, nor the runtime metadata of one, on every write.
        var exported: (label: String, text: String)?
        if let export {
            exported = (label: export.label, text: export.render(value))
        }
        var bridged: (@Sendable (inout ServiceContext) -> Void)?
        if let bridge {
            bridged = { serviceContext in bridge(value, &serviceContext) }
        }
        return Context.Entry(value: value, exported: exported, bridge: bridged)
    }
}

extension ContextKey: Hashable {
    /// Keys are equal when their names are: the name is the identity, as in grest-ts.
    public static func == (lhs: ContextKey, rhs: ContextKey) -> Bool {
        lhs.name == rhs.name
    }

    /// Hashes the name only.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
    }
}
