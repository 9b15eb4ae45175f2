// The load for `make bench-cluster`: CLIENTS receivers (bob) spread round-robin over the servers in URLS
// (comma-separated), SENDERS senders (alice) on the servers in turn, each keeping WINDOW sendMessage requests in flight
// for SECONDS. Measures pushes delivered per second to the receivers and the latency from send to delivery
// (CLOCK_MONOTONIC via performance.now(): one process, so one clock).
// Usage: node load.mjs URLS CLIENTS SENDERS WINDOW SECONDS  →  one JSON line.
import {performance} from 'node:perf_hooks';
import {connect, connectReceivers, percentile} from '../bench-chat/client.mjs';

const [urlsArg, clientsArg, sendersArg, windowArg, secondsArg] = process.argv.slice(2);
const urls = urlsArg.split(',');
const clients = Number(clientsArg), senders = Number(sendersArg), window = Number(windowArg), seconds = Number(secondsArg);

let measuring = false;
let delivered = 0;
const latencies = [];
function onPush(text) {
  if (!text.startsWith('m:ChatApi.newMessage:')) return;
  const start = text.indexOf('"text":"') + 8;
  const sent = Number(text.slice(start, text.indexOf('"', start)));
  if (!measuring || !(sent > 0)) return;
  delivered += 1;
  if (delivered % 7 === 0) latencies.push(performance.now() - sent);
}

const receivers = await connectReceivers(clients, (j) => `${urls[j % urls.length]}/ws/chat`, 'bob', onPush);
let sent = 0, acknowledged = 0, refused = 0, stop = false;
const senderSockets = [];
for (let index = 0; index < senders; index++) {
  let requestId = 1;
  let socket;
  const fire = () => {
    if (stop) return;
    sent += 1;
    socket.send(`r:ChatApi.sendMessage:${requestId++}:{"text":"${performance.now()}","channelId":"general"}`);
  };
  socket = await connect(`${urls[index % urls.length]}/ws/chat`, 'alice', (text) => {
    if (!text.startsWith('s:ChatApi.sendMessage:')) return;
    if (text.includes('"success":true')) acknowledged += 1; else refused += 1;
    fire();
  });
  senderSockets.push({fire});
  senderSockets[index].socket = socket;
}
await new Promise((resolve) => setTimeout(resolve, 500));
for (const sender of senderSockets) for (let k = 0; k < window; k++) sender.fire();
await new Promise((resolve) => setTimeout(resolve, 1000));  // warm-up
measuring = true;
const started = performance.now();
const acknowledgedBefore = acknowledged;
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const elapsed = (performance.now() - started) / 1000;
const deliveredInWindow = delivered;
const messages = acknowledged - acknowledgedBefore;
stop = true;
await new Promise((resolve) => setTimeout(resolve, 1000));

console.log(JSON.stringify({
  servers: urls.length, clients, senders, window, seconds: elapsed,
  messagesPerSecond: messages / elapsed, pushesPerSecond: deliveredInWindow / elapsed,
  deliveryP50: percentile(latencies, 0.5), deliveryP99: percentile(latencies, 0.99), refused,
}));
for (const ws of receivers) ws.terminate();
for (const sender of senderSockets) sender.socket.terminate();
process.exit(0);
