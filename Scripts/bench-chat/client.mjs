// Shared by the bench loads (bench-chat/load.mjs, bench-cluster/load.mjs): a chat socket client speaking the wire
// protocol by hand, and the percentile the reports use.
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const WebSocket = require(process.env.WS_MODULE ?? '/usr/share/nodejs/ws');

// Opens a socket to `url` with `Bearer token`; resolves once the server accepted the handshake (`k`). Answers server
// requests (areYouThere) and app-level pings itself; every other frame goes to `onText`.
export function connect(url, token, onText) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {perMessageDeflate: false});
    ws.on('open', () => ws.send(`h:::${JSON.stringify({authorization: `Bearer ${token}`})}`));
    ws.on('error', reject);
    let ready = false;
    ws.on('message', (data) => {
      const text = data.toString();
      if (!ready) {
        if (text.startsWith('k:')) { ready = true; resolve(ws); } else if (text.startsWith('x:')) reject(new Error(text));
        return;
      }
      if (text.startsWith('r:')) {
        const [, path, id] = text.split(':', 3);  // server requests (areYouThere): answer them
        ws.send(`s:${path}:${id}:{"success":true,"type":"OK","data":true}`);
      } else if (text.startsWith('p:')) ws.send('o:::');
      else onText(text);
    });
  });
}

// Connects `count` receivers, 50 at a time; `urlOf(index)` is the URL of the index-th.
export async function connectReceivers(count, urlOf, token, onText) {
  const sockets = [];
  for (let index = 0; index < count; index += 50) {
    const batch = [];
    for (let j = index; j < Math.min(count, index + 50); j++) batch.push(connect(urlOf(j), token, onText));
    sockets.push(...await Promise.all(batch));
  }
  return sockets;
}

export const percentile = (values, p) => {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};
