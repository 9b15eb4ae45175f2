/// A WebSocket client with no protocol checks, for tests that must put bytes on the wire that no real client sends
/// (invalid UTF-8, oversized frames, a plain HTTP request to a WebSocket endpoint).
///
/// It runs as a python3 script (standard library only) so that the server under test sees a separate process on a
/// real loopback socket. It writes hand-built, masked frames and prints, one per line, what the server sent back:
/// `status <code>` for a refused upgrade, `data <opcode> <hex payload>` for data frames, `close <code>` for the close
/// frame (1005 when it carries no code), `eof` when the connection ended without one, `timeout` when the server sent
/// nothing for 30 seconds (generous: the 10 000-connection test loads the machine in parallel).
public enum RawWebSocketClient {
    /// One frame to send: the FIN bit, the opcode and the unmasked payload (the script masks it).
    public struct Frame: Sendable {
        public var fin: Bool
        public var opcode: UInt8
        public var payload: [UInt8]

        public init(fin: Bool = true, opcode: UInt8, payload: [UInt8]) {
            self.fin = fin
            self.opcode = opcode
            self.payload = payload
        }

        public static func text(_ payload: [UInt8], fin: Bool = true) -> Frame { Frame(fin: fin, opcode: 0x1, payload: payload) }
        public static func continuation(_ payload: [UInt8], fin: Bool = true) -> Frame { Frame(fin: fin, opcode: 0x0, payload: payload) }
        public static func binary(_ payload: [UInt8]) -> Frame { Frame(opcode: 0x2, payload: payload) }
        /// A close frame with code 1000.
        public static let close = Frame(opcode: 0x8, payload: [0x03, 0xE8])
        /// Not a frame: waits until `count` data frames came back before sending what follows (a close sent right
        /// behind a message would race the server's echo of it).
        public static func awaitReplies(_ count: Int) -> Frame { Frame(fin: true, opcode: 0xFF, payload: [UInt8(count)]) }

        var argument: String {
            if self.opcode == 0xFF { return "wait:\(self.payload[0])" }
            return "\(self.fin ? 1 : 0):\(self.opcode):" + self.payload.map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined()
        }
    }

    /// Upgrades `path` on `127.0.0.1:port`, sends `frames`, and returns every line the script printed.
    public static func exchange(port: Int, path: String = "/", frames: [Frame]) async throws -> [String] {
        try await self.run(["upgrade", String(port), path] + frames.map(\.argument))
    }

    /// Sends a plain `GET path` (no upgrade headers) and returns `status <code>`.
    public static func plainGET(port: Int, path: String) async throws -> [String] {
        try await self.run(["plain", String(port), path])
    }

    private static func run(_ arguments: [String]) async throws -> [String] {
        let output = try await Peers.run("python3", ["-c", self.script] + arguments, timeout: 60)
        guard output.status == 0 else { throw Failure(status: output.status, stderr: output.stderr) }
        return output.stdout.split(separator: "\n").map(String.init)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var status: Int32
        public var stderr: String
        public var description: String { "raw client exited with \(self.status): \(self.stderr)" }
    }

    static let script = #"""
        import base64, os, socket, struct, sys

        def recv_exact(s, n, buf):
            while len(buf[0]) < n:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                except socket.timeout:
                    print("timeout", flush=True)
                    sys.exit(0)
                if not chunk:
                    return None
                buf[0] += chunk
            out, buf[0] = buf[0][:n], buf[0][n:]
            return out

        def frame(fin, opcode, payload):
            head = bytes([(0x80 if fin else 0) | opcode])
            n = len(payload)
            if n < 126:
                head += bytes([0x80 | n])
            elif n < 65536:
                head += bytes([0x80 | 126]) + struct.pack(">H", n)
            else:
                head += bytes([0x80 | 127]) + struct.pack(">Q", n)
            mask = os.urandom(4)
            return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

        def main():
            mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            if mode == "plain":
                request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            else:
                key = base64.b64encode(os.urandom(16)).decode()
                request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
            s.sendall(request.encode())
            buf = [b""]
            while b"\r\n\r\n" not in buf[0]:
                chunk = s.recv(65536)
                if not chunk:
                    print("eof")
                    return
                buf[0] += chunk
            head, buf[0] = buf[0].split(b"\r\n\r\n", 1)
            status = head.split(b" ")[1].decode()
            if mode == "plain" or status != "101":
                print("status", status, flush=True)
                return
            def read_frames(limit):
                # Prints frames until `limit` data frames (None: no limit); False once the connection is over.
                seen = 0
                while limit is None or seen < limit:
                    header = recv_exact(s, 2, buf)
                    if header is None:
                        print("eof", flush=True)
                        return False
                    opcode, n = header[0] & 0x0F, header[1] & 0x7F
                    if n == 126:
                        n = struct.unpack(">H", recv_exact(s, 2, buf))[0]
                    elif n == 127:
                        n = struct.unpack(">Q", recv_exact(s, 8, buf))[0]
                    payload = recv_exact(s, n, buf)
                    if payload is None:
                        print("eof", flush=True)
                        return False
                    if opcode == 8:
                        print("close", struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005, flush=True)
                        return False
                    print("data", opcode, payload.hex(), flush=True)
                    seen += 1
                return True
            for spec in sys.argv[4:]:
                if spec.startswith("wait:"):
                    if not read_frames(int(spec[5:])):
                        return
                    continue
                fin, opcode, payload = spec.split(":")
                try:
                    s.sendall(frame(fin == "1", int(opcode), bytes.fromhex(payload)))
                except (BrokenPipeError, ConnectionResetError):
                    break
            read_frames(None)

        main()
        """#
}
