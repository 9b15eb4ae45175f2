import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import PeerProcesses
import Testing

/// grest-ts runs on node `ws`; these tests put node `ws` (the Debian package `Scripts/bootstrap` installs) on the
/// other end of a typed socket, speaking the wire protocol by hand, with `ws`'s own defaults (its client offers
/// permessage-deflate, its server declines it) — the closest stand-in for a grest-ts peer on this machine.
@Suite("Typed sockets against node ws peers", .timeLimit(.minutes(2)))
struct NodeWSInteropTests {
    static let nodeWS = Peers.nodeWS

    @Test(.enabled("needs Debian node-ws; required under CI=true") { await Peers.runsNodeWS }) func nodeClientDrivesTheTypedServer() async throws {
        try await Peers.requireNodeWS()
        let marked = Inbox<String>()
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: "id-" + $0.text) }
                try socket.incoming.on(ChatApi.markAsRead) { request in
                    marked.add(request.messageId)
                    marked.add(String(try await socket.outgoing.call(ChatApi.areYouThere)))
                }
            }
        }) { port in
            let script = """
                const WebSocket = require('\(Self.nodeWS)');
                const ws = new WebSocket(process.argv[1]);
                const out = (line) => process.stdout.write(line + '\\n');
                ws.on('open', () => { out('ext:' + ws.extensions); ws.send('h:::{"authorization":"Bearer x"}'); });
                ws.on('message', (data) => {
                  const text = data.toString();
                  out(text);
                  if (text === 'k:::null') {
                    ws.send('r:PublicChat.sendMessage:1:{"text":"node","channelId":"c"}');
                  } else if (text.startsWith('s:PublicChat.sendMessage:1:')) {
                    ws.send('m:PublicChat.markAsRead::{"messageId":"m-node"}');
                  } else if (text.startsWith('r:PublicChat.areYouThere:')) {
                    const id = text.split(':')[2];
                    ws.send('s:PublicChat.areYouThere:' + id + ':{"success":true,"type":"OK","data":true}');
                    setTimeout(() => ws.close(1000), 100);
                  }
                });
                ws.on('close', (code) => { out('close:' + code); process.exit(0); });
                """
            let url = "ws://127.0.0.1:\(port)/ws/public"
            let output = try await Peers.run("node", ["-e", script, url], timeout: 30)
            let lines = output.stdout.split(separator: "\n").map(String.init)
            #expect(output.status == 0)
            #expect(lines.first == "ext:permessage-deflate", "the typed server accepts ws's deflate offer")
            #expect(lines.contains("k:::null"))
            #expect(lines.contains(#"s:PublicChat.sendMessage:1:{"success":true,"type":"OK","data":{"success":true,"messageId":"id-node"}}"#))
            #expect(lines.contains("r:PublicChat.areYouThere:1:"))
            #expect(await marked.wait(for: 2) == ["m-node", "true"])
        }
    }

    @Test(.enabled("needs Debian node-ws; required under CI=true") { await Peers.runsNodeWS }) func typedClientAgainstANodeServer() async throws {
        try await Peers.requireNodeWS()
        // A grest-ts-style server on node ws (no deflate, ws's server default): `h` → `k`, answers `r`, pushes `m`.
        let script = """
            const WebSocket = require('\(Self.nodeWS)');
            const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0 }, () => process.stdout.write(wss.address().port + '\\n'));
            wss.on('connection', (ws) => {
              ws.on('message', (data) => {
                const text = data.toString();
                const [type, path, id] = text.split(':');
                if (type === 'h') {
                  const headers = JSON.parse(text.slice(4));
                  if (headers.authorization !== 'Bearer alice') {
                    ws.send('x:::{"success":false,"type":"NOT_AUTHORIZED","statusCode":401,"context":{"displayMessage":"Invalid token"}}');
                    ws.close(4001, 'Handshake failed');
                    return;
                  }
                  ws.send('k:::null');
                  ws.send('m:PublicChat.newMessage::"hello from node"');
                } else if (type === 'r') {
                  const body = JSON.parse(text.split(':').slice(3).join(':'));
                  ws.send('s:' + path + ':' + id + ':' + JSON.stringify({ success: true, type: 'OK', data: { success: true, messageId: body.text + ':' + ws.extensions } }));
                }
              });
            });
            setTimeout(() => process.exit(0), 20000);
            """
        try await Peers.withServer("node", ["-e", script]) { port in
            func client(_ token: String) -> SocketClient<Void> {
                var configuration = SocketClientConfiguration()
                configuration.middleware = [BearerAuth(getToken: { token })]
                return PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
            }
            let alice = client("alice")
            let pushes = Inbox<String>()
            try alice.incoming.on(ChatApi.newMessage) { pushes.add($0) }
            try await alice.connect()
            #expect(await pushes.wait(for: 1) == ["hello from node"])
            let reply = try await alice.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "a:b", channelId: "c"))
            #expect(reply.messageId == "a:b:", "colons survive; no extension negotiated against a server that declines deflate")
            await alice.disconnect()

            do throws(ServiceError) {
                try await client("mallory").connect()
                Issue.record("a refused handshake connected")
            } catch {
                #expect(error.type == "NOT_AUTHORIZED")
                #expect(error.displayMessage == "Invalid token")
            }
        }
    }
}
