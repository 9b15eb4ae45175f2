public import Tagged

/// Phantom tag of ``Latitude``.
public enum LatitudeTag {}
/// Decimal degrees north, −90…90, accepted by ``IsLatitude`` (grest-ts `tLatitude`).
public typealias Latitude = Tagged<LatitudeTag, Double>

/// Phantom tag of ``Longitude``.
public enum LongitudeTag {}
/// Decimal degrees east, −180…180, accepted by ``IsLongitude`` (grest-ts `tLongitude`).
public typealias Longitude = Tagged<LongitudeTag, Double>

/// Phantom tag of ``Percentage``.
public enum PercentageTag {}
/// A number from 0 to 100, accepted by ``IsPercentage`` (grest-ts `tPercentage`).
public typealias Percentage = Tagged<PercentageTag, Double>

/// Latitudes in decimal degrees, −90…90 (grest-ts `IsLatitude`); out of range reports `invalid.number.range`.
public let IsLatitude: Schema<Latitude> =
    IsNumber
    .range(-90, 90)
    .brand(LatitudeTag.self, name: "latitude")
    .docs(title: "Latitude", description: "Decimal degrees (-90 to 90)", example: 59.437)

/// Longitudes in decimal degrees, −180…180 (grest-ts `IsLongitude`); out of range reports `invalid.number.range`.
public let IsLongitude: Schema<Longitude> =
    IsNumber
    .range(-180, 180)
    .brand(LongitudeTag.self, name: "longitude")
    .docs(title: "Longitude", description: "Decimal degrees (-180 to 180)", example: 24.754)

/// Percentages, 0…100 (grest-ts `IsPercentage`); out of range reports `invalid.number.range`.
public let IsPercentage: Schema<Percentage> =
    IsNumber
    .range(0, 100)
    .brand(PercentageTag.self, name: "percentage")
    .docs(title: "Percentage", description: "Value between 0 and 100", example: 50)
