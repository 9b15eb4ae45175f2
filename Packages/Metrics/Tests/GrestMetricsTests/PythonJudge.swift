import Foundation
import Testing

/// The outside judge: the official Python `prometheus_client` parsers, run on the text we produce. They parse it
/// back into families (name, type, help, samples with labels and values) that the tests compare with what was
/// recorded, so escaping is checked by a round trip, not by our own reading.
enum PythonJudge {
    struct Family: Decodable {
        let name: String
        let type: String
        let documentation: String
        let samples: [Sample]
    }

    struct Sample: Decodable {
        let name: String
        let labels: [String: String]
        /// Python's `repr` of the value: `1.0`, `nan`, `inf`, `-inf`.
        let value: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let script = """
        import sys, json
        fmt = sys.argv[1]
        try:
            if fmt == 'openmetrics':
                from prometheus_client.openmetrics.parser import text_string_to_metric_families
            else:
                from prometheus_client.parser import text_string_to_metric_families
        except ImportError as error:
            print('NO_MODULE', error)
            sys.exit(3)
        text = sys.stdin.buffer.read().decode('utf-8')
        try:
            out = []
            for f in text_string_to_metric_families(text):
                out.append({'name': f.name, 'type': f.type, 'documentation': f.documentation,
                            'samples': [{'name': s.name, 'labels': s.labels, 'value': repr(float(s.value))} for s in f.samples]})
        except Exception as error:
            print('PARSE_ERROR', repr(error))
            sys.exit(2)
        print(json.dumps(out))
        """

    /// Whether the judge can run here: python3 with `prometheus_client`, or CI (`CI=true`), where a missing module
    /// must fail the tests rather than skip them.
    static let isAvailable: Bool = {
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        return (try? run(["-c", "import prometheus_client"], input: Data()).status) == 0
    }()

    static let skipReason: Comment = "python3 with prometheus_client is not installed (Scripts/bootstrap installs it); set CI=true to fail instead"

    /// Parses `text` with the Prometheus 0.0.4 parser (`openMetrics: false`) or the OpenMetrics one.
    static func parse(_ text: String, openMetrics: Bool) throws -> [Family] {
        let (status, output) = try run(["-c", script, openMetrics ? "openmetrics" : "prometheus"], input: Data(text.utf8))
        guard status == 0 else {
            throw Failure(
                description:
                    "prometheus_client refused the exposition (exit \(status)): \(String(decoding: output, as: UTF8.self))\n--- text ---\n\(text)")
        }
        return try JSONDecoder().decode([Family].self, from: output)
    }

    private static func run(_ arguments: [String], input: Data) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}

extension [PythonJudge.Family] {
    func family(_ name: String) -> PythonJudge.Family? { first { $0.name == name } }
}

extension PythonJudge.Family {
    func samples(_ name: String) -> [PythonJudge.Sample] { samples.filter { $0.name == name } }
}
