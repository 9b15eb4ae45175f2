public import Tagged

/// Phantom tag of ``DateString``.
public enum DateStringTag {}
/// A calendar date `YYYY-MM-DD` accepted by ``IsDate`` (grest-ts `tDate`).
public typealias DateString = Tagged<DateStringTag, String>

/// Phantom tag of ``DateTimeString``.
public enum DateTimeStringTag {}
/// A date and time `YYYY-MM-DD HH:mm:ss` accepted by ``IsDateTime`` (grest-ts `tDateTime`).
public typealias DateTimeString = Tagged<DateTimeStringTag, String>

/// Phantom tag of ``TimeString``.
public enum TimeStringTag {}
/// A 24-hour time `HH:mm:ss` accepted by ``IsTime`` (grest-ts `tTime`).
public typealias TimeString = Tagged<TimeStringTag, String>

/// Dates `YYYY-MM-DD` that exist in the proleptic Gregorian calendar (grest-ts `IsDate`).
///
/// The wrong shape reports `invalid.date.format`; a date that does not exist (`2023-02-29`) reports
/// `invalid.date.invalid`.
public let IsDate: Schema<DateString> =
    IsString
    .refine(.dateFormat) { CalendarText.date($0) != nil }
    .refine(.dateInvalid) { CalendarText.isValidDate($0) }
    .brand(DateStringTag.self, name: "date")
    .docs(title: "Date", description: "Format YYYY-MM-DD", example: "2024-01-15", format: "date")

/// Date-times `YYYY-MM-DD HH:mm:ss` (UTC, no zone) that exist (grest-ts `IsDateTime`).
///
/// The wrong shape reports `invalid.datetime.format`; an impossible value (`25:00:00`, `02-30`)
/// reports `invalid.datetime.invalid`.
public let IsDateTime: Schema<DateTimeString> =
    IsString
    .refine(.dateTimeFormat) { CalendarText.dateTime($0) != nil }
    .refine(.dateTimeInvalid) { CalendarText.isValidDateTime($0) }
    .brand(DateTimeStringTag.self, name: "datetime")
    .docs(title: "DateTime", description: "Format YYYY-MM-DD HH:mm:ss", example: "2024-01-15 14:30:00")

/// Times `HH:mm:ss` on a 24-hour clock, `00:00:00` to `23:59:59` (grest-ts `IsTime`).
///
/// Anything else reports `invalid.time`.
public let IsTime: Schema<TimeString> =
    IsString
    .refine(.time) { CalendarText.isValidTime($0) }
    .brand(TimeStringTag.self, name: "time")
    .docs(title: "Time", description: "24-hour format HH:mm:ss", example: "14:30:00")

/// The grest-ts date and time checks, matched over UTF-8 bytes.
enum CalendarText {
    /// The fields of a `/^\d{4}-\d{2}-\d{2}$/` match, or `nil` when the shape is wrong.
    static func date(_ value: String) -> (year: Int, month: Int, day: Int)? {
        ASCIIByte.withBytes(of: value) { bytes in
            guard bytes.count == 10, bytes[4] == ASCIIByte.hyphen, bytes[7] == ASCIIByte.hyphen,
                let year = number(bytes, 0..<4), let month = number(bytes, 5..<7), let day = number(bytes, 8..<10)
            else { return nil }
            return (year, month, day)
        }
    }

    /// The fields of a `/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/` match, or `nil` when the shape is wrong.
    static func dateTime(_ value: String) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)? {
        ASCIIByte.withBytes(of: value) { bytes in
            guard bytes.count == 19, bytes[4] == ASCIIByte.hyphen, bytes[7] == ASCIIByte.hyphen, bytes[10] == UInt8(ascii: " "),
                bytes[13] == ASCIIByte.colon, bytes[16] == ASCIIByte.colon,
                let year = number(bytes, 0..<4), let month = number(bytes, 5..<7), let day = number(bytes, 8..<10),
                let hour = number(bytes, 11..<13), let minute = number(bytes, 14..<16), let second = number(bytes, 17..<19)
            else { return nil }
            return (year, month, day, hour, minute, second)
        }
    }

    /// grest-ts `isValidDate`: the shape, then `new Date(Date.UTC(y, m - 1, d))` must give back the same
    /// year, month and day.
    static func isValidDate(_ value: String) -> Bool {
        guard let date = date(value) else { return false }
        return roundTrips(year: date.year, month: date.month, day: date.day)
    }

    /// grest-ts `isValidDateTime`: the shape, then the `Date.UTC` round trip on all six fields.
    ///
    /// `Date.UTC` carries overflowing fields into the next larger one (second 60 → next minute), so
    /// a field survives the round trip exactly when it is in range: hours 0–23, minutes and seconds 0–59.
    static func isValidDateTime(_ value: String) -> Bool {
        guard let time = dateTime(value) else { return false }
        return roundTrips(year: time.year, month: time.month, day: time.day) && time.hour <= 23 && time.minute <= 59
            && time.second <= 59
    }

    /// `/^([0-1][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])$/`.
    static func isValidTime(_ value: String) -> Bool {
        ASCIIByte.withBytes(of: value) { bytes in
            guard bytes.count == 8, bytes[2] == ASCIIByte.colon, bytes[5] == ASCIIByte.colon,
                let hour = number(bytes, 0..<2), let minute = number(bytes, 3..<5), let second = number(bytes, 6..<8)
            else { return false }
            return hour <= 23 && minute <= 59 && second <= 59
        }
    }

    /// Whether `Date.UTC(year, month - 1, day)` reads back as the same year, month and day.
    ///
    /// `Date.UTC` carries an out-of-range month or day into the neighbouring month or year, so the round
    /// trip holds exactly for real dates, except for one JavaScript quirk mirrored here: `Date.UTC` maps
    /// years 0–99 to 1900–1999, so `getUTCFullYear()` differs and every date in years 0000–0099 is invalid.
    static func roundTrips(year: Int, month: Int, day: Int) -> Bool {
        guard year >= 100, (1...12).contains(month), day >= 1 else { return false }
        return day <= daysInMonth(month, year: year)
    }

    /// Days in `month` (1–12) of the proleptic Gregorian `year`.
    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The decimal value of `\d{n}` at `range`, or `nil` when a byte is not `[0-9]`.
    @inline(__always)
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var value = 0
        for index in range {
            guard ASCIIByte.isDigit(bytes[index]) else { return nil }
            value = value * 10 + Int(bytes[index] &- UInt8(ascii: "0"))
        }
        return value
    }
}
