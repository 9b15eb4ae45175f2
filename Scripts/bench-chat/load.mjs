// The load for `make bench-chat`: N receivers (bob) in #general and one sender (alice) at a fixed rate; measures
// delivered pushes/s and the latency from send to the moment every receiver has the message.
// Usage: node load.mjs URL CLIENTS RATE SECONDS SERVER_PID  →  one JSON line.
import {readFileSync} from 'node:fs';
import {performance} from 'node:perf_hooks';
import {connect, connectReceivers, percentile} from './client.mjs';

const [url, clientsArg, rateArg, secondsArg, pidArg] = process.argv.slice(2);
const clients = Number(clientsArg), rate = Number(rateArg), seconds = Number(secondsArg);

const rss = () => Number(readFileSync(`/proc/${pidArg}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;

const sentAt = new Map();
const receivedCount = new Map();
const allReceived = [];
const deliveries = [];
let delivered = 0, lastDelivery = 0;
function onPush(text) {
  if (!text.startsWith('m:ChatApi.newMessage:')) return;
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
const receivers = await connectReceivers(clients, () => url, 'bob', onPush);
const sender = await connect(url, 'alice', () => {});
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
