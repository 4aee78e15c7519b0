// The dashboard served at /dashboard/ (server.dashboard: true). Everything it
// shows comes from this server: services and watched files over the
// WebSocket (through the client library), topics from GET /api/topics,
// counters from /metrics.
import { SluiceClient } from "./sluice.js";

const $ = (selector) => document.querySelector(selector);
const POLL_MS = 2000;
const LOG_LINES = 500;      // kept per service
const CHART_POINTS = 90;

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
let token = sessionStorage.getItem("sluice.token") || "";
let client = null;
let welcomed = false;

const services = new Map();  // name -> {status, lines: [], row}
const files = new Map();     // watched topic -> the element showing its content
let selected = null;         // the service whose log is shown

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function notice(text) {
  $("#notice").hidden = !text;
  $("#notice").textContent = text || "";
}

function time(ms) {
  return ms ? new Date(ms).toLocaleTimeString() : "";
}

// ---- connection ----

function connect() {
  client?.close();
  welcomed = false;
  services.clear();
  files.clear();
  selected = null;
  $("#services tbody").replaceChildren();
  client = new SluiceClient(wsUrl, { token: () => token });
  client.on("state", (state) => {
    $("#connection").dataset.state = state;
    $("#connection").textContent = state;
  });
  client.on("close", () => {
    // A browser is not told why a WebSocket was refused; before any welcome
    // the likeliest reason is a missing or wrong token.
    if (!welcomed) {
      $("#token-form").hidden = false;
      notice(token ? "The server refused the connection: is the token right?"
        : "The server refused the connection: it may need a token.");
    }
  });
  client.on("welcome", (welcome) => {
    welcomed = true;
    $("#node").textContent = `node ${welcome.node}`;
    $("#token-form").hidden = !token;
    notice("");
    loadServices();
  });
  client.connect().catch(() => {});
}

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("#token").value.trim();
  sessionStorage.setItem("sluice.token", token);
  connect();
});

// ---- services ----

async function loadServices() {
  let answer;
  try {
    answer = await client.services();
  } catch (error) {
    $("#services").hidden = true;
    $("#services-empty").hidden = false;
    $("#services-empty").textContent = error.code === "forbidden"
      ? "This client may not control services (services.allow)."
      : error.code === "unknown_service" ? "No services are configured." : error.message;
    return;
  }
  $("#services").hidden = false;
  $("#services-empty").hidden = answer.services.length > 0;
  $("#services-empty").textContent = "No services are configured.";
  for (const status of answer.services) follow(status);
  if (!selected && answer.services.length) select(answer.services[0].name);
  showFiles(answer.watches);
}

function follow(status) {
  let entry = services.get(status.name);
  if (!entry) {
    entry = { status, lines: [], row: null };
    services.set(status.name, entry);
    if (status.log_topic) {
      client.subscribe(status.log_topic, { since: 0, onEvent: (e) => logLine(status.name, e.data) });
    }
    if (status.events_topic) {
      client.subscribe(status.events_topic, { onEvent: (e) => lifeEvent(status.name, e.data) });
    }
  }
  entry.status = status;
  renderService(entry);
}

function renderService(entry) {
  const s = entry.status;
  const exit = s.last_exit
    ? (s.last_exit.signal ? `signal ${s.last_exit.signal}` : `code ${s.last_exit.code}`) + ` at ${time(s.last_exit.at)}`
    : "";
  const actions = el("td");
  for (const action of ["start", "stop", "restart"]) {
    const running = s.state === "running" || s.state === "stopping";
    const button = el("button", { type: "button", dataset: { action, service: s.name } }, action[0].toUpperCase() + action.slice(1));
    button.disabled = (action === "start" && running) || (action === "stop" && !running && s.state !== "backoff");
    button.addEventListener("click", () => control(action, s.name));
    actions.append(button);
  }
  const name = el("a", { href: "#", dataset: { service: s.name } }, s.name);
  name.addEventListener("click", (event) => { event.preventDefault(); select(s.name); });
  const row = el("tr", { dataset: { service: s.name } },
    el("td", {}, name),
    el("td", {}, el("span", { class: "state", dataset: { state: s.state } }, s.state)),
    el("td", {}, s.pid ? String(s.pid) : ""),
    el("td", {}, String(s.restarts)),
    el("td", {}, exit),
    actions);
  if (entry.row) entry.row.replaceWith(row);
  else $("#services tbody").append(row);
  entry.row = row;
}

async function control(action, name) {
  try {
    follow(await client.service(action, name));
    notice("");
  } catch (error) {
    notice(`${action} ${name}: ${error.code}: ${error.message}`);
  }
}

async function refresh(name) {
  if (client.state !== "open") return;  // asked again once connected
  try {
    follow(await client.service("status", name));
  } catch {
    // the next event or poll tries again
  }
}

function select(name) {
  selected = name;
  $("#log-service").textContent = name;
  $("#log").replaceChildren(...services.get(name).lines.map(renderLine));
  $("#log").scrollTop = $("#log").scrollHeight;
}

function renderLine(line) {
  return el("div", { class: line.kind }, line.text);
}

