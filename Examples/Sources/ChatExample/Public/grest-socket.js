// grest-socket.js: a browser (and Node) client of the grest WebSocket wire protocol, hand-written, no build step.
//
// Frames are text: TYPE:PATH:ID:DATA (DATA may contain ':' and is everything after the third colon).
//   h:::{headers}  → k:::null | x:::{error}        handshake; the token travels here, never in the URL
//   r:Api.method:ID:{json} → s:Api.method:ID:{"success":…}   requests either way, one id counter per side
//   m:Api.method::{json}                           fire-and-forget
//   p::: → o:::                                     heartbeat; any inbound frame proves the peer alive
// Errors are plain objects {type, statusCode, data, displayMessage} (a GrestError instance).
//
//   const socket = new GrestSocket({url: 'ws://127.0.0.1:8080/ws/chat', contract: 'ChatApi', headers: () => ({authorization: 'Bearer alice'})});
//   socket.on('newMessage', (message) => show(message));
//   socket.on('areYouThere', () => true);              // answers the server's requests
//   await socket.connect();
//   const reply = await socket.call('sendMessage', {text: 'hi', channelId: 'general'});

/** A typed error as the server sent it (or a client-side one: CONNECTION_CLOSED, TIMEOUT, SERVER_ERROR). */
export class GrestError extends Error {
  constructor(type, statusCode, data, displayMessage) {
    super(displayMessage || type);
    this.type = type;
    this.statusCode = statusCode;
    this.data = data;
    this.displayMessage = displayMessage;
  }

  static from(body) {
    if (body && typeof body.type === 'string') {
      return new GrestError(body.type, body.statusCode ?? 500, body.data, body.context?.displayMessage ?? body.message);
    }
    return new GrestError('SERVER_ERROR', 500, undefined, body?.message ?? 'Invalid response');
  }
}

/** Splits a frame into [type, path, id, data]; data keeps its colons. */
export function parseFrame(text) {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  const third = second < 0 ? -1 : text.indexOf(':', second + 1);
  if (third < 0) return null;
  const raw = text.slice(third + 1);
  let data;
  if (raw !== '') {
    try { data = JSON.parse(raw); } catch { data = undefined; }
  }
  return {type: text.slice(0, first), path: text.slice(first + 1, second), id: text.slice(second + 1, third), data};
}

export function formatFrame(type, path = '', id = '', data = undefined) {
  return `${type}:${path}:${id}:${data === undefined ? '' : JSON.stringify(data)}`;
}

/** Reconnect delay: exponential from `base` to `max`, with full jitter (so a restarted server is not stampeded). */
export function backoffDelay(attempt, base = 250, max = 5000, random = Math.random) {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}

export class GrestSocket {
  /**
   * @param {object} options
   * @param {string} options.url            ws:// or wss:// URL of the socket path
   * @param {string} options.contract       the contract name (the PATH prefix, e.g. "ChatApi")
   * @param {() => object} [options.headers]  called before every handshake: the `h` frame's headers
   * @param {number} [options.requestTimeoutMs=10000]
   * @param {number} [options.handshakeTimeoutMs=5000]
   * @param {number} [options.heartbeatMs=15000]   send `p` after this much silence; close after twice that
   * @param {boolean} [options.reconnect=true]
   * @param {Function} [options.WebSocket]   the WebSocket class (global in browsers; `ws` in Node)
   */
  constructor(options) {
    this.url = options.url;
    this.contract = options.contract;
    this.headers = options.headers ?? (() => ({}));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000;
    this.heartbeatMs = options.heartbeatMs ?? 15000;
    this.reconnect = options.reconnect ?? true;
    this.backoff = options.backoff ?? backoffDelay;
    this.WebSocketClass = options.WebSocket ?? globalThis.WebSocket;
    this.handlers = new Map();
    this.listeners = new Map();
    this.pending = new Map();
    this.nextId = 1;
    this.ws = null;
    this.closedByUser = false;
    this.attempt = 0;
    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    this.state = 'idle';
  }

  /** Registers the handler of a server → client method; its return value (or promise) answers an `r`. */
  on(method, handler) {
    this.handlers.set(`${this.contract}.${method}`, handler);
    return this;
  }

  /** Lifecycle events: 'state' (state string), 'open' (after every handshake, first and reconnects), 'error'. */
  addEventListener(event, listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(listener);
  }

