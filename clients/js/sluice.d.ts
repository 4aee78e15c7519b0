// Types for sluice.js (docs/client-js.md).

export interface Backoff {
  /** The first wait, in ms (default 2000). */
  initial: number;
  /** The longest wait, in ms (default 30000). */
  max: number;
  /** The part of each wait that is random, 0..1 (default 0.5). */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<Backoff>;

/** The wait before reconnect attempt `attempt` (0: the first). */
export function backoffDelay(attempt: number, backoff?: Partial<Backoff>, random?: () => number): number;

/** A frame from the server: always a `type`, the rest depends on it (docs/protocol.md). */
export interface Frame {
  type: string;
  id?: string | number;
  [field: string]: unknown;
}

export interface Welcome extends Frame {
  type: "welcome";
  session: string;
  node: string;
  protocol: number;
  routes: string[];
  default_route: string | null;
  inbox?: string;
  resume?: string;
  user?: string;
  user_channel?: string;
}

export interface TopicEvent extends Frame {
  type: "event";
  topic: string;
  offset: number;
  ts: number;
  data: unknown;
}

export interface Gap extends Frame {
  type: "gap";
  topic: string;
  epoch: number;
  from: number;
  to: number;
  reason: "history" | "slow" | "epoch" | "failover";
}

export interface ServiceStatus {
  name: string;
  state: "stopped" | "running" | "stopping" | "backoff" | "exited" | "failed";
  pid: number | null;
  started_at: number | null;
  restarts: number;
  last_exit: { code: number | null; signal: number | null; at: number; duration_ms: number; stopped: boolean } | null;
  last_error: string | null;
  restart: "never" | "on_failure" | "always";
  log_topic: string | null;
  events_topic: string | null;
}

export interface WatchedFile {
  path: string;
  topic: string;
  format: "json" | "text" | "event";
}

export class SluiceError extends Error {
  /** An error code of docs/protocol.md, or `disconnected`. */
  code: string;
  /** The `error` frame, when the server sent one. */
  frame: Frame | null;
}

export interface ClientOptions {
  /** A JWT or API key, or a function that returns one (called at each connect). */
  token?: string | (() => string | Promise<string>);
  /** Requests and the inbox survive reconnects. */
  clientId?: string;
  /** The inbox credential of an anonymous client id (from a previous `welcome`). */
  resume?: string;
  backoff?: Partial<Backoff>;
  /** The WebSocket class; default: the global one (in Node 20, pass the `ws` package's). */
  WebSocket?: unknown;
}

export interface RequestOptions {
  id?: string | number;
  priority?: "low" | "normal" | "high" | "critical";
  kinds?: string[];
}

export class RequestStream implements AsyncIterable<Frame> {
  readonly id: string | number;
  /** The session of the connection the request went out on. */
  session: string | null;
  /** The gateway's id for the request, once `accepted`. */
  request: string | null;
  /** The `final` frame; rejects with a SluiceError. */
  readonly result: Promise<Frame>;
  readonly finished: boolean;
  cancel(): void;
  [Symbol.asyncIterator](): AsyncIterator<Frame>;
}

export interface SubscribeOptions {
  /** Deliver the messages after this offset. */
  since?: number;
  /** The epoch `since` belongs to. */
  epoch?: number;
  kinds?: string[];
  onEvent?: (event: TopicEvent) => void;
  onGap?: (gap: Gap) => void;
}

export class Subscription implements AsyncIterable<TopicEvent> {
  readonly topic: string;
  /** The last offset delivered (null: none yet). */
  offset: number | null;
  epoch: number | null;
  active: boolean;
  /** The first `subscribed` frame; rejects when the subscription is refused. */
  readonly ready: Promise<Frame>;
  unsubscribe(): void;
  [Symbol.asyncIterator](): AsyncIterator<TopicEvent>;
}

export type ClientState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export interface ClientEvents {
  welcome: Welcome;
  state: ClientState;
  reconnecting: { attempt: number; delay: number };
  close: { code: number; reason: string };
  frame: Frame;
  inbox: TopicEvent;
  error: SluiceError;
}

export class SluiceClient {
  constructor(url: string, options?: ClientOptions);
  readonly state: ClientState;
  /** The last `welcome`. */
  welcome: Welcome | null;
  session: string | null;
  /** With a client id: the inbox and how far this client has read it. */
  inbox: { topic: string | null; offset: number | null; epoch: number | null } | null;
  resume: string | null;
  on<E extends keyof ClientEvents>(event: E, listener: (value: ClientEvents[E]) => void): () => void;
  connect(): Promise<Welcome>;
  close(): void;
  reconnect(): void;
  send(frame: Frame): void;
  request(route: string | null, payload?: unknown, options?: RequestOptions): RequestStream;
  cancel(id: string | number): void;
  subscribe(topic: string, options?: SubscribeOptions): Subscription;
  publish(topic: string, data: unknown): Promise<{ offset: number; epoch: number }>;
  service(action: "start" | "stop" | "restart" | "status", name: string): Promise<ServiceStatus>;
  services(): Promise<{ services: ServiceStatus[]; watches: WatchedFile[] }>;
}
