// The client library under Node: every scenario of scenarios.mjs, with the
// `ws` package's WebSocket, through a TCP proxy this file can cut to play a
// network that goes down. SLUICE_PORT: the server's port.
import { test, after } from "node:test";
import net from "node:net";
import WebSocket from "ws";

import { SluiceClient, SluiceError, backoffDelay } from "../../../../clients/js/sluice.js";
import { scenarios } from "./scenarios.mjs";

const port = Number(process.env.SLUICE_PORT);

// Forwards connections to Sluice; cut(during) drops them all, refuses new
// ones while `during` runs, then listens again on the same port.
class Proxy {
  sockets = new Set();

  async listen(at = 0) {
    this.server = net.createServer((inbound) => {
      const outbound = net.connect(port, "127.0.0.1");
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {});
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.on("close", () => outbound.destroy());
      outbound.on("close", () => inbound.destroy());
    });
    await new Promise((resolve) => this.server.listen(at, "127.0.0.1", resolve));
    this.port = this.server.address().port;
  }

  async cut(during) {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const s of this.sockets) s.destroy();
    await closed;
    await during();
    await this.listen(this.port);
  }

  close() {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

const proxy = new Proxy();
await proxy.listen();
after(() => proxy.close());

const context = {
  SluiceClient,
  SluiceError,
  backoffDelay,
  url: `ws://127.0.0.1:${proxy.port}/ws`,
  http: `http://127.0.0.1:${port}`,
  options: { WebSocket },
  cut: (during) => proxy.cut(during),
};

for (const scenario of scenarios) test(scenario.name, () => scenario.run(context));