  emit(event, value) {
    for (const listener of this.listeners.get(event) ?? []) {
      try { listener(value); } catch (error) { console.error(error); }
    }
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  /** Opens the socket and performs the handshake; rejects with a GrestError (e.g. NOT_AUTHORIZED) on `x`. */
  connect() {
    this.closedByUser = false;
    this.setState('connecting');
    return this.open().catch((error) => {
      this.setState('closed');
      throw error;
    });
  }

  open() {
    return new Promise((resolve, reject) => {
      let settled = false;
      const ws = new this.WebSocketClass(this.url);
      this.ws = ws;
      const fail = (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.ws === ws) this.ws = null;
        try { ws.close(); } catch { /* already closed */ }
        reject(error);
      };
      const timer = setTimeout(() => fail(new GrestError('TIMEOUT', 504, undefined, 'Handshake timed out')), this.handshakeTimeoutMs);
      ws.onopen = () => ws.send(formatFrame('h', '', '', this.headers() ?? {}));
      ws.onerror = () => fail(new GrestError('CONNECTION_CLOSED', 503, undefined, 'Could not connect'));
      ws.onclose = () => {
        if (settled) this.dropped(ws);
        else fail(new GrestError('CONNECTION_CLOSED', 503, undefined, 'Closed during the handshake'));
      };
      ws.onmessage = (event) => {
        const text = typeof event.data === 'string' ? event.data : String(event.data);
        if (!settled) {
          const frame = parseFrame(text);
          if (frame?.type === 'k') {
            settled = true;
            clearTimeout(timer);
            this.attempt = 0;
            this.startHeartbeat(ws);
            this.setState('open');
            this.emit('open');
            resolve();
          } else if (frame?.type === 'x') {
            const error = GrestError.from(frame.data);
            error.unrecoverable = true;
            fail(error);
          }
          return;
        }
        this.receive(ws, text);
      };
    });
  }

  /** Calls a client → server method; resolves with `data`, rejects with a GrestError. */
  call(method, input, {timeoutMs = this.requestTimeoutMs} = {}) {
    const ws = this.ws;
    if (!ws || this.state !== 'open') {
      return Promise.reject(new GrestError('CONNECTION_CLOSED', 503, undefined, 'Not connected'));
    }
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GrestError('TIMEOUT', 504, undefined, `${method} timed out`));
      }, timeoutMs);
      this.pending.set(id, {resolve, reject, timer});
      ws.send(formatFrame('r', `${this.contract}.${method}`, id, input));
    });
  }

  /** Sends a fire-and-forget `m` frame; `false` when not connected. */
  send(method, input) {
    if (!this.ws || this.state !== 'open') return false;
    this.ws.send(formatFrame('m', `${this.contract}.${method}`, '', input));
    return true;
  }

  receive(ws, text) {
    this.lastSeen = Date.now();  // any inbound frame is proof of life
    const frame = parseFrame(text);
    if (!frame) return;
    switch (frame.type) {
      case 's': {
        const pending = this.pending.get(frame.id);
        if (!pending) return;
        this.pending.delete(frame.id);
        clearTimeout(pending.timer);
        if (frame.data?.success === true) pending.resolve(frame.data.data);
        else pending.reject(GrestError.from(frame.data));
        return;
      }
      case 'r':
      case 'm': {
        if (!frame.path) return;
        const handler = this.handlers.get(frame.path);
        if (frame.type === 'm') {
          if (handler) Promise.resolve().then(() => handler(frame.data)).catch((error) => this.emit('error', error));
          return;
        }
        const reply = (body) => { if (ws.readyState === 1) ws.send(formatFrame('s', frame.path, frame.id, body)); };
        if (!handler) {
          reply({success: false, type: 'ROUTE_NOT_FOUND', statusCode: 404, context: {displayMessage: `No handler for ${frame.path}`, timestamp: Date.now()}});
          return;
        }
        Promise.resolve()
          .then(() => handler(frame.data))
          .then((data) => reply(data === undefined ? {success: true, type: 'OK'} : {success: true, type: 'OK', data}))
          .catch((error) => reply({
            success: false, type: error?.type ?? 'SERVER_ERROR', statusCode: error?.statusCode ?? 500,
            context: {displayMessage: error?.displayMessage ?? 'Handler failed', timestamp: Date.now()},
          }));
        return;
      }
      case 'p':
        ws.send(formatFrame('o'));
        return;
      default:
        return;  // 'o' and unknown types: only proof of life
    }
  }

  startHeartbeat(ws) {
    this.lastSeen = Date.now();
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      const silent = Date.now() - this.lastSeen;
      if (silent > 2 * this.heartbeatMs) {
        try { ws.close(); } catch { /* gone */ }
        this.dropped(ws);
      } else if (silent >= this.heartbeatMs && ws.readyState === 1) {
        ws.send(formatFrame('p'));
      }
    }, Math.max(50, Math.floor(this.heartbeatMs / 2)));
  }

  /** The socket went away: fail what is pending, then reconnect unless the user closed it. */
  dropped(ws) {
    if (this.ws !== ws) return;
    this.ws = null;
    clearInterval(this.heartbeat);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new GrestError('CONNECTION_CLOSED', 503, undefined, 'Connection closed'));
      this.pending.delete(id);
    }
    if (this.closedByUser || !this.reconnect) {
      this.setState('closed');
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    this.setState('reconnecting');
    const delay = this.backoff(this.attempt++);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      if (this.closedByUser) return;
      try {
        await this.open();
      } catch (error) {
        this.emit('error', error);
        if (error.unrecoverable) this.setState('closed');
        else if (!this.closedByUser) this.scheduleReconnect();
      }
    }, delay);
  }

  /** Closes for good (no reconnect). */
  close() {
    this.closedByUser = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    const ws = this.ws;
    if (ws) {
      this.dropped(ws);
      try { ws.close(); } catch { /* gone */ }
    }
    this.setState('closed');
  }
}
