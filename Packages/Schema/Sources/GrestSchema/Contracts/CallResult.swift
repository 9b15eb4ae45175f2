/// The outcome of a contract call as a value (grest-ts `asResult()`): the success data or a
/// ``ServiceError`` whose TYPE is one the method lists (or `SERVER_ERROR`).
///
/// ```swift
/// switch await client.call(ChatApi.sendMessage, request).result {
/// case .success(let response): print(response.messageId)
/// case .failure(let error) where VALIDATION_ERROR.matches(error): showIssues(VALIDATION_ERROR.data(of: error))
/// case .failure(let error): print(error.toText())
/// }
/// ```
public enum CallResult<Success: Sendable>: Sendable {
    case success(Success)
    case failure(ServiceError)

    /// The success data, or throws the error.
    public func get() throws(ServiceError) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw error
        }
    }

    /// The error, if the call failed.
    public var error: ServiceError? {
        if case .failure(let error) = self { return error }
        return nil
    }

    /// The success data, or `fallback` when the call failed (grest-ts `orDefault`).
    public func orDefault(_ fallback: @autoclosure () -> Success) -> Success {
        if case .success(let value) = self { return value }
        return fallback()
    }

    /// Transforms the success data.
    public func map<T: Sendable>(_ transform: (Success) throws -> T) rethrows -> CallResult<T> {
        switch self {
        case .success(let value): return .success(try transform(value))
        case .failure(let error): return .failure(error)
        }
    }

    /// Whether the call failed with an error of `kind`.
    public func failed<D>(with kind: ErrorKind<D>) -> Bool {
        if case .failure(let error) = self { return error.type == kind.type }
        return false
    }
}
