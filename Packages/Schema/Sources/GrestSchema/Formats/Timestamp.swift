public import Tagged

/// Phantom tag of ``Timestamp``.
public enum TimestampTag {}
/// Seconds since the Unix epoch, accepted by ``IsTimestamp`` (grest-ts `tTimestamp`).
public typealias Timestamp = Tagged<TimestampTag, Int>

/// Phantom tag of ``TimestampMs``.
public enum TimestampMsTag {}
/// Milliseconds since the Unix epoch, accepted by ``IsTimestampMs`` (grest-ts `tTimestampMs`).
public typealias TimestampMs = Tagged<TimestampMsTag, Int>

/// Unix timestamps in seconds, integers from 0 to 32503680000 (year 1970–3000; grest-ts `IsTimestamp`).
///
/// Reports the number codes: `invalid.number.type`, `invalid.number.integer`, `invalid.number.range`.
public let IsTimestamp: Schema<Timestamp> =
    IsInt
    .range(0, 32_503_680_000)
    .brand(TimestampTag.self, name: "timestamp")
    .docs(title: "Unix timestamp in seconds", description: "Seconds since Unix epoch (year 1970–3000)", example: 1_700_000_000)

/// Unix timestamps in milliseconds, integers from 0 to 32503680000000 (grest-ts `IsTimestampMs`).
///
/// Reports the number codes: `invalid.number.type`, `invalid.number.integer`, `invalid.number.range`.
public let IsTimestampMs: Schema<TimestampMs> =
    IsInt
    .range(0, 32_503_680_000_000)
    .brand(TimestampMsTag.self, name: "timestampMs")
    .docs(
        title: "Unix timestamp in milliseconds", description: "Milliseconds since Unix epoch (year 1970–3000)",
        example: 1_700_000_000_000)
