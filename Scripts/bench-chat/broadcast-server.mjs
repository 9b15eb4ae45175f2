// The baseline for `make bench-chat`: a hand-written Node `ws` broadcast server speaking just enough of the grest
// wire (h → k, r:ChatApi.sendMessage → s, m:ChatApi.newMessage to everyone), in memory, no database, no validation.
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const {WebSocketServer} = require(process.env.WS_MODULE ?? '/usr/share/nodejs/ws');
const port = Number(process.argv[2] ?? 0);
const server = new WebSocketServer({port, host: '127.0.0.1', perMessageDeflate: false});
const clients = new Set();
let nextId = 1;

server.on('connection', (ws) => {
  let ready = false;
  ws.on('message', (data) => {
    const text = data.toString();
    if (!ready) {
      if (text.startsWith('h:')) {
        ready = true;
        clients.add(ws);
        ws.send('k:::null');
      }
      return;
    }
    if (!text.startsWith('r:ChatApi.sendMessage:')) return;
    const [, path, id] = text.split(':', 3);
    const input = JSON.parse(text.slice(text.indexOf(':', text.indexOf(':', 2) + 1) + 1));
    const messageId = String(nextId++);
    ws.send(`s:${path}:${id}:${JSON.stringify({success: true, type: 'OK', data: {success: true, messageId}})}`);
    const frame = `m:ChatApi.newMessage::${JSON.stringify({id: messageId, text: input.text, senderId: 'alice', timestamp: Date.now(), channelId: input.channelId})}`;
    for (const client of clients) client.send(frame);
  });
  ws.on('close', () => clients.delete(ws));
});
server.on('listening', () => console.log(`listening ${server.address().port}`));
