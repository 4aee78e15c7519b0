// Sluice client for browsers and Node: one ES module, no dependencies.
// docs/client-js.md describes it; docs/protocol.md the frames it speaks.
//
//   import { SluiceClient } from "./sluice.js";
//   const client = new SluiceClient("ws://localhost:3000/ws", { clientId: "laptop" });
//   await client.connect();
//   for await (const frame of client.request("uppercase", { text: "hi" })) console.log(frame);
//
// The connection comes back by itself after it drops (a delay of 2 s doubling
// to 30 s, with jitter); every subscription is resumed after the last offset
// it delivered, and with a client id, running requests resume through the
// client's inbox.

export const DEFAULT_BACKOFF = Object.freeze({ initial: 2000, max: 30000, jitter: 0.5 });

// The wait before reconnect attempt `attempt` (0: the first): `initial`
// doubling up to `max`, less a random part of up to `jitter` of it, so that
// clients cut off together do not all come back at the same moment.
export function backoffDelay(attempt, backoff = DEFAULT_BACKOFF, random = Math.random) {
  const { initial, max, jitter } = { ...DEFAULT_BACKOFF, ...backoff };
  const full = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(full * (1 - jitter * random()));
}

// An `error` frame (or a lost connection) as an exception.
export class SluiceError extends Error {
  constructor(code, message, frame = null) {
    super(message || code);
    this.name = "SluiceError";
    this.code = code;
    this.frame = frame;
  }
}

// An async queue: values pushed in, read with `for await`; end() finishes it,
// with an error to throw at the reader.
class Channel {
  #values = [];
  #readers = [];
  #ended = false;
  #error = null;

