public import Tagged

/// Phantom tag of ``BearerToken``.
public enum BearerTokenTag {}
/// An `Authorization` header value `Bearer <token>`, accepted by ``IsBearerToken`` (grest-ts `tBearerToken`).
public typealias BearerToken = Tagged<BearerTokenTag, String>

/// `Authorization` header values carrying a Bearer token (grest-ts `IsBearerToken`).
///
/// `""` reports `invalid.string.nonEmpty`; anything not starting with `Bearer ` followed by at least one
/// character reports `invalid.bearer.format`. The `bearer` format lets OpenAPI tools offer an Authorize button.
public let IsBearerToken: Schema<BearerToken> = IsString
    .nonEmpty
    .refine(.bearerFormat) { BearerTokenText.isValid($0) }
    .brand(BearerTokenTag.self, name: "bearerToken")
    .docs(
        title: "Bearer token", description: "HTTP Authorization header with a Bearer token",
        example: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.signature", format: "bearer")

enum BearerTokenText {
    /// grest-ts: `v.startsWith('Bearer ') && v.length > 7` (case-sensitive scheme). Any character after
    /// the 7-byte prefix adds at least one UTF-16 unit, so "more bytes" is "longer than 7".
    static func isValid(_ value: String) -> Bool {
        let utf8 = value.utf8
        return utf8.count > 7 && utf8.starts(with: "Bearer ".utf8)
    }
}