function addLine(name, line) {
  const entry = services.get(name);
  if (!entry) return;
  entry.lines.push(line);
  if (entry.lines.length > LOG_LINES) entry.lines.shift();
  if (name !== selected) return;
  const log = $("#log");
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(renderLine(line));
  while (log.childElementCount > LOG_LINES) log.firstElementChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function logLine(name, message) {
  const text = message.line ?? JSON.stringify(message.json);
  addLine(name, { kind: message.stream, text: `${time(message.ts)} ${text}${message.cut ? " [cut]" : ""}` });
}

function lifeEvent(name, message) {
  const details = { ...message };
  for (const key of ["service", "event", "ts"]) delete details[key];
  addLine(name, { kind: "event", text: `${time(message.ts)} ● ${message.event} ${JSON.stringify(details)}` });
  refresh(name);
}

// ---- watched files ----

function showFiles(watches) {
  $("#files").replaceChildren();
  if (!watches.length) $("#files").append(el("p", { class: "muted" }, "No files are watched."));
  for (const watch of watches) {
    const body = el("pre", { dataset: { topic: watch.topic } }, "(nothing yet)");
    const box = el("div", { class: "file" }, el("strong", {}, watch.path), " → ", el("code", {}, watch.topic), body);
    $("#files").append(box);
    if (!files.has(watch.topic)) {
      client.subscribe(watch.topic, { onEvent: (e) => showFile(watch.topic, e.data) });
    }
    files.set(watch.topic, body);
  }
}

function showFile(topic, message) {
  const body = files.get(topic);
  if (!body) return;
  const head = `${message.event} at ${time(message.ts)}${message.size !== undefined ? `, ${message.size} bytes` : ""}`;
  let content = "";
  if (message.json !== undefined) content = JSON.stringify(message.json, null, 2);
  else if (message.text !== undefined) content = message.text;
  else if (message.reason) content = message.reason;
  body.textContent = `${head}\n${content}`;
}

// ---- server: /metrics and /api/topics ----

function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const [, key, value] of (match[2] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

const sum = (samples, name) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
const history = { published: [], requests: [] };
let previous = null;

async function pollMetrics() {
  let samples;
  try {
    samples = parseMetrics(await (await fetch("/metrics")).text());
  } catch {
    return;
  }
  const now = performance.now();
  const totals = {
    published: sum(samples, "sluice_topic_messages_published_total"),
    requests: sum(samples, "sluice_requests_total"),
  };
  if (previous) {
    const seconds = (now - previous.at) / 1000;
    for (const key of Object.keys(history)) {
      history[key].push(Math.max(0, (totals[key] - previous.totals[key]) / seconds));
      if (history[key].length > CHART_POINTS) history[key].shift();
    }
  }
  previous = { at: now, totals };
  const stats = [
    ["connections", sum(samples, "sluice_connections_open")],
    ["topics", sum(samples, "sluice_topics")],
    ["jobs running", sum(samples, "sluice_jobs_active")],
    ["delivered", sum(samples, "sluice_topic_messages_delivered_total")],
  ];
  $("#stats").replaceChildren(...stats.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { dataset: { stat: k } }, String(v))]));
  const circuits = ["closed", "half_open", "open"];
  const upstreams = samples.filter((s) => s.name === "sluice_upstream_circuit_state");
  $("#upstreams tbody").replaceChildren(...upstreams.map((s) => el("tr", { dataset: { upstream: s.labels.upstream } },
    el("td", {}, s.labels.upstream),
    el("td", {}, el("span", { class: "state", dataset: { state: circuits[s.value] } }, circuits[s.value] ?? String(s.value))))));
  if (!upstreams.length) {
    $("#upstreams tbody").append(el("tr", {}, el("td", { class: "muted", colspan: "2" }, "No upstreams are configured.")));
  }
  drawChart();
}

function drawChart() {
  const canvas = $("#chart");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = canvas.clientWidth * ratio;
  canvas.height = canvas.clientHeight * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  g.clearRect(0, 0, w, h);
  const top = Math.max(1, ...history.published, ...history.requests);
  g.fillStyle = "#6a737d";
  g.font = "11px system-ui";
  g.fillText(`${top.toFixed(top < 10 ? 1 : 0)}/s`, 4, 12);
  const colours = { published: "#0969da", requests: "#bf3989" };
  for (const [key, points] of Object.entries(history)) {
    g.strokeStyle = colours[key];
    g.lineWidth = 1.5;
    g.beginPath();
    points.forEach((v, i) => {
      const x = w - (points.length - 1 - i) * (w / (CHART_POINTS - 1));
      const y = h - 4 - (v / top) * (h - 20);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
  }
}

const topicLast = new Map();  // topic -> {last, at}

async function pollTopics() {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  let answer;
  try {
    const response = await fetch("/api/topics", { headers });
    if (response.status === 401 || response.status === 403) {
      $("#topics-note").hidden = false;
      $("#topics-note").textContent = "Listing topics needs one of the server's HTTP API keys as the token.";
      return;
    }
    if (!response.ok) return;
    answer = await response.json();
  } catch {
    return;
  }
  $("#topics-note").hidden = true;
  const now = performance.now();
  const rows = answer.topics.sort((a, b) => a.topic.localeCompare(b.topic)).map((t) => {
    const before = topicLast.get(t.topic);
    const rate = before ? Math.max(0, (t.last - before.last) / ((now - before.at) / 1000)) : 0;
    topicLast.set(t.topic, { last: t.last, at: now });
    return el("tr", { dataset: { topic: t.topic } }, el("td", {}, t.topic), el("td", {}, String(t.subscribers)),
      el("td", {}, String(t.last)), el("td", {}, rate.toFixed(1)));
  });
  $("#topics tbody").replaceChildren(...rows);
}

function poll() {
  pollMetrics();
  pollTopics();
  if (services.size && client.state === "open") {
    client.services().then((answer) => answer.services.forEach(follow), () => {});
  }
}

connect();
poll();
setInterval(poll, POLL_MS);
