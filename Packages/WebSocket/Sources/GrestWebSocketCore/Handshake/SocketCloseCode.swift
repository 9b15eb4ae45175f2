/// The application close codes grest sockets use (RFC 6455 §7.4.2: 4000–4999 are private use).
public enum SocketCloseCode {
    /// The upgrade query failed validation; sent without an `x` frame.
    public static let invalidQuery: UInt16 = 4000
    /// The handshake was refused (after `x`), timed out or the server failed to set up the connection.
    public static let handshakeFailed: UInt16 = 4001

    /// The close reason grest-ts sends with 4000.
    public static let invalidQueryReason = "Invalid query parameters"
    /// The close reason grest-ts sends with 4001 after `x`.
    public static let handshakeFailedReason = "Handshake failed"
    /// The close reason grest-ts sends with 4001 when setting up the connection threw.
    public static let connectionRejectedReason = "Connection rejected"
}
