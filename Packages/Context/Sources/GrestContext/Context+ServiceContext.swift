public import ServiceContextModule

/// The swift-service-context key under which the live grest ``Context`` travels.
///
/// `Context.run` stores the bound scope here, so code that only receives a `ServiceContext`
/// (a tracer, a log handler, a library written against swift-distributed-tracing) can still read the request's keys,
/// including ones set after the scope started, through ``ServiceContextModule/ServiceContext/grestContext``.
public enum GrestContextServiceKey: ServiceContextKey {
    /// The live scope.
    public typealias Value = Context

    /// The name instruments print for this item.
    public static var nameOverride: String? { "grest.context" }
}

extension ServiceContext {
    /// The grest scope carried by this service context, if any.
    public var grestContext: Context? {
        get { self[GrestContextServiceKey.self] }
        set { self[GrestContextServiceKey.self] = newValue }
    }
}

extension Context {
    /// The exported keys' texts in this scope and its parents, by export label; a child's value wins over its parent's.
    ///
    /// Only keys made with ``ContextKey/exported(as:render:)`` appear.
    public var exportedValues: [String: String] {
        var values: [String: String] = [:]
        collectExports(into: &values)
        return values
    }

    /// A `ServiceContext` for this scope: the task's current one (or `.topLevel`), plus this scope under
    /// ``GrestContextServiceKey`` and the values of keys made with ``ContextKey/bridged(to:)``.
    ///
    /// The bridged values are a snapshot of this moment. The scope itself is live.
    /// Pass it to `tracer.startSpan(_:context:)` when a span should see values set after the scope started.
    public var serviceContext: ServiceContext {
        var serviceContext = ServiceContext.current ?? .topLevel
        applyBridges(to: &serviceContext)
        serviceContext.grestContext = self
        return serviceContext
    }
}
