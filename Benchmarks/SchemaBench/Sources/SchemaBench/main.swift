// `make bench-schema`: GrestSchema parse+validate and stringify against Foundation's JSONDecoder and
// JSONEncoder on the same Codable structs, measured in one run on this machine. Prints ratios.
import Foundation
import GrestSchema

struct Measurement {
    let name: String
    let seconds: Double
    let iterations: Int
    var perSecond: Double { Double(iterations) / seconds }
}

/// Runs `body` repeatedly for about `budget` seconds after a warm-up; best of 3 rounds.
func measure(_ name: String, budget: Double = 0.6, _ body: () throws -> Void) rethrows -> Measurement {
    let clock = ContinuousClock()
    // Warm up and calibrate.
    var iterations = 1
    while true {
        let start = clock.now
        for _ in 0..<iterations { try body() }
        let elapsed = (clock.now - start).seconds
        if elapsed > 0.05 { iterations = max(1, Int(Double(iterations) * budget / elapsed)); break }
        iterations *= 4
    }
    var best = Double.infinity
    for _ in 0..<3 {
        let start = clock.now
        for _ in 0..<iterations { try body() }
        best = min(best, (clock.now - start).seconds)
    }
    return Measurement(name: name, seconds: best, iterations: iterations)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

struct Row {
    let workload: String
    let ours: Measurement
    let peer: Measurement
    let bytes: Int
    var ratio: Double { ours.perSecond / peer.perSecond }
}

var rows: [Row] = []

@MainActor
func compare<T: Codable & Sendable>(
    _ workload: String, json: String, schema: some SchemaConvertible<T>, type: T.Type
) throws {
    let bytes = Array(json.utf8)
    let data = Data(json.utf8)
    let decoder = JSONDecoder()
    let encoder = JSONEncoder()
    let compiled = schema.schema
    // Sanity: both sides accept the input and agree on a round trip.
    let value = try compiled.parse(json: bytes)
    _ = try decoder.decode(T.self, from: data)

    let parseOurs = try measure("GrestSchema parse+validate") { _ = try compiled.parse(json: bytes) }
    let parsePeer = try measure("JSONDecoder.decode") { _ = try decoder.decode(T.self, from: data) }
    rows.append(Row(workload: "\(workload) parse", ours: parseOurs, peer: parsePeer, bytes: bytes.count))

    let writeOurs = try measure("GrestSchema stringify") { _ = try compiled.jsonBytes(value) }
    let writePeer = try measure("JSONEncoder.encode") { _ = try encoder.encode(value) }
    rows.append(Row(workload: "\(workload) stringify", ours: writeOurs, peer: writePeer, bytes: bytes.count))
}

let arrayJSON = messageArrayJSON()
try compare("Message", json: messageJSON, schema: IsMessage, type: Message.self)
try compare("SendMessageRequest", json: requestJSON, schema: IsSendMessageRequest, type: SendMessageRequest.self)
try compare("50-field nested object", json: wideJSON, schema: IsWide, type: Wide.self)
try compare("1 MB array of messages", json: arrayJSON, schema: IsArray(IsMessage), type: [Message].self)

func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
func format(_ value: Double) -> String {
    if value >= 1_000_000 { return String(format: "%.2fM", value / 1_000_000) }
    if value >= 1_000 { return String(format: "%.1fk", value / 1_000) }
    return String(format: "%.1f", value)
}

print("GrestSchema vs Foundation (JSONDecoder/JSONEncoder), same structs, same run, release build")
print(pad("workload", 34) + pad("GrestSchema ops/s", 20) + pad("Foundation ops/s", 20) + pad("MB/s (ours)", 14) + "ratio")
for row in rows {
    let megabytes = row.ours.perSecond * Double(row.bytes) / 1_000_000
    print(
        pad(row.workload, 34) + pad(format(row.ours.perSecond), 20) + pad(format(row.peer.perSecond), 20)
            + pad(String(format: "%.0f", megabytes), 14) + String(format: "%.2f×", row.ratio))
}
let parseRatios = rows.filter { $0.workload.hasSuffix("parse") }.map(\.ratio)
let writeRatios = rows.filter { $0.workload.hasSuffix("stringify") }.map(\.ratio)
func geomean(_ values: [Double]) -> Double { exp(values.map { log($0) }.reduce(0, +) / Double(values.count)) }
print(String(format: "geometric mean: parse+validate %.2f×, stringify %.2f× (target ≥ 2× each)", geomean(parseRatios), geomean(writeRatios)))
