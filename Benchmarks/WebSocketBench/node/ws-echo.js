// The node `ws` peer for `make bench-ws`: an echo server on any path, with `perMessageDeflate: true` (ws's own
// defaults) unless --no-deflate. Text stays text, binary stays binary.
//
//   NODE_PATH=/usr/share/nodejs node ws-echo.js [PORT] [--no-deflate] [--host 127.0.0.1]
// prints "listening on HOST:PORT" once bound (PORT 0 picks a free one).
'use strict';
const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
let port = 9003;
let host = '127.0.0.1';
let deflate = true;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--no-deflate') deflate = false;
  else if (arg === '--port') port = Number(args[++i]);
  else if (arg === '--host') host = args[++i];
  else if (/^\d+$/.test(arg)) port = Number(arg);
  else {
    console.error(`ws-echo.js: unknown argument ${arg}`);
    process.exit(2);
  }
}

const server = new WebSocketServer({ host, port, perMessageDeflate: deflate, maxPayload: 16 * 1024 * 1024 });
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => socket.terminate());
});
server.on('listening', () => {
  process.stdout.write(`listening on ${host}:${server.address().port}\n`);
});
// ws 8's close() waits for the clients; the benchmark only needs the process gone.
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
