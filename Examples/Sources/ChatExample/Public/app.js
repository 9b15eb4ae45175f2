// The chat page: plain DOM code over grest-socket.js (the typed ChatApi contract on ws://…/ws/chat).
import {GrestSocket} from './grest-socket.js';

const $ = (selector) => document.querySelector(selector);
const PAGE = 30;
const TYPING_EVERY_MS = 1000;
const TYPING_SHOWN_MS = 3000;

const chat = {
  user: null,
  socket: null,
  current: 'general',
  channels: new Map(),       // id → {unread}
  oldestId: null,            // the oldest message shown, for "load earlier"
  lastShownId: 0,
  typing: new Map(),         // user → timeout
  lastTypingSent: 0,
};
window.chat = chat;          // for the browser test and curious developers

function login(user) {
  sessionStorage.setItem('grest-chat-user', user);
  location.hash = '';
  start(user);
}

function start(user) {
  chat.user = user;
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#me').textContent = user;
  const readOnly = user === 'guest';
  $('#text').disabled = readOnly;
  $('#send').disabled = readOnly;
  $('#new-channel-name').disabled = readOnly;
  $('#text').placeholder = readOnly ? 'Guests can read, not write' : 'Message';

  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new GrestSocket({
    url: `${scheme}://${location.host}/ws/chat`,
    contract: 'ChatApi',
    headers: () => ({authorization: `Bearer ${user}`}),
  });
  chat.socket = socket;
  socket.on('newMessage', onMessage);
  socket.on('typing', onTyping);
  socket.on('areYouThere', () => true);
  socket.on('presence', (presence) => showOnline(presence.users));
  socket.on('channelCreated', ({channelId}) => {
    if (!chat.channels.has(channelId)) chat.channels.set(channelId, {unread: 0});
    renderChannels();
  });
  socket.addEventListener('state', showState);
  socket.addEventListener('open', () => refresh().catch(showError));
  connectUntilUp(socket);
}

/** The first connect retries too (the server may not be up yet); later drops are the socket's own reconnects. */
async function connectUntilUp(socket, attempt = 0) {
  try {
    await socket.connect();
  } catch (error) {
    if (error.type === 'NOT_AUTHORIZED' || error.type === 'FORBIDDEN') return showError(error);
    showState('reconnecting');
    setTimeout(() => connectUntilUp(socket, attempt + 1), Math.min(5000, 250 * 2 ** attempt));
  }
}

/** After every (re)connect: channels with unread counts, who is online, the current channel's newest page. */
async function refresh() {
  const channels = await chat.socket.call('channels');
  chat.channels = new Map(channels.map((channel) => [channel.id, {unread: channel.unread}]));
  if (!chat.channels.has(chat.current)) chat.current = 'general';
  renderChannels();
  showOnline((await chat.socket.call('online')).users);
  await openChannel(chat.current);
}

async function openChannel(channelId) {
  chat.current = channelId;
  $('#channel-title').textContent = `# ${channelId}`;
  $('#messages').replaceChildren();
  $('#typing').textContent = '';
  chat.typing.clear();
  chat.oldestId = null;
  chat.lastShownId = 0;
  const page = await chat.socket.call('history', {channelId, limit: PAGE});
  if (chat.current !== channelId) return;
  for (const message of page.messages) appendMessage(message);
  chat.oldestId = page.messages[0]?.id ?? null;
  $('#load-earlier').hidden = !page.hasMore;
  scrollToBottom();
  markRead();
  renderChannels();
}

async function loadEarlier() {
  if (!chat.oldestId) return;
  const channelId = chat.current;
  const page = await chat.socket.call('history', {channelId, before: chat.oldestId, limit: PAGE});
  if (chat.current !== channelId) return;
  const scroller = $('#scroller');
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  const first = $('#messages').firstChild;
  for (const message of page.messages) $('#messages').insertBefore(messageElement(message), first);
  chat.oldestId = page.messages[0]?.id ?? chat.oldestId;
  $('#load-earlier').hidden = !page.hasMore;
  scroller.scrollTop = scroller.scrollHeight - fromBottom;
}

function onMessage(message) {
  if (!chat.channels.has(message.channelId)) chat.channels.set(message.channelId, {unread: 0});
  if (message.channelId === chat.current) {
    clearTyping(message.senderId);
    appendMessage(message);
    scrollToBottom();
    markRead();
  } else if (message.senderId !== chat.user) {
    chat.channels.get(message.channelId).unread += 1;
  }
  renderChannels();
}

