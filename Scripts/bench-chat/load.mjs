// The load for `make bench-chat`: N receivers (bob) in #general and one sender (alice) at a fixed rate; measures
// delivered pushes/s and the latency from send to the moment every receiver has the message.
// Usage: node load.mjs URL CLIENTS RATE SECONDS SERVER_PID  →  one JSON line.
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {performance} from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const WebSocket = require(process.env.WS_MODULE ?? '/usr/share/nodejs/ws');
const [url, clientsArg, rateArg, secondsArg, pidArg] = process.argv.slice(2);
const clients = Number(clientsArg), rate = Number(rateArg), seconds = Number(secondsArg);

const rss = () => Number(readFileSync(`/proc/${pidArg}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;

function connect(token, onPush) {
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
      if (text.startsWith('m:ChatApi.newMessage:')) onPush(text);
      else if (text.startsWith('r:')) {
        const [type, path, id] = text.split(':', 3);  // server requests (areYouThere): answer them
        ws.send(`s:${path}:${id}:{"success":true,"type":"OK","data":true}`);
      } else if (text.startsWith('p:')) ws.send('o:::');
    });
  });
}

const sentAt = new Map();
const receivedCount = new Map();
const allReceived = [];
const deliveries = [];
let delivered = 0, lastDelivery = 0;
function onPush(text) {
  const start = text.indexOf('"text":"') + 8;
  const seq = Number(text.slice(start, text.indexOf('"', start)).slice(4));
  const now = performance.now();
  const sent = sentAt.get(seq);
  if (sent === undefined) return;  // warm-up
  delivered += 1;
  lastDelivery = now;
  deliveries.push(now - sent);
  const count = (receivedCount.get(seq) ?? 0) + 1;
  receivedCount.set(seq, count);
  if (count === clients) allReceived.push(now - sent);
}

const rssBefore = rss();
const receivers = [];
for (let index = 0; index < clients; index += 50) {
  const batch = [];
  for (let j = index; j < Math.min(clients, index + 50); j++) batch.push(connect('bob', onPush));
  receivers.push(...await Promise.all(batch));
}
const sender = await connect('alice', () => {});
await new Promise((resolve) => setTimeout(resolve, 500));
const rssAfter = rss();

let requestId = 1;
const send = (seq) => sender.send(`r:ChatApi.sendMessage:${requestId++}:{"text":"seq ${seq}","channelId":"general"}`);
for (let seq = -rate; seq < 0; seq++) send(seq);  // warm-up burst, not measured
await new Promise((resolve) => setTimeout(resolve, 1000));

const total = rate * seconds;
const started = performance.now();
for (let seq = 0; seq < total; seq++) {
  const due = started + (seq * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  sentAt.set(seq, performance.now());
  send(seq);
}
const deadline = performance.now() + 10000;
while (delivered < total * clients && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

const percentile = (values, p) => {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};
console.log(JSON.stringify({
  clients, rate, seconds,
  expected: total * clients, delivered,
  pushesPerSecond: delivered / ((lastDelivery - started) / 1000),
  allReceivedP50: percentile(allReceived, 0.5), allReceivedP99: percentile(allReceived, 0.99),
  deliveryP50: percentile(deliveries, 0.5), deliveryP99: percentile(deliveries, 0.99),
  completeMessages: allReceived.length, rssPerClient: (rssAfter - rssBefore) / (clients + 1),
}));
for (const ws of [...receivers, sender]) ws.terminate();
process.exit(0);
