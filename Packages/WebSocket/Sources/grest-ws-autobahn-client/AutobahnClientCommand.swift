import ArgumentParser
import GrestWebSocketTransport
import NIOCore
import WebSocketCompression

/// Drives Autobahn's fuzzingserver through our client: asks for the case count, runs every case as an echo
/// session, then asks the server to write its reports.
@main
struct AutobahnClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grest-ws-autobahn-client",
        abstract: "Runs every Autobahn fuzzingserver case through GrestWebSocketTransport's client."
    )

    @Option(help: "The fuzzingserver's base URL.")
    var url = "ws://127.0.0.1:9001"

    @Option(help: "The agent name reported to Autobahn.")
    var agent = "grest-swift"

    @Option(help: "Run only this case number (1-based); all cases when omitted.")
    var caseNumber: Int?

    func run() async throws {
        var configuration = WebSocketConfiguration()
        // Autobahn offers its compression cases only to clients that allow the server to request
        // no-context-takeover and window limits: both are in this offer.
        configuration.compression = PerMessageDeflate(clientNoContextTakeover: true)
        configuration.closeTimeout = .seconds(5)

        let countConnection = try await WebSocketClient.connect(to: "\(self.url)/getCaseCount", configuration: configuration)
        var count = 0
        for await message in countConnection.inbound {
            if case .text(let text) = message { count = Int(text) ?? 0 }
        }
        print("autobahn client: \(count) cases")

        let cases = self.caseNumber.map { [$0] } ?? Array(1...max(count, 1))
        for number in cases where number <= count {
            do {
                let connection = try await WebSocketClient.connect(
                    to: "\(self.url)/runCase?case=\(number)&agent=\(self.agent)",
                    configuration: configuration
                )
                for await message in connection.inbound {
                    do { try await connection.send(message) } catch { break }
                }
                _ = await connection.closeInfo
            } catch {
                print("autobahn client: case \(number): \(error)")
            }
            if number % 50 == 0 { print("autobahn client: \(number)/\(count)") }
        }

        let reports = try await WebSocketClient.connect(to: "\(self.url)/updateReports?agent=\(self.agent)", configuration: configuration)
        for await _ in reports.inbound {}
        _ = await reports.closeInfo
        print("autobahn client: reports updated")
    }
}
