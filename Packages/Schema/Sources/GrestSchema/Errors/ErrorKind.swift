import Synchronization

/// The definition of one error TYPE (grest-ts `ERROR.define`): its wire name, HTTP status and data schema.
///
/// ```swift
/// struct StockInfo: Sendable { var available: Int }
/// let OUT_OF_STOCK = ErrorKind.define("OUT_OF_STOCK", status: 409,
///     data: IsObject(StockInfo.init, field("available", \.available, IsUint)))
/// throw OUT_OF_STOCK(StockInfo(available: 0), displayMessage: "Sold out")
/// ```
///
/// Definitions are idempotent by TYPE: defining a TYPE again keeps the first status, as grest-ts does.
public struct ErrorKind<Data: Sendable>: Sendable {
    /// The wire TYPE.
    public let type: String
    /// The HTTP status.
    public let statusCode: Int
    /// The schema of `data`, when the error carries data.
    public let dataSchema: Schema<Data>?

    init(type: String, statusCode: Int, dataSchema: Schema<Data>?) {
        self.type = type
        self.statusCode = statusCode
        self.dataSchema = dataSchema
    }

    /// Whether `error` is a ``ServiceError`` of this TYPE.
    public func matches(_ error: any Error) -> Bool {
        (error as? ServiceError)?.type == type
    }

    /// The erased descriptor, for contracts' error lists.
    public var descriptor: ErrorDescriptor {
        let dataSchema = self.dataSchema
        return ErrorDescriptor(
            type: type, statusCode: statusCode, dataDescription: dataSchema?.description,
            acceptsData: { data in dataSchema.map { $0.is(data) } ?? true })
    }
}

/// An error TYPE without its Swift data type: what a contract lists in `errors`.
public struct ErrorDescriptor: Sendable {
    public let type: String
    public let statusCode: Int
    /// The self-description of the data schema, for docs.
    public let dataDescription: SchemaDescription?
    /// Whether wire `data` is valid for this TYPE (always true without a data schema).
    public let acceptsData: @Sendable (JSONValue?) -> Bool
}

/// Anything that can stand in a contract's `errors` list.
public protocol ErrorKindProtocol: Sendable {
    var descriptor: ErrorDescriptor { get }
}

extension ErrorKind: ErrorKindProtocol {}

/// Why an error definition was refused.
public enum ErrorDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidType(String)
    case invalidStatus(Int)

    public var description: String {
        switch self {
        case .invalidType(let type): #"Error type "\#(type)" is not valid! Must match /^[A-Z][A-Za-z0-9_]*$/"#
        case .invalidStatus(let status): #"Error status code "\#(status)" is not valid! Must be between 100 and 599 (inclusive)"#
        }
    }
}

extension ErrorKind where Data == Void {
    /// Defines (or returns the existing) error TYPE without data. An invalid TYPE or status stops the
    /// process (a definition bug); use ``ErrorKindRegistry/validate(type:statusCode:)`` to check first.
    public static func define(_ type: String, status: Int) -> ErrorKind<Void> {
        ErrorKind(type: type, statusCode: ErrorKindRegistry.register(type: type, statusCode: status), dataSchema: nil)
    }

    /// A `400` error TYPE (grest-ts `ERROR.badRequest`).
    public static func badRequest(_ type: String) -> ErrorKind<Void> {
        define(type, status: 400)
    }

    /// Makes an error of this TYPE.
    public func callAsFunction(
        displayMessage: String? = nil, debugMessage: String? = nil, debugData: JSONValue? = nil, originalError: (any Error)? = nil,
        ref: String? = nil
    ) -> ServiceError {
        ServiceError(
            type: type, statusCode: statusCode, displayMessage: displayMessage, ref: ref, debugMessage: debugMessage, debugData: debugData,
            originalError: originalError)
    }
}

extension ErrorKind {
    /// Defines (or returns the existing) error TYPE carrying `data`.
    public static func define(_ type: String, status: Int, data: some SchemaConvertible<Data>) -> ErrorKind<Data> {
        ErrorKind(type: type, statusCode: ErrorKindRegistry.register(type: type, statusCode: status), dataSchema: data.schema)
    }

    /// A `400` error TYPE carrying `data`.
    public static func badRequest(_ type: String, data: some SchemaConvertible<Data>) -> ErrorKind<Data> {
        define(type, status: 400, data: data)
    }

    /// Makes an error of this TYPE with `data`.
    public func callAsFunction(
        _ data: Data, displayMessage: String? = nil, debugMessage: String? = nil, debugData: JSONValue? = nil,
        originalError: (any Error)? = nil, ref: String? = nil
    ) -> ServiceError {
        ServiceError(
            type: type, statusCode: statusCode, data: dataSchema.map { $0.encode(data) }, displayMessage: displayMessage, ref: ref,
            debugMessage: debugMessage, debugData: debugData, originalError: originalError)
    }

    /// The typed data of `error` when it is of this TYPE and its data is valid.
    public func data(of error: any Error) -> Data? {
        guard let error = error as? ServiceError, error.type == type, let dataSchema else { return nil }
        return try? dataSchema.parse(error.data)
    }
}

/// Every error TYPE defined in the process, keyed by TYPE.
public enum ErrorKindRegistry {
    private static let storage = Mutex<[String: Int]>([:])

    /// Checks the grest-ts rules: TYPE matches `^[A-Z][A-Za-z0-9_]*$`, status is 100–599.
    public static func validate(type: String, statusCode: Int) throws(ErrorDefinitionError) {
        let bytes = Array(type.utf8)
        guard let first = bytes.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first),
            bytes.allSatisfy({ byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            })
        else { throw .invalidType(type) }
        guard (100...599).contains(statusCode) else { throw .invalidStatus(statusCode) }
    }

    /// Registers `type`, returning the status in force (the first definition's, for a repeat).
    static func register(type: String, statusCode: Int) -> Int {
        if let existing = storage.withLock({ $0[type] }) { return existing }
        do {
            try validate(type: type, statusCode: statusCode)
        } catch {
            preconditionFailure(error.description)
        }
        return storage.withLock { storage in
            if let existing = storage[type] { return existing }
            storage[type] = statusCode
            return statusCode
        }
    }

    /// The status registered for `type`.
    public static func statusCode(of type: String) -> Int? {
        storage.withLock { $0[type] }
    }

    /// Every registered TYPE with its status.
    public static var all: [String: Int] {
        storage.withLock { $0 }
    }
}