function appendMessage(message) {
  const id = Number(message.id);
  if (id <= chat.lastShownId) return;  // already shown (a reconnect refresh may overlap live pushes)
  chat.lastShownId = id;
  $('#messages').append(messageElement(message));
}

function messageElement(message) {
  const item = document.createElement('li');
  item.className = message.senderId === chat.user ? 'message mine' : 'message';
  item.dataset.id = message.id;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const sender = document.createElement('span');
  sender.className = 'sender';
  sender.textContent = message.senderId;
  const time = document.createElement('time');
  time.textContent = new Date(message.timestamp).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
  meta.append(sender, time);
  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = message.text;
  item.append(meta, text);
  return item;
}

/** Moves the read marker to the newest message shown (persisted per user and channel on the server). */
function markRead() {
  const channel = chat.channels.get(chat.current);
  if (channel) channel.unread = 0;
  if (chat.lastShownId > 0 && document.visibilityState !== 'hidden') {
    chat.socket.call('markAsRead', {messageId: String(chat.lastShownId)}).catch(() => {});
  }
}

function onTyping({userId, channelId}) {
  if (channelId !== chat.current || userId === chat.user) return;
  clearTimeout(chat.typing.get(userId));
  chat.typing.set(userId, setTimeout(() => clearTyping(userId), TYPING_SHOWN_MS));
  renderTyping();
}

function clearTyping(userId) {
  clearTimeout(chat.typing.get(userId));
  chat.typing.delete(userId);
  renderTyping();
}

function renderTyping() {
  const users = [...chat.typing.keys()];
  $('#typing').textContent = users.length === 0 ? '' : `${users.join(', ')} ${users.length === 1 ? 'is' : 'are'} typing…`;
}

function renderChannels() {
  const list = $('#channels');
  list.replaceChildren();
  for (const [id, channel] of chat.channels) {
    const item = document.createElement('li');
    item.dataset.channel = id;
    item.className = (id === chat.current ? 'active' : '') + (channel.unread > 0 ? ' has-unread' : '');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = `# ${id}`;
    const unread = document.createElement('span');
    unread.className = 'unread';
    unread.textContent = channel.unread > 0 ? String(channel.unread) : '';
    item.append(name, unread);
    item.addEventListener('click', () => openChannel(id).catch(showError));
    list.append(item);
  }
}

function showOnline(users) {
  $('#online').replaceChildren(...users.map((user) => {
    const item = document.createElement('li');
    item.textContent = user === chat.user ? `${user} (you)` : user;
    item.dataset.user = user;
    return item;
  }));
}

function showState(state) {
  const status = $('#status');
  status.dataset.state = state;
  status.textContent = {open: 'connected', reconnecting: 'reconnecting…', connecting: 'connecting…', closed: 'disconnected'}[state] ?? state;
}

function showError(error) {
  $('#error').textContent = error ? `${error.type ?? 'ERROR'}: ${error.displayMessage ?? error.message ?? ''}` : '';
}

function scrollToBottom() {
  const scroller = $('#scroller');
  scroller.scrollTop = scroller.scrollHeight;
}

$('#composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('#text');
  const text = input.value.trim();
  if (!text) return;
  try {
    await chat.socket.call('sendMessage', {text, channelId: chat.current});
    input.value = '';
    showError(null);
  } catch (error) {
    showError(error);
  }
});

$('#text').addEventListener('input', () => {
  const now = Date.now();
  if (now - chat.lastTypingSent < TYPING_EVERY_MS || !chat.socket) return;
  chat.lastTypingSent = now;
  chat.socket.call('startTyping', {channelId: chat.current}).catch(() => {});
});

$('#new-channel').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('#new-channel-name');
  const channelId = input.value.trim().toLowerCase();
  if (!channelId) return;
  try {
    await chat.socket.call('createChannel', {channelId});
    if (!chat.channels.has(channelId)) chat.channels.set(channelId, {unread: 0});
    input.value = '';
    await openChannel(channelId);
  } catch (error) {
    showError(error);
  }
});

$('#load-earlier').addEventListener('click', () => loadEarlier().catch(showError));
$('#logout').addEventListener('click', () => {
  sessionStorage.removeItem('grest-chat-user');
  location.reload();
});
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') markRead(); });
for (const button of document.querySelectorAll('#login button')) button.addEventListener('click', () => login(button.dataset.user));

const remembered = sessionStorage.getItem('grest-chat-user');
if (remembered) start(remembered);
