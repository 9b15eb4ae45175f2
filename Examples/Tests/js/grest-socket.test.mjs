// Wire-level tests of Public/grest-socket.js (the browser client) under Node, against the real Swift chat server
// (GREST_CHAT_SERVER = path of the built grest-chat-server) and against small `ws` peers for what a healthy server
// never does (stay silent, ping). Run by Scripts/browser-test.sh: `node --test Examples/Tests/js/`.
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createRequire} from 'node:module';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {GrestSocket, GrestError, parseFrame, formatFrame, backoffDelay} from '../../Sources/ChatExample/Public/grest-socket.js';

const require = createRequire(import.meta.url);
const WS = require(process.env.WS_MODULE ?? '/usr/share/nodejs/ws');
const SERVER = process.env.GREST_CHAT_SERVER;
const folder = mkdtempSync(join(tmpdir(), 'grest-js-'));
const db = join(folder, 'chat.sqlite');
after(() => rmSync(folder, {recursive: true, force: true}));

function startServer(port = 0) {
  return new Promise((resolve, reject) => {
    const child = spawn(SERVER, ['--port', String(port), '--db', db], {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/open http:\/\/127\.0\.0\.1:(\d+)\//);
      if (match) resolve({child, port: Number(match[1])});
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

function stopServer(server) {
  return new Promise((resolve) => {
    server.child.removeAllListeners('exit');
    server.child.on('exit', resolve);
    server.child.kill('SIGTERM');
  });
}

function client(port, token, options = {}) {
  return new GrestSocket({
    url: `ws://127.0.0.1:${port}/ws/chat`, contract: 'ChatApi', WebSocket: WS,
    headers: () => ({authorization: `Bearer ${token}`}), ...options,
  });
}

function waitFor(predicate, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out waiting'));
      setTimeout(poll, 10);
    };
    poll();
  });
}

test('frames: DATA keeps its colons, empty DATA is undefined', () => {
  assert.deepEqual(parseFrame('s:ChatApi.x:3:{"a":"b:c"}'), {type: 's', path: 'ChatApi.x', id: '3', data: {a: 'b:c'}});
  assert.equal(parseFrame('k:::').data, undefined);
  assert.equal(parseFrame('nonsense'), null);
  assert.equal(formatFrame('r', 'ChatApi.ping', '1'), 'r:ChatApi.ping:1:');
  const delays = Array.from({length: 8}, (_, attempt) => backoffDelay(attempt, 250, 5000, () => 0.5));
  assert.ok(delays.every((delay, index) => index === 0 || delay >= delays[index - 1]), 'backoff grows');
  assert.ok(backoffDelay(30, 250, 5000, () => 1) <= 5000, 'backoff is capped');
  assert.notEqual(backoffDelay(3, 250, 5000, () => 0), backoffDelay(3, 250, 5000, () => 1), 'backoff is jittered');
});

test('against the Swift server', async (t) => {
  let server = await startServer();
  const port = server.port;
  const alice = client(port, 'alice', {backoff: () => 100});
  const bob = client(port, 'bob', {backoff: () => 100});
  const bobInbox = [];
  bob.on('newMessage', (message) => bobInbox.push(message));
  bob.on('areYouThere', () => true);
  await alice.connect();
  await bob.connect();

  await t.test('handshake, requests and pushes', async () => {
    const channels = await alice.call('channels');
    assert.deepEqual(channels.map((channel) => channel.id).slice(0, 2), ['general', 'random']);
    const reply = await alice.call('sendMessage', {text: 'hello: from js', channelId: 'general'});
    assert.equal(reply.success, true);
    await waitFor(() => bobInbox.length === 1);
    assert.equal(bobInbox[0].text, 'hello: from js');
    assert.equal(bobInbox[0].senderId, 'alice');
  });

  await t.test('typed errors as {type, statusCode, data}', async () => {
    const invalid = await alice.call('sendMessage', {text: '', channelId: 'general'}).catch((error) => error);
    assert.ok(invalid instanceof GrestError);
    assert.equal(invalid.type, 'VALIDATION_ERROR');
    assert.equal(invalid.statusCode, 422);
    assert.ok(Array.isArray(invalid.data) && invalid.data[0].path === 'text');
    const guest = client(port, 'guest');
    await guest.connect();
    const forbidden = await guest.call('sendMessage', {text: 'hi', channelId: 'general'}).catch((error) => error);
    assert.equal(forbidden.type, 'FORBIDDEN');
    assert.equal(forbidden.statusCode, 403);
    guest.close();
    const mallory = client(port, 'mallory');
    const refused = await mallory.connect().catch((error) => error);
    assert.equal(refused.type, 'NOT_AUTHORIZED');
    assert.equal(refused.statusCode, 401);
    assert.equal(mallory.state, 'closed');
  });

  await t.test('server requests are answered (areYouThere roll call)', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/online`, {headers: {authorization: 'Bearer bob'}});
    const online = (await response.json()).data;
    assert.equal(online.connections, 2);
    assert.equal(online.answering, 1, 'bob answers, alice has no handler and gets ROUTE_NOT_FOUND back');
  });

  await t.test('reconnects by itself after a server restart and sees the old history', async () => {
    const states = [];
    alice.addEventListener('state', (state) => states.push(state));
    let reopened = 0;
    alice.addEventListener('open', () => { reopened += 1; });
    await stopServer(server);
    await waitFor(() => alice.state === 'reconnecting');
    const pending = await alice.call('channels').catch((error) => error);
    assert.equal(pending.type, 'CONNECTION_CLOSED');
    server = await startServer(port);
    await waitFor(() => alice.state === 'open' && bob.state === 'open', 15000);
    assert.ok(reopened >= 1);
    assert.ok(states.includes('reconnecting'));
    const page = await alice.call('history', {channelId: 'general'});
    assert.deepEqual(page.messages.map((message) => message.text), ['hello: from js']);
  });

  alice.close();
  bob.close();
  assert.equal(alice.state, 'closed');
  await stopServer(server);
});

test('a request times out when the peer never answers, and a ping is answered', async () => {
  const peer = new WS.WebSocketServer({port: 0, host: '127.0.0.1'});
  const received = [];
  peer.on('connection', (ws) => ws.on('message', (data) => {
    const text = data.toString();
    received.push(text);
    if (text.startsWith('h:')) {
      ws.send('k:::null');
      ws.send('p:::');
    }
  }));
  await new Promise((resolve) => peer.on('listening', resolve));
  const socket = new GrestSocket({url: `ws://127.0.0.1:${peer.address().port}/`, contract: 'ChatApi', WebSocket: WS, requestTimeoutMs: 200});
  await socket.connect();
  assert.ok(received[0].startsWith('h:::'), 'the handshake is the first frame');
  const started = Date.now();
  const error = await socket.call('channels').catch((failure) => failure);
  assert.equal(error.type, 'TIMEOUT');
  assert.ok(Date.now() - started >= 190);
  await waitFor(() => received.includes('o:::'));
  assert.ok(received.includes('r:ChatApi.channels:1:'));
  socket.close();
  await new Promise((resolve) => peer.close(resolve));
});

test('a handshake that never completes times out', async () => {
  const peer = new WS.WebSocketServer({port: 0, host: '127.0.0.1'});
  await new Promise((resolve) => peer.on('listening', resolve));
  const socket = new GrestSocket({url: `ws://127.0.0.1:${peer.address().port}/`, contract: 'ChatApi', WebSocket: WS, handshakeTimeoutMs: 200});
  const error = await socket.connect().catch((failure) => failure);
  assert.equal(error.type, 'TIMEOUT');
  socket.close();
  for (const ws of peer.clients) ws.terminate();
  await new Promise((resolve) => peer.close(resolve));
});
