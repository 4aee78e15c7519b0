// What the client library must do against a real Sluice, written once and run
// both under Node (node.test.mjs) and in Chromium (browser.html). Each
// scenario gets a context: {SluiceClient, SluiceError, backoffDelay, url,
// http, options, cut} where `http` is the server's base URL, `options` what
// every client is made with (the WebSocket class under Node), and `cut`, when
// the runner can do it, drops every connection and refuses new ones until
// the promise it returns resolves.
// The server's config is in test_js_client.py.

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export function same(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message}: expected ${e}, got ${a}`);
}

const PATIENCE = 30000;  // only to avoid hanging

function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), PATIENCE);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function take(iterable, n, what) {
  const out = [];
  const it = iterable[Symbol.asyncIterator]();
  while (out.length < n) {
    const { value, done } = await within(it.next(), what);
    if (done) break;
    out.push(value);
  }
  return out;
}

async function postJson(ctx, path, body) {
  const response = await fetch(ctx.http + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  check(response.ok, `POST ${path}: ${response.status}`);
  return response.json();
}

function unique(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

async function collect(stream) {
  const frames = [];
  for await (const frame of stream) frames.push(frame);
  return frames;
}

export const scenarios = [
  {
    name: "the reconnect delay doubles from 2 s to 30 s, less up to half of it at random",
    run: async ({ backoffDelay }) => {
      same([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, undefined, () => 0)),
        [2000, 4000, 8000, 16000, 30000, 30000], "without jitter");
      same([0, 4].map((a) => backoffDelay(a, undefined, () => 1)), [1000, 15000], "with the most jitter");
      same(backoffDelay(2, { initial: 100, max: 1000, jitter: 0 }), 400, "own settings");
    },
  },
  {
    name: "request() is an async iterator of the request's frames, ending with final",
    run: async (ctx) => {
      const client = new ctx.SluiceClient(ctx.url, ctx.options);
      const welcome = await within(client.connect(), "welcome");
      check(welcome.routes.includes("up"), "routes in welcome");
      const frames = await within(collect(client.request("up", { text: "hello" })), "frames");
      same(frames.map((f) => f.type), ["accepted", "progress", "progress", "progress", "final"], "types");
      same(frames.at(-1).result, "HELLO", "result");
      client.close();
    },
  },
  {
    name: "an error frame is thrown as a SluiceError with its code; result rejects with it",
    run: async (ctx) => {
      const client = new ctx.SluiceClient(ctx.url, ctx.options);
      await within(client.connect(), "welcome");
      const stream = client.request("nope", {});
      let caught = null;
      try {
        await within(collect(stream), "the error");
      } catch (error) {
        caught = error;
      }
      check(caught instanceof ctx.SluiceError, `a SluiceError, got ${caught}`);
      same(caught.code, "unknown_route", "code");
      const again = await stream.result.catch((e) => e);
      same(again.code, "unknown_route", "result's code");
      client.close();
    },
  },
  {
    name: "cancel() ends a running stream with cancelled, and nothing of it comes after",
    run: async (ctx) => {
      const client = new ctx.SluiceClient(ctx.url, ctx.options);
      await within(client.connect(), "welcome");
      const stream = client.request("slow", { text: "x" });
      const first = await take(stream, 2, "the first frames");
      same(first.map((f) => f.type), ["accepted", "progress"], "before cancel");
      stream.cancel();
      const rest = await stream.result.catch((e) => e);
      same(rest.code, "cancelled", "the end");
      check(stream.finished, "finished");
      client.close();
    },
  },
  {
    name: "publish() resolves with the offset; a subscriber gets every message in order",
    run: async (ctx) => {
      const topic = unique("js.pubsub");
      const client = new ctx.SluiceClient(ctx.url, ctx.options);
      await within(client.connect(), "welcome");
      const subscription = client.subscribe(topic);
      await within(subscription.ready, "subscribed");
      const acks = [];
      for (const n of [1, 2, 3]) acks.push(await within(client.publish(topic, { n }), "published"));
      same(acks.map((a) => a.offset), [1, 2, 3], "offsets");
      const events = await take(subscription, 3, "events");
      same(events.map((e) => e.data.n), [1, 2, 3], "data");
      same(subscription.offset, 3, "position");
      client.close();
    },
  },
  {
    name: "after a reconnect each topic resumes after its last offset: what was published meanwhile comes once",
    run: async (ctx) => {
      const topic = unique("js.resume");
      const client = new ctx.SluiceClient(ctx.url, { ...ctx.options, backoff: { initial: 50, max: 400 } });
      await within(client.connect(), "welcome");
      const seen = [];
      const subscription = client.subscribe(topic, { onEvent: (e) => seen.push(e.data.n) });
      await within(subscription.ready, "subscribed");
      for (const n of [1, 2, 3]) await postJson(ctx, "/api/publish", { topic, data: { n } });
      await take(subscription, 3, "the first three");
      const session = client.session;
      const reconnected = new Promise((resolve) => client.on("welcome", resolve));
      if (ctx.cut) {
        // The network is down while 4-6 are published.
        await ctx.cut(async () => {
          for (const n of [4, 5, 6]) await postJson(ctx, "/api/publish", { topic, data: { n } });
        });
      } else {
        client.reconnect();
        for (const n of [4, 5, 6]) await postJson(ctx, "/api/publish", { topic, data: { n } });
      }
      await within(reconnected, "the new welcome");
      check(client.session !== session, "a new session");
      await take(subscription, 3, "the three published meanwhile");
      await postJson(ctx, "/api/publish", { topic, data: { n: 7 } });
      await take(subscription, 1, "a live one");
      same(seen, [1, 2, 3, 4, 5, 6, 7], "each message once, in order");
      client.close();
    },
  },
  {
    name: "with a client id, a request's stream goes on through a reconnect, with nothing lost or repeated",
    run: async (ctx) => {
      const client = new ctx.SluiceClient(ctx.url,
        { ...ctx.options, clientId: unique("js"), backoff: { initial: 50, max: 400 } });
      const welcome = await within(client.connect(), "welcome");
      check(welcome.inbox, "an inbox");
      const stream = client.request("slow", { text: "resume" });
      const frames = await take(stream, 3, "the first frames");
      if (ctx.cut) await ctx.cut(() => new Promise((resolve) => setTimeout(resolve, 300)));
      else client.reconnect();
      for await (const frame of stream) frames.push(frame);
      const steps = frames.filter((f) => f.type === "progress").map((f) => f.step);
      same(steps, Array.from({ length: 20 }, (_, i) => i + 1), "every step once");
      same(frames.at(-1).type, "final", "the end");
      same(frames.at(-1).result, "RESUME", "the result");
      check(client.resume, "the inbox credential of an anonymous client id is kept");
      client.close();
    },
  },
  {
    name: "without a client id, a request running when the connection drops ends with disconnected",
    run: async (ctx) => {
      const client = new ctx.SluiceClient(ctx.url, { ...ctx.options, backoff: { initial: 50, max: 400 } });
      await within(client.connect(), "welcome");
      const stream = client.request("slow", { text: "x" });
      await take(stream, 2, "the first frames");
      client.reconnect();
      const end = await within(stream.result.catch((e) => e), "the end");
      same(end.code, "disconnected", "the end");
      client.close();
    },
  },
  {
    name: "a token goes with the connection; a wrong one is refused and retried with backoff",
    run: async (ctx) => {
      const good = new ctx.SluiceClient(ctx.url, { ...ctx.options, token: () => "js-client-key" });
      const welcome = await within(good.connect(), "welcome");
      same(welcome.user, "tester", "the key's sub");
      good.close();
      const bad = new ctx.SluiceClient(ctx.url,
        { ...ctx.options, token: "wrong", backoff: { initial: 20, max: 80, jitter: 0 } });
      const delays = [];
      await within(new Promise((resolve) => {
        bad.on("reconnecting", ({ delay }) => {
          delays.push(delay);
          if (delays.length === 4) resolve();
        });
        bad.connect().catch(() => {});
      }), "four attempts");
      bad.close();
      same(delays, [20, 40, 80, 80], "the waits");
      same(bad.state, "closed", "state");
    },
  },
  {
    name: "services() lists services and watched files; service() starts one whose lines reach its log topic",
    run: async (ctx) => {
      const client = new ctx.SluiceClient(ctx.url, ctx.options);
      await within(client.connect(), "welcome");
      const { services, watches } = await within(client.services(), "services");
      same(services.map((s) => s.name), ["ticker"], "services");
      same(watches.map((w) => w.topic), ["files.data"], "watches");
      const log = client.subscribe("services.ticker.log");
      await within(log.ready, "subscribed");
      const status = await within(client.service("restart", "ticker"), "started");
      check(["running", "exited"].includes(status.state), `state ${status.state}`);
      const lines = [];
      for await (const event of log) {
        lines.push(event.data.line);
        if (lines.length === 3) break;
      }
      same(lines, ["tick 1", "tick 2", "tick 3"], "lines");
      const refused = await client.service("start", "nope").catch((e) => e);
      same(refused.code, "unknown_service", "an unknown service");
      client.close();
    },
  },
];
