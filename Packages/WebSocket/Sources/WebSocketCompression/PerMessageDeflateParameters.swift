public import GrestWebSocketTransport

/// The four permessage-deflate extension parameters of one offer or response (RFC 7692 §7.1), validated.
///
/// `clientMaxWindowBits` is `.some(nil)` when present without a value (allowed in an offer only).
public struct PerMessageDeflateParameters: Hashable, Sendable {
    public var serverNoContextTakeover = false
    public var clientNoContextTakeover = false
    public var serverMaxWindowBits: Int? = nil
    public var clientMaxWindowBits: Int?? = nil

    public init(
        serverNoContextTakeover: Bool = false,
        clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int? = nil,
        clientMaxWindowBits: Int?? = nil
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// Why an element is not a valid permessage-deflate offer or response.
    public enum Invalid: Error, Hashable, Sendable {
        case notPerMessageDeflate
        case unknownParameter(String)
        case duplicateParameter(String)
        case invalidValue(String)
    }

    /// Validates an element (RFC 7692 §7: unknown or repeated parameters and bad values invalidate it).
    public init(_ element: WebSocketExtensionHeader) throws(Invalid) {
        guard element.name == PerMessageDeflate.extensionName else { throw .notPerMessageDeflate }
        var seen = Set<String>()
        for parameter in element.parameters {
            guard seen.insert(parameter.name).inserted else { throw .duplicateParameter(parameter.name) }
            switch parameter.name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { throw .invalidValue(parameter.name) }
                self.serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard parameter.value == nil else { throw .invalidValue(parameter.name) }
                self.clientNoContextTakeover = true
            case "server_max_window_bits":
                // RFC 7692 §7.1.2.1: a value is required.
                guard let bits = parameter.value.flatMap(Self.windowBits) else { throw .invalidValue(parameter.name) }
                self.serverMaxWindowBits = bits
            case "client_max_window_bits":
                // RFC 7692 §7.1.2.2: the value is optional in an offer.
                if let value = parameter.value {
                    guard let bits = Self.windowBits(value) else { throw .invalidValue(parameter.name) }
                    self.clientMaxWindowBits = .some(bits)
                } else {
                    self.clientMaxWindowBits = .some(nil)
                }
            default:
                throw .unknownParameter(parameter.name)
            }
        }
    }

    /// RFC 7692 §7.1.2: a decimal integer 8...15 without leading zeros.
    static func windowBits(_ text: String) -> Int? {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int(text), (8...15).contains(value)
        else { return nil }
        return value
    }

    /// The element form.
    public var header: WebSocketExtensionHeader {
        var parameters: [WebSocketExtensionHeader.Parameter] = []
        if self.serverNoContextTakeover { parameters.append(.init("server_no_context_takeover")) }
        if self.clientNoContextTakeover { parameters.append(.init("client_no_context_takeover")) }
        if let bits = self.serverMaxWindowBits { parameters.append(.init("server_max_window_bits", value: String(bits))) }
        if let bits = self.clientMaxWindowBits { parameters.append(.init("client_max_window_bits", value: bits.map(String.init))) }
        return WebSocketExtensionHeader(name: PerMessageDeflate.extensionName, parameters: parameters)
    }
}
