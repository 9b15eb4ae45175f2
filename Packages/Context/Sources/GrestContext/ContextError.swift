/// The failures of the context API. grest-ts throws plain `Error`s with these fixed messages; ``description`` keeps them.
public enum ContextError: Error, Equatable, CustomStringConvertible {
    /// A key was written (or a scope required) while no ``Context`` scope was bound to the task.
    case noScope
    /// ``ContextKey/assert()`` found no value for the key named `key` in the scope chain.
    case missingValue(key: String)
    /// A strict scope already holds a value for the non-mutable key named `key`.
    case alreadySet(key: String)

    /// The grest-ts message for this failure.
    public var description: String {
        switch self {
        case .noScope:
            return "No context scope found!"
        case .missingValue(let key):
            return "Context named '\(key)' is required, but not defined!"
        case .alreadySet(let key):
            return "Context named '\(key)' is already set in this strict scope and is not mutable!"
        }
    }
}
