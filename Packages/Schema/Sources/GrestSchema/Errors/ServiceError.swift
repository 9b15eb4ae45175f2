/// A typed failure that crosses the wire (grest-ts `ERROR`): a TYPE, an HTTP status, optional data, a
/// public context (display message, timestamp, reference) and private debug details.
///
/// Create one from its kind — `throw NOT_FOUND(displayMessage: "No such user")`,
/// `throw VALIDATION_ERROR(issues)` — and check it with the kind: `if NOT_FOUND.matches(error) { … }`.
///
/// The wire form is `{"success":false,"type":…,"statusCode":…,"data"?:…,"context":{"displayMessage"?,"timestamp","ref"}}`.
/// Debug details (`debugMessage`, `debugData`, `originalError`) are written only when
/// ``ServiceError/exposesDebugDetails`` is on (development), never by default.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    /// The wire TYPE, e.g. `NOT_FOUND`.
    public let type: String
    /// The HTTP status, 100–599.
    public let statusCode: Int
    /// The data, already in wire form (the kind's data schema encodes it).
    public var data: JSONValue?
    /// A message meant for the end user.
    public var displayMessage: String?
    /// Milliseconds since the epoch at creation.
    public var timestamp: Int64
    /// A reference to quote in support requests and logs: `ERR_REF_…`.
    public var ref: String
    /// A message for developers; never on the wire in production.
    public var debugMessage: String?
    /// Extra data for developers; never on the wire in production.
    public var debugData: JSONValue?
    /// The error this one wraps (a thrown Swift error, or another `ServiceError`).
    public var originalError: (any Error)?

    /// Creates an error; `ref` is taken from `originalError` when that is a `ServiceError`, else generated.
    public init(
        type: String, statusCode: Int, data: JSONValue? = nil, displayMessage: String? = nil, ref: String? = nil,
        timestamp: Int64? = nil, debugMessage: String? = nil, debugData: JSONValue? = nil, originalError: (any Error)? = nil
    ) {
        self.type = type
        self.statusCode = statusCode
        self.data = data
        self.displayMessage = displayMessage
        self.timestamp = timestamp ?? WallClock.nowMilliseconds()
        self.ref = ref ?? (originalError as? ServiceError)?.ref ?? ServiceError.makeRef()
        self.debugMessage = debugMessage
        self.debugData = debugData
        self.originalError = originalError
    }

    /// `ERR_REF_` + 8 random base-36 characters + the time in base 36, as grest-ts makes them.
    public static func makeRef() -> String {
        "ERR_REF_" + Base36.random(count: 8) + Base36.encode(UInt64(max(0, WallClock.nowMilliseconds())))
    }

    // MARK: Wire form

    /// Whether debug details go on the wire. Off by default; turn on only in development.
    public static var exposesDebugDetails: Bool {
        get { debugExposure.withLock { $0 } }
        set { debugExposure.withLock { $0 = newValue } }
    }

    /// The wire JSON.
    public var json: JSONValue {
        var writer = JSONWriter(reservingCapacity: 160)
        write(to: &writer)
        return (try? JSONValue(parsing: writer.bytes)) ?? .null
    }

    /// The wire JSON bytes.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(reservingCapacity: 160)
        write(to: &writer)
        return writer.bytes
    }

    /// Writes the wire JSON.
    public func write(to writer: inout JSONWriter) {
        writer.writeRaw(#"{"success":false,"type":"#.utf8)
        writer.writeString(type)
        writer.writeRaw(#","statusCode":"#.utf8)
        writer.writeInt(statusCode)
        if let data, !data.isNull {
            writer.writeRaw(#","data":"#.utf8)
            writer.write(data)
        }
        writer.writeRaw(#","context":{"#.utf8)
        if let displayMessage {
            writer.writeKey("displayMessage")
            writer.writeString(displayMessage)
            writer.writeRaw(UInt8(ascii: ","))
        }
        writer.writeKey("timestamp")
        writer.writeInt(Int(timestamp))
        writer.writeRaw(UInt8(ascii: ","))
        writer.writeKey("ref")
        writer.writeString(ref)
        if ServiceError.exposesDebugDetails {
            if let debugMessage {
                writer.writeRaw(#","debugMessage":"#.utf8)
                writer.writeString(debugMessage)
            }
            if let debugData {
                writer.writeRaw(#","debugData":"#.utf8)
                writer.write(debugData)
            }
            if let originalError {
                writer.writeRaw(#","originalError":{"message":"#.utf8)
                writer.writeString(String(describing: originalError))
                writer.writeRaw(UInt8(ascii: "}"))
            }
        }
        writer.writeRaw(UInt8(ascii: "}"))
        writer.writeRaw(UInt8(ascii: "}"))
    }

    /// Reads an error back from its wire JSON (`success` false and a string `type`); `nil` otherwise.
    ///
    /// The status comes from `statusCode` when present, else from the registered kind, else 500.
    public init?(json: JSONValue) {
        guard case .object(let object) = json, object["success"] == .bool(false), let type = object["type"]?.stringValue else { return nil }
        let context = object["context"]?.objectValue
        let status = object["statusCode"]?.numberValue.flatMap { Int(exactly: $0) }
        self.init(
            type: type,
            statusCode: status ?? ErrorKindRegistry.statusCode(of: type) ?? 500,
            data: object["data"],
            displayMessage: context?["displayMessage"]?.stringValue,
            ref: context?["ref"]?.stringValue,
            timestamp: context?["timestamp"]?.numberValue.map { Int64($0) },
            debugMessage: context?["debugMessage"]?.stringValue,
            debugData: context?["debugData"]
        )
    }

    // MARK: Conversion

    /// Any thrown value as a `ServiceError` (grest-ts `ERROR.fromUnknown`): a `ServiceError` is returned
    /// as is; anything else becomes `SERVER_ERROR` with the original attached (never on the wire).
    public static func fromUnknown(_ error: any Error) -> ServiceError {
        if let error = error as? ServiceError { return error }
        if let convertible = error as? any ServiceErrorConvertible { return convertible.serviceError }
        return SERVER_ERROR(originalError: error)
    }

    // MARK: Text

    /// A log line: `TYPE: display debug`, then the data (issues one per line, at most 10, then `+N more`).
    public func toText(dataSeparator: String = "\n\t", includeDebug: Bool = true) -> String {
        var text = type
        if let displayMessage { text += ": " + displayMessage }
        if let debugMessage { text += " " + debugMessage }
        if let data, !data.isNull {
            text += dataSeparator
            if type == "VALIDATION_ERROR", case .array(let items) = data {
                var lines: [String] = items.prefix(10).map { item in
                    let path = item["path"]?.stringValue ?? ""
                    let message = item["message"]?.stringValue ?? ""
                    return path.isEmpty ? message : path + ": " + message
                }
                if items.count > 10 { lines.append("+\(items.count - 10) more") }
                text += lines.joined(separator: "\n\t")
            } else {
                text += data.jsonString
            }
        }
        if includeDebug {
            if let debugData { text += "\n\tDebug data: " + debugData.jsonString.split(separator: "\n").joined(separator: "\n\t") }
            if let originalError {
                let inner = (originalError as? ServiceError)?.toText() ?? String(describing: originalError)
                text += "\n\tOriginal error: " + inner.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n\t")
            }
        }
        return text
    }

    public var description: String { toText() }
}

/// A Swift error type that knows its wire form, so handlers can throw domain errors directly.
public protocol ServiceErrorConvertible: Error {
    var serviceError: ServiceError { get }
}

import Synchronization

private let debugExposure = Mutex(false)
