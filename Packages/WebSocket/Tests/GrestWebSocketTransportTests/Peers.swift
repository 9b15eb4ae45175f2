import PeerProcesses

/// The scripts the transport interop tests run in third-party peers.
extension Peers {
    /// Python client: echoes a set of messages through `url`, checks them, prints the negotiated extensions.
    static let pythonClient = #"""
        import asyncio, sys, websockets
        async def main(url, deflate):
            async with websockets.connect(url, compression="deflate" if deflate else None, max_size=None) as ws:
                print(ws.response.headers.get("Sec-WebSocket-Extensions") or "none")
                msgs = ["hello", "", "κόσμε " * 5000, b"\x00\xff" * 100000, "x" * 70000]
                for m in msgs:
                    await ws.send(m)
                    assert await ws.recv() == m
                await ws.send(["frag", "mented ", "text"])
                assert await ws.recv() == "fragmented text"
                await ws.close(code=4000, reason="done")
        asyncio.run(main(sys.argv[1], sys.argv[2] == "deflate"))
        """#

    /// Python echo server on an ephemeral port.
    static let pythonServer = #"""
        import asyncio, sys, websockets
        async def echo(ws):
            async for m in ws:
                await ws.send(m)
        async def main(deflate):
            async with websockets.serve(echo, "127.0.0.1", 0, compression="deflate" if deflate else None, max_size=None) as server:
                print(server.sockets[0].getsockname()[1], flush=True)
                await asyncio.Future()
        asyncio.run(main(sys.argv[1] == "deflate"))
        """#

    static let nodeClient = #"""
        const WebSocket = require('/usr/share/nodejs/ws');
        const [url, mode] = process.argv.slice(1);
        const ws = new WebSocket(url, { perMessageDeflate: mode === 'deflate', maxPayload: 0 });
        const msgs = ['hello', '', 'κόσμε '.repeat(5000), Buffer.alloc(200000, 7), 'x'.repeat(70000)];
        let i = 0;
        ws.on('open', () => { console.log(ws.extensions || 'none'); ws.send(msgs[0]); });
        ws.on('message', (data, isBinary) => {
          const expected = msgs[i];
          const got = isBinary ? data : data.toString();
          if (Buffer.isBuffer(expected) ? !expected.equals(got) : expected !== got) { console.error('mismatch at', i); process.exit(1); }
          i += 1;
          if (i < msgs.length) ws.send(msgs[i]); else ws.close(4000, 'done');
        });
        ws.on('close', (code) => process.exit(code === 4000 ? 0 : 2));
        ws.on('error', (e) => { console.error(e); process.exit(3); });
        """#

    static let nodeServer = #"""
        const WebSocket = require('/usr/share/nodejs/ws');
        const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0, perMessageDeflate: process.argv[1] === 'deflate', maxPayload: 0 });
        wss.on('listening', () => console.log(wss.address().port));
        wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
        """#
}