  push(value) {
    if (this.#ended) return;
    const reader = this.#readers.shift();
    if (reader) reader.resolve({ value, done: false });
    else this.#values.push(value);
  }

  end(error = null) {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    for (const reader of this.#readers.splice(0)) {
      if (error) reader.reject(error);
      else reader.resolve({ value: undefined, done: true });
    }
  }

  next() {
    if (this.#values.length) return Promise.resolve({ value: this.#values.shift(), done: false });
    if (this.#ended) {
      if (this.#error) {
        const error = this.#error;
        this.#error = null;  // thrown once; then the iteration is over
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
  }
}

// An async iterator over `channel`; leaving a loop early calls `stop`.
function iterate(channel, stop) {
  return {
    next: () => channel.next(),
    return: () => {
      stop();
      return Promise.resolve({ value: undefined, done: true });
    },
  };
}

// A promise whose rejection is not "unhandled" when nobody asked for it.
function settleable() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

// One request's frames, in order: `for await (const frame of stream)` yields
// `accepted`, then its stream frames, then `final`; an `error` frame is thrown
// as a SluiceError. Leaving the loop early cancels the request.
export class RequestStream {
  #client;
  #channel = new Channel();
  #done = settleable();
  #finished = false;

  constructor(client, id, session) {
    this.#client = client;
    this.id = id;
    this.session = session;  // of the connection that sent it
    this.request = null;     // the gateway's id, from `accepted`
  }

  // The `final` frame; rejects with a SluiceError.
  get result() { return this.#done.promise; }
  get finished() { return this.#finished; }

  cancel() {
    if (!this.#finished) this.#client.send({ type: "cancel", id: this.id });
  }

  [Symbol.asyncIterator]() {
    return iterate(this.#channel, () => this.cancel());
  }

  _frame(frame) {
    if (frame.type === "accepted") this.request = frame.request;
    if (frame.type === "error") {
      return this._end(new SluiceError(frame.code, frame.message, frame));
    }
    this.#channel.push(frame);
    if (frame.type === "final") this._end(null, frame);
  }

  _end(error, final = null) {
    if (this.#finished) return;
    this.#finished = true;
    this.#client._forget(this);
    this.#channel.end(error);
    if (error) this.#done.reject(error);
    else this.#done.resolve(final);
  }
}

// One topic followed by the client: its events through `onEvent` or
// `for await`. `offset` and `epoch` are where it stands; they are what it
// resumes from after a reconnect.
export class Subscription {
  #client;
  #channel = new Channel();
  #ready = settleable();

  constructor(client, topic, options) {
    this.#client = client;
    this.topic = topic;
    this.offset = options.since ?? null;  // the last offset delivered (null: none yet)
    this.epoch = options.epoch ?? null;
    this.kinds = options.kinds ?? null;
    this.onEvent = options.onEvent ?? null;
    this.onGap = options.onGap ?? null;
    this.active = true;
  }

  // Resolves with the first `subscribed` frame; rejects when it is refused.
  get ready() { return this.#ready.promise; }

  unsubscribe() {
    if (!this.active) return;
    this._close(null);
    this.#client.send({ type: "unsubscribe", topic: this.topic });
  }

  [Symbol.asyncIterator]() {
    return iterate(this.#channel, () => this.unsubscribe());
  }

  _frame(frame) {
    switch (frame.type) {
      case "subscribed":
        this.epoch = frame.epoch;
        this.#ready.resolve(frame);
        return;
      case "event":
        // After a reconnect the server starts after `offset`; anything at or
        // before it is a message this subscription already delivered.
        if (this.offset !== null && frame.offset <= this.offset) return;
        this.offset = frame.offset;
        this.onEvent?.(frame);
        this.#channel.push(frame);
        return;
      case "gap":
        this.epoch = frame.epoch;
        if (frame.reason === "epoch" || frame.reason === "failover") this.offset = frame.from - 1;
        else this.offset = Math.max(this.offset ?? 0, frame.to);
        this.onGap?.(frame);
        return;
      case "error":
        this._close(new SluiceError(frame.code, frame.message, frame));
        return;
    }
  }

  _resubscribeFrame(id) {
    const frame = { type: "subscribe", topic: this.topic, id };
    if (this.offset !== null) frame.since = this.offset;
    if (this.epoch !== null && this.offset !== null) frame.epoch = this.epoch;
    if (this.kinds) frame.kinds = this.kinds;
    return frame;
  }

  _close(error) {
    this.active = false;
    this.#client._forgetSubscription(this);
    this.#channel.end(error);
    if (error) this.#ready.reject(error);
  }
}

const OPEN = 1;

export class SluiceClient {
  #url;
  #options;
  #socket = null;
  #state = "idle";  // idle | connecting | open | reconnecting | closed
  #attempt = 0;
  #timer = null;
  #listeners = new Map();
  #outbox = [];              // frames waiting for the connection
  #requests = new Map();     // id -> RequestStream
  #subscriptions = new Map(); // topic -> Subscription
  #answers = new Map();      // frame id -> {resolve, reject} (publish, service_*)
  #subscribing = new Map();  // subscribe id -> Subscription
  #firstWelcome = settleable();
  #ids = 0;
  #prefix = Math.random().toString(36).slice(2, 8);

  // url: ws://host:port/ws. options:
  //   token      a JWT or API key, or a function returning one (called at each connect)
  //   clientId   requests and the inbox survive reconnects (docs/protocol.md, Inbox)
  //   resume     the inbox credential of an anonymous client id, when it has one
  //   backoff    {initial, max, jitter}: 2000 ms doubling to 30000 ms, jitter 0.5
  //   WebSocket  the WebSocket class (Node 20: the `ws` package's); default: the global one
  constructor(url, options = {}) {
    this.#url = url;
    this.#options = { ...options, backoff: { ...DEFAULT_BACKOFF, ...options.backoff } };
    this.welcome = null;       // the last `welcome`
    this.session = null;       // this connection's session id
    this.inbox = options.clientId ? { topic: null, offset: null, epoch: null } : null;
    this.resume = options.resume ?? null;
  }

  get state() { return this.#state; }

  // Listens to "welcome", "state", "reconnecting" ({attempt, delay}), "close"
  // ({code, reason}), "frame" (every frame), "inbox" (messages published to
  // the client's inbox) and "error" (error frames that concern no request or
  // subscription). Returns a function that stops it.
  on(event, listener) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(listener);
    return () => this.#listeners.get(event).delete(listener);
  }

  // Opens the connection; resolves with the first `welcome`.
  connect() {
    if (this.#state === "idle") this.#open();
    return this.#firstWelcome.promise;
  }

  // Closes for good: running requests end with `disconnected`.
  close() {
    this.#setState("closed");
    clearTimeout(this.#timer);
    this.#socket?.close(1000, "client closed");
    this.#socket = null;
    this.#failPending("the client was closed", true);
    this.#firstWelcome.reject(new SluiceError("disconnected", "the client was closed"));
  }

  // Drops the connection and connects again at once (as after a network change).
  reconnect() {
    if (this.#state === "closed") return;
    this.#attempt = 0;
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, "reconnecting");
    this.#lost(1000, "reconnecting", 0);
  }

  // Sends a frame as it is, now or once connected.
  send(frame) {
    if (this.#state === "closed") throw new SluiceError("disconnected", "the client was closed");
    if (this.#state === "open" && this.#socket?.readyState === OPEN) {
      // A request belongs to the connection it goes out on: its frames name that session.
      if (frame.type === "request") {
        const stream = this.#requests.get(String(frame.id));
        if (stream) stream.session = this.session;
      }
      this.#socket.send(JSON.stringify(frame));
    } else {
      this.#outbox.push(frame);
    }
  }

  // Runs `route` with `payload`: an async iterator of its frames.
  // options: id, priority, kinds.
  request(route, payload, options = {}) {
    const id = options.id ?? this.#nextId("r");
    const stream = new RequestStream(this, id, this.session);
    this.#requests.set(String(id), stream);
    const frame = { type: "request", id, payload };
    if (route) frame.route = route;
    if (options.priority) frame.priority = options.priority;
    if (options.kinds) frame.kinds = options.kinds;
    this.send(frame);
    return stream;
  }

  cancel(id) {
    this.#requests.get(String(id))?.cancel();
  }

  // Follows `topic`. options: since, epoch, kinds, onEvent, onGap.
  subscribe(topic, options = {}) {
    this.#subscriptions.get(topic)?._close(null);  // subscribing again moves the position
    const subscription = new Subscription(this, topic, options);
    this.#subscriptions.set(topic, subscription);
    if (this.#state === "open") this.#sendSubscribe(subscription);
    return subscription;
  }

  // Resolves with {offset, epoch} once the topic took the message.
  publish(topic, data) {
    return this.#ask({ type: "publish", topic, data }).then((f) => ({ offset: f.offset, epoch: f.epoch }));
  }

  // A managed service: action is start, stop, restart or status; resolves
  // with its status.
  service(action, name) {
    return this.#ask({ type: `service_${action}`, name }).then((f) => f.service);
  }

  // Every managed service's status, and the watched files: {services, watches}.
  services() {
    return this.#ask({ type: "service_list" }).then((f) => ({ services: f.services, watches: f.watches }));
  }

  // ---- internals ----

  _forget(stream) {
    if (this.#requests.get(String(stream.id)) === stream) this.#requests.delete(String(stream.id));
  }

  _forgetSubscription(subscription) {
    if (this.#subscriptions.get(subscription.topic) === subscription) {
      this.#subscriptions.delete(subscription.topic);
    }
  }

  #nextId(kind) {
    this.#ids += 1;
    return `${kind}-${this.#prefix}-${this.#ids}`;
  }

  #ask(frame) {
    const id = this.#nextId(frame.type[0]);
    return new Promise((resolve, reject) => {
      this.#answers.set(id, { resolve, reject });
      try {
        this.send({ ...frame, id });
      } catch (error) {
        this.#answers.delete(id);
        reject(error);
      }
    });
  }

  #emit(event, value) {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => { throw error; });
      }
    }
  }

  #setState(state) {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit("state", state);
  }

  #connectUrl() {
    const url = new URL(this.#url);
    if (this.#options.clientId) {
      url.searchParams.set("client_id", this.#options.clientId);
      if (this.resume) url.searchParams.set("resume", this.resume);
      if (this.inbox?.offset !== null && this.inbox?.epoch !== null) {
        url.searchParams.set("since", String(this.inbox.offset));
        url.searchParams.set("epoch", String(this.inbox.epoch));
      }
    }
    return url.toString();
  }

  async #open() {
    this.#setState(this.#attempt === 0 && !this.welcome ? "connecting" : "reconnecting");
    const WebSocketClass = this.#options.WebSocket ?? globalThis.WebSocket;
    if (!WebSocketClass) {
      this.#setState("closed");
      this.#firstWelcome.reject(new SluiceError("no_websocket",
        "no WebSocket class here: pass options.WebSocket (in Node 20, the `ws` package's)"));
      return;
    }
    let token = this.#options.token;
    try {
      if (typeof token === "function") token = await token();
    } catch (error) {
      return this.#lost(0, `the token function failed: ${error.message}`);
    }
    if (this.#state === "closed") return;
    const protocols = token ? ["sluice", `bearer.${token}`] : [];
    let socket;
    try {
      socket = new WebSocketClass(this.#connectUrl(), protocols);
    } catch (error) {
      return this.#lost(0, error.message);
    }
    this.#socket = socket;
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      if (typeof event.data !== "string") return;
      for (const line of event.data.split("\n")) {
        if (line) this.#onFrame(JSON.parse(line));
      }
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#lost(event.code, event.reason);
    };
    socket.onerror = () => {};  // onclose follows, with what is known
  }

  // The connection is gone: fail what cannot survive it, then try again.
  #lost(code, reason, delay = null) {
    this.#emit("close", { code, reason });
    if (this.#state === "closed") return;
    this.#failPending("the connection was lost", !this.#options.clientId);
    const wait = delay ?? backoffDelay(this.#attempt, this.#options.backoff);
    this.#attempt += 1;
    this.#setState("reconnecting");
    this.#emit("reconnecting", { attempt: this.#attempt, delay: wait });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#open(), wait);
  }

  // Answers that were awaited on the lost connection never come; requests do
  // only through an inbox.
  #failPending(why, requestsToo) {
    const error = new SluiceError("disconnected", why);
    for (const { reject } of this.#answers.values()) reject(error);
    this.#answers.clear();
    this.#subscribing.clear();
    if (requestsToo) for (const stream of [...this.#requests.values()]) stream._end(error);
  }

  #sendSubscribe(subscription) {
    const id = this.#nextId("s");
    this.#subscribing.set(id, subscription);
    this.send(subscription._resubscribeFrame(id));
  }

  #onWelcome(frame) {
    this.welcome = frame;
    this.session = frame.session;
    this.#attempt = 0;
    if (frame.resume) this.resume = frame.resume;
    if (this.inbox && frame.inbox) this.inbox.topic = frame.inbox;
    this.#setState("open");
    const waiting = this.#outbox.splice(0);
    for (const subscription of this.#subscriptions.values()) this.#sendSubscribe(subscription);
    for (const pending of waiting) this.send(pending);
    this.#emit("welcome", frame);
    this.#firstWelcome.resolve(frame);
  }

  #onFrame(frame) {
    this.#emit("frame", frame);
    if (frame.type === "welcome") return this.#onWelcome(frame);
    // The inbox: its position is where a reconnect resumes.
    if (this.inbox && frame.topic !== undefined && frame.topic === this.inbox.topic) {
      if (frame.type === "subscribed") {
        this.inbox.epoch = frame.epoch;
        return;
      }
      if (frame.type === "gap") {
        this.inbox.epoch = frame.epoch;
        return;
      }
      if (typeof frame.offset === "number") {
        if (this.inbox.offset !== null && frame.offset <= this.inbox.offset) return;  // seen
        this.inbox.offset = frame.offset;
      }
      // A message a backend sent to this client (POST /api/publish to its inbox).
      if (frame.type === "event") return this.#emit("inbox", frame);
    }
    if (frame.id !== undefined && frame.id !== null) {
      const key = String(frame.id);
      const answer = this.#answers.get(key);
      if (answer) {
        this.#answers.delete(key);
        if (frame.type === "error") answer.reject(new SluiceError(frame.code, frame.message, frame));
        else answer.resolve(frame);
        return;
      }
      const subscription = this.#subscribing.get(key);
      if (subscription) {
        if (frame.type === "subscribed" || frame.type === "error") this.#subscribing.delete(key);
        return subscription._frame(frame);
      }
      const stream = this.#requests.get(key);
      // Frames of another connection of the same client id are not ours.
      if (stream && (!frame.session || !stream.session || frame.session === stream.session)) {
        if (!stream.session && frame.session) stream.session = frame.session;
        return stream._frame(frame);
      }
    }
    if (frame.topic !== undefined && (frame.type === "event" || frame.type === "gap")) {
      return this.#subscriptions.get(frame.topic)?._frame(frame);
    }
    if (frame.type === "error") this.#emit("error", new SluiceError(frame.code, frame.message, frame));
  }
}
