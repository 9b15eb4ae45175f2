import GrestContext
import Logging
import ServiceContextModule
import Synchronization
import Testing

private enum TraceIDKey: ServiceContextKey {
    typealias Value = String
}

private let requestRef = ContextKey<String>("bridge-test:requestRef").exported(as: "ref")
private let userID = ContextKey<Int>("bridge-test:userId").exported()
private let traceID = ContextKey<String>("bridge-test:traceId").bridged(to: TraceIDKey.self)
private let secret = ContextKey<String>("bridge-test:secret")

/// Keeps the merged metadata of every log record.
private final class LogSink: Sendable {
    private let storage = Mutex<[Logger.Metadata]>([])

    var records: [Logger.Metadata] { storage.withLock { $0 } }

    func append(_ metadata: Logger.Metadata) {
        storage.withLock { $0.append(metadata) }
    }
}

/// A log handler that merges its provider's metadata the way swift-log's bundled handlers do, into a ``LogSink``.
private struct SinkLogHandler: LogHandler {
    let sink: LogSink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var metadataProvider: Logger.MetadataProvider?

    init(sink: LogSink, metadataProvider: Logger.MetadataProvider?) {
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        merged.merge(metadataProvider?.get() ?? [:]) { _, provided in provided }
        merged.merge(event.metadata ?? [:]) { _, explicit in explicit }
        sink.append(merged)
    }
}

@Suite("ServiceContext and swift-log bridge", .timeLimit(.minutes(2)))
struct ServiceContextBridgeTests {
    @Test("exported keys render by label; a child overrides its parent")
    func exportedValues() throws {
        #expect(requestRef.isExported)
        #expect(!secret.isExported)
        try Context.withNew {
            try requestRef.set("r-1")
            try userID.set(42)
            try secret.set("hunter2")
            #expect(Context.current?.exportedValues == ["ref": "r-1", "bridge-test:userId": "42"])
            try Context.run {
                try requestRef.set("r-2")
                #expect(Context.current?.exportedValues == ["ref": "r-2", "bridge-test:userId": "42"])
            }
        }
    }

    @Test("run binds ServiceContext.current to the live scope")
    func runBindsServiceContext() async throws {
        #expect(ServiceContext.current?.grestContext == nil)
        try await Context.withNew {
            let scope = try Context.require()
            #expect(ServiceContext.current?.grestContext === scope)
            try requestRef.set("set-later")
            #expect(ServiceContext.current?.grestContext?.get(requestRef) == "set-later", "the scope is live")
            await Task.detached {
                #expect(ServiceContext.current == nil)
            }.value
        }
    }

    @Test("run keeps the values of an outer ServiceContext")
    func runKeepsOuterServiceContext() async throws {
        var outer = ServiceContext.topLevel
        outer[TraceIDKey.self] = "outer-trace"
        try await ServiceContext.withValue(outer) {
            try await Context.withNew {
                await Task.yield()
                #expect(ServiceContext.current?[TraceIDKey.self] == "outer-trace")
                try traceID.set("grest-trace")
                #expect(Context.current?.serviceContext[TraceIDKey.self] == "grest-trace")
            }
        }
    }

    @Test("bridged keys land in the service context: snapshot on read, refreshed by run")
    func bridgedKeys() throws {
        let scope = Context(name: "request")
        try scope.set(traceID, "t-1")
        #expect(scope.serviceContext[TraceIDKey.self] == "t-1")
        #expect(scope.serviceContext.grestContext === scope)
        scope.run {
            #expect(ServiceContext.current?[TraceIDKey.self] == "t-1")
            Context.run {
                try? traceID.set("t-2")
                #expect(ServiceContext.current?[TraceIDKey.self] == "t-1", "a snapshot from scope entry")
                #expect(Context.current?.serviceContext[TraceIDKey.self] == "t-2")
                Context.current?.run {
                    #expect(ServiceContext.current?[TraceIDKey.self] == "t-2", "running again re-takes the snapshot")
                }
            }
        }
    }

    @Test("a value written on an ancestor after its descendants exist reaches their service contexts and log metadata")
    func bridgedValueWrittenLaterOnAnAncestor() throws {
        let root = Context(name: "request")
        let connection = root.branch(name: "connection")
        try connection.set(requestRef, "r-1")
        let message = connection.branch(name: "message")
        #expect(message.serviceContext[TraceIDKey.self] == nil)
        // The root had no bridged value when `message` was made; its first one must still be seen.
        try root.set(traceID, "t-root")
        #expect(message.serviceContext[TraceIDKey.self] == "t-root")
        // A nearer level wins over a farther one, whichever was written first.
        try connection.set(traceID, "t-connection")
        #expect(message.serviceContext[TraceIDKey.self] == "t-connection")
        connection.delete(traceID)
        #expect(message.serviceContext[TraceIDKey.self] == "t-root")
        #expect(message.serviceContext.grestContext === message)
        // The same holds for exported values, which log lines read.
        #expect(message.exportedValues == ["ref": "r-1"])
        try root.set(userID, 5)
        #expect(message.exportedValues == ["ref": "r-1", "bridge-test:userId": "5"])
    }

    @Test("the metadata provider reads exported keys of the current scope")
    func metadataProvider() async throws {
        #expect(Context.metadataProvider.get().isEmpty)
        try await Context.withNew {
            await Task.yield()
            try requestRef.set("r-9")
            try secret.set("hunter2")
            #expect(Context.metadataProvider.get() == ["ref": "r-9"])
            try userID.set(7)
            #expect(Context.metadataProvider.get() == ["ref": "r-9", "bridge-test:userId": "7"])
        }
    }

    @Test("the metadata provider falls back to the scope in ServiceContext.current")
    func metadataProviderFromServiceContext() throws {
        let scope = Context(name: "carried")
        try scope.set(requestRef, "r-sc")
        var carrier = ServiceContext.topLevel
        carrier.grestContext = scope
        ServiceContext.withValue(carrier) {
            #expect(Context.current == nil)
            #expect(Context.metadataProvider.get() == ["ref": "r-sc"])
        }
    }

    @Test("a Logger with the provider logs the request's keys")
    func loggerGetsMetadata() async throws {
        let sink = LogSink()
        let logger = Logger(label: "test") { _ in SinkLogHandler(sink: sink, metadataProvider: Context.metadataProvider) }
        logger.info("outside")
        try await Context.withNew {
            await Task.yield()
            try requestRef.set("r-log")
            logger.info("inside")
        }
        #expect(sink.records == [[:], ["ref": "r-log"]])
    }
}
