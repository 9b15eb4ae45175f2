// The standard grest-ts error TYPEs, with the same names and statuses on the wire.

/// 500: an unexpected failure; also what any unlisted or non-grest error becomes.
public let SERVER_ERROR = ErrorKind.define("SERVER_ERROR", status: 500)
/// 422: input failed validation; the data is the issue list.
public let VALIDATION_ERROR = ErrorKind.define("VALIDATION_ERROR", status: 422, data: IssueListSchema.schema)
/// 401: no caller identity.
public let NOT_AUTHORIZED = ErrorKind.define("NOT_AUTHORIZED", status: 401)
/// 403: the caller lacks a required scope.
public let FORBIDDEN = ErrorKind.define("FORBIDDEN", status: 403)
/// 400: a malformed request.
public let BAD_REQUEST = ErrorKind.define("BAD_REQUEST", status: 400)
/// 404: the resource does not exist.
public let NOT_FOUND = ErrorKind.define("NOT_FOUND", status: 404)
/// 409: the resource already exists.
public let EXISTS = ErrorKind.define("EXISTS", status: 409)
/// 413: the request body is over the limit.
public let PAYLOAD_TOO_LARGE = ErrorKind.define("PAYLOAD_TOO_LARGE", status: 413)
/// 404: no route matches the request.
public let ROUTE_NOT_FOUND = ErrorKind.define("ROUTE_NOT_FOUND", status: 404)

/// The TYPEs a client always understands, whatever a contract lists (grest-ts `SYSTEM_ERRORS`).
public let systemErrorTypes: Set<String> = [
    "NOT_AUTHORIZED", "FORBIDDEN", "NOT_FOUND", "ROUTE_NOT_FOUND", "EXISTS", "VALIDATION_ERROR", "SERVER_ERROR", "PAYLOAD_TOO_LARGE",
    "BAD_REQUEST",
]

/// The wire schema of VALIDATION_ERROR data: `[{path, code, message, params?}]`; values never travel.
enum IssueListSchema {
    static let schema = Schema<IssueList>(
        description: SchemaDescription(
            .array(
                element: SchemaDescription(
                    .object(properties: [
                        .init(name: "path", schema: SchemaDescription(.string(minLength: nil, maxLength: nil, pattern: nil)), isRequired: true),
                        .init(name: "code", schema: SchemaDescription(.string(minLength: 1, maxLength: nil, pattern: nil)), isRequired: true),
                        .init(name: "message", schema: SchemaDescription(.string(minLength: 1, maxLength: nil, pattern: nil)), isRequired: true),
                        .init(name: "params", schema: SchemaDescription(.record(value: SchemaDescription(.any)), isOptional: true), isRequired: false),
                    ]),
                    docs: .init(title: "Validation issue", description: "A single field-level validation failure.")),
                minItems: nil, maxItems: nil)),
        parse: { value, context in
            guard let value = requirePresent(value, &context) else { return nil }
            guard let list = IssueList(json: value) else {
                context.report(.arrayType, value: value)
                return nil
            }
            return list
        },
        write: { value, writer, _ in writer.write(value.json) },
        encode: { $0.json }
    )
}

extension ErrorKind where Data == IssueList {
    /// A VALIDATION_ERROR for `issues`.
    public func callAsFunction(_ issues: [Issue], displayMessage: String? = nil) -> ServiceError {
        callAsFunction(IssueList(issues), displayMessage: displayMessage)
    }
}
