public import Logging
import ServiceContextModule

extension Context {
    /// A swift-log metadata provider that adds the exported keys of the task's scope to every log line.
    ///
    /// It reads ``Context/current``, or the scope carried by `ServiceContext.current` when only that is bound,
    /// so a value set after the scope started (a user id after authentication) is logged from then on.
    ///
    /// ```swift
    /// LoggingSystem.bootstrap({ label, provider in StreamLogHandler.standardOutput(label: label, metadataProvider: provider) },
    ///                         metadataProvider: Context.metadataProvider)
    /// ```
    public static let metadataProvider = Logger.MetadataProvider {
        guard let scope = Context.current ?? ServiceContext.current?.grestContext else { return [:] }
        return scope.exportedValues.mapValues { .string($0) }
    }
}
