public import ServiceContextModule

extension ContextKey {
    /// Whether values of this key show up in log metadata and ``Context/exportedValues``.
    public var isExported: Bool { export != nil }

    /// Returns a copy of this key whose values are exported to log metadata (``Context/metadataProvider``)
    /// and ``Context/exportedValues`` under `label`.
    ///
    /// The text is rendered once, when the value is set.
    ///
    /// ```swift
    /// let traceID = ContextKey<TraceID>("traceId").exported(as: "trace-id") { $0.hex }
    /// ```
    /// - Parameters:
    ///   - label: The metadata key; the key's ``name`` when `nil`.
    ///   - render: Turns a value into the metadata text.
    public func exported(as label: String? = nil, render: @escaping @Sendable (Value) -> String) -> ContextKey {
        ContextKey(
            name: name,
            defaultValue: defaultValue,
            description: description,
            isMutable: isMutable,
            export: Export(label: label ?? name, render: render),
            bridge: bridge
        )
    }

    /// Returns a copy of this key whose values are exported to log metadata as `String(describing:)`.
    /// - Parameter label: The metadata key; the key's ``name`` when `nil`.
    public func exported(as label: String? = nil) -> ContextKey where Value: CustomStringConvertible {
        exported(as: label) { $0.description }
    }

    /// Returns a copy of this key whose values are also copied into a `ServiceContext` under `serviceKey`,
    /// so instruments that only know their own keys (a tracer's trace id, say) see them.
    ///
    /// The copy is a snapshot taken by ``Context/serviceContext``, which `Context.run` binds on entry.
    /// - Parameter serviceKey: The swift-service-context key that receives the value.
    public func bridged<Key: ServiceContextKey>(to serviceKey: Key.Type) -> ContextKey where Key.Value == Value {
        ContextKey(
            name: name,
            defaultValue: defaultValue,
            description: description,
            isMutable: isMutable,
            export: export,
            bridge: { value, serviceContext in serviceContext[Key.self] = value }
        )
    }
}
