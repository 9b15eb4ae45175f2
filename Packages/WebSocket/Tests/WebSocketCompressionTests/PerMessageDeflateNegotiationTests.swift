import GrestWebSocketTransport
import Testing

@testable import WebSocketCompression

@Suite("permessage-deflate negotiation (RFC 7692 §7.1)")
struct PerMessageDeflateNegotiationTests {
    private func offers(_ header: String) -> [WebSocketExtensionHeader] {
        WebSocketExtensionHeader.parse([header])!
    }

    private func answer(_ header: String, with deflate: PerMessageDeflate = PerMessageDeflate()) -> String? {
        deflate.negotiateAsServer(offers: self.offers(header))?.response.description
    }

    @Test(
        "server answers the first valid offer",
        arguments: [
            ("permessage-deflate", "permessage-deflate"),
            ("permessage-deflate; client_max_window_bits", "permessage-deflate"),
            ("permessage-deflate; client_max_window_bits=10", "permessage-deflate; client_max_window_bits=10"),
            ("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover"),
            ("permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover"),
            ("permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_max_window_bits=9"),
            // zlib cannot deflate with 8: accepted anyway, compressed with 9 (max distance 250 < 256).
            ("permessage-deflate; server_max_window_bits=8", "permessage-deflate; server_max_window_bits=8"),
            ("permessage-deflate; client_max_window_bits=8", "permessage-deflate; client_max_window_bits=8"),
            (
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_no_context_takeover; client_max_window_bits",
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9"
            ),
            // Invalid offers are skipped, the next valid one wins.
            ("permessage-deflate; server_max_window_bits=16, permessage-deflate", "permessage-deflate"),
            ("permessage-deflate; server_max_window_bits, permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover"),
            ("permessage-deflate; foo=1, permessage-deflate; client_max_window_bits=12", "permessage-deflate; client_max_window_bits=12"),
            ("permessage-deflate; server_no_context_takeover; server_no_context_takeover, permessage-deflate", "permessage-deflate"),
            ("permessage-deflate; server_max_window_bits=010, permessage-deflate", "permessage-deflate"),
            ("permessage-deflate; server_max_window_bits=\"10\"", "permessage-deflate; server_max_window_bits=10"),
        ]
    )
    func serverAnswer(offer: String, expected: String) {
        #expect(self.answer(offer) == expected)
    }

    @Test(
        "server declines when no offer is valid",
        arguments: [
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover=yes",
            "permessage-deflate; unknown",
        ]
    )
    func serverDeclines(offer: String) {
        #expect(self.answer(offer) == nil)
    }

    @Test("server configuration tightens the answer")
    func serverConfiguration() {
        let deflate = PerMessageDeflate(serverMaxWindowBits: 10, clientMaxWindowBits: 11, serverNoContextTakeover: true, clientNoContextTakeover: true)
        #expect(
            self.answer("permessage-deflate; client_max_window_bits", with: deflate)
                == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"
        )
        // Without client_max_window_bits in the offer the server must not limit the client's window.
        #expect(
            self.answer("permessage-deflate", with: deflate)
                == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10"
        )
    }

    @Test("client offer carries every configured parameter")
    func clientOffer() {
        #expect(PerMessageDeflate().clientOffers().map(\.description) == ["permessage-deflate; client_max_window_bits"])
        let deflate = PerMessageDeflate(serverMaxWindowBits: 12, clientMaxWindowBits: 9, serverNoContextTakeover: true, clientNoContextTakeover: true)
        #expect(
            deflate.clientOffers().map(\.description) == [
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=9"
            ]
        )
    }

    @Test(
        "client accepts valid responses and runs with what they agreed",
        arguments: [
            // response, then the client codec's (send window bits, send no-context-takeover, receive no-context-takeover)
            ("permessage-deflate", 15, false, false),
            ("permessage-deflate; server_no_context_takeover", 15, false, true),
            ("permessage-deflate; client_no_context_takeover", 15, true, false),
            ("permessage-deflate; server_max_window_bits=8", 15, false, false),
            ("permessage-deflate; client_max_window_bits=8", 9, false, false),  // zlib's smallest raw window is 9
            ("permessage-deflate; client_max_window_bits=12", 12, false, false),
            ("permessage-deflate; client_max_window_bits=15; server_max_window_bits=15", 15, false, false),
        ] as [(String, Int32, Bool, Bool)]
    )
    func clientAccepts(response: String, sendWindowBits: Int32, sendNoContextTakeover: Bool, receiveNoContextTakeover: Bool) throws {
        let negotiated = try PerMessageDeflate().negotiateAsClient(response: self.offers(response)[0])
        // The agreed header carries the response's parameters (in the canonical order).
        #expect(Set(negotiated.response.description.split(separator: "; ")) == Set(response.split(separator: "; ")))
        let codec = try #require(negotiated.makeCodec(false) as? PerMessageDeflateCodec)
        #expect(codec.settings.sendWindowBits == sendWindowBits)
        #expect(codec.settings.sendNoContextTakeover == sendNoContextTakeover)
        #expect(codec.settings.receiveNoContextTakeover == receiveNoContextTakeover)
    }

    @Test(
        "client rejects invalid responses",
        arguments: [
            "permessage-deflate; client_max_window_bits",  // a response needs a value
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; x=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        ]
    )
    func clientRejects(response: String) {
        #expect(throws: PerMessageDeflateParameters.Invalid.self) { try PerMessageDeflate().negotiateAsClient(response: self.offers(response)[0]) }
    }

    @Test("client rejects a larger server window than requested and a missing server_no_context_takeover")
    func clientRejectsUnrequested() {
        let deflate = PerMessageDeflate(serverMaxWindowBits: 10, serverNoContextTakeover: true)
        #expect(throws: PerMessageDeflateParameters.Invalid.invalidValue("server_max_window_bits")) {
            try deflate.negotiateAsClient(response: self.offers("permessage-deflate; server_no_context_takeover; server_max_window_bits=12")[0])
        }
        #expect(throws: PerMessageDeflateParameters.Invalid.invalidValue("server_no_context_takeover")) {
            try deflate.negotiateAsClient(response: self.offers("permessage-deflate; server_max_window_bits=10")[0])
        }
    }

    @Test("negotiated window bits 8 compress with 9 and stay within an 8-bit window")
    func windowBitsEight() {
        let settings = PerMessageDeflateCodec.Settings(
            agreed: PerMessageDeflateParameters(serverMaxWindowBits: 8),
            isServer: true,
            configuration: PerMessageDeflate()
        )
        #expect(settings.sendWindowBits == 9)
    }
}
