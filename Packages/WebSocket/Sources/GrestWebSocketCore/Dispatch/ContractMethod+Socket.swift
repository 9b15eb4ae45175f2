public import GrestSchema

extension ContractMethod {
    /// The DATA of an outgoing `r` or `m`: the validated input JSON, or empty when the method takes none.
    public func socketPayload(_ input: Input) throws(ServiceError) -> [UInt8] {
        hasInput ? try encodeInput(input) : []
    }

    /// Reads the `s` answering a call of this method: typed success, a listed or system error, else
    /// SERVER_ERROR "Invalid response", as grest-ts's client checks a reply against the contract.
    public func decodeSocketReply(_ frame: SocketFrame) -> CallResult<Success> {
        switch frame.data() {
        case .json(let body):
            switch decodeReply(body) {
            case .success(let value): return .success(value)
            case .failure(var error):
                guard error.type == "SERVER_ERROR" else { return .failure(error) }
                // grest-ts drops SERVER_ERROR data; an unlisted TYPE or a broken envelope reads "Invalid response".
                error.data = nil
                if error.displayMessage == nil, body["type"]?.stringValue != "SERVER_ERROR" { error.displayMessage = "Invalid response" }
                return .failure(error)
            }
        case .absent: return .failure(SERVER_ERROR(displayMessage: "Invalid response", debugMessage: "Empty response frame"))
        case .malformed(let error): return .failure(SERVER_ERROR(displayMessage: "Invalid response", debugMessage: "Malformed response: \(error)"))
        }
    }
}
