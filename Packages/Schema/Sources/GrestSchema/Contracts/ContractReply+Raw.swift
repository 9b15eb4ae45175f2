extension ContractReply {
    /// A 200 reply whose body is `body` as it is, not the JSON envelope: for transports' raw routes (a metrics
    /// scrape). The HTTP server sends it with the content type its route sets.
    public static func raw(_ body: [UInt8]) -> ContractReply {
        ContractReply(successBody: body)
    }
}
