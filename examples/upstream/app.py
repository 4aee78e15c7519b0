#!/usr/bin/python3
"""Example compute service for Sluice's upstreams (FastAPI; Debian python3-fastapi,
python3-uvicorn). Also a test fixture.

  WS   /ws                   receives {"text": T}; sends PROGRESS_STEPS x {"type":"progress","step":i}
                             PROGRESS_INTERVAL_MS apart, then {"type":"final","result":T.upper()}.
                             The connection stays open for more requests until the client closes it.
  POST /api/generate-stream  body {"prompt": "..."}: text/event-stream of data: {"token": word}
                             events, then data: {"done": true, "tool_calls": []}
  POST /api/echo[/PATH]      {"path": …, "body": what it received (JSON, else text), "headers": {…}}:
                             exactly what Sluice sent, for `kind: http` routes and for users.
  POST /api/echo-stream[/PATH]  the same as one Server-Sent Event {"done": true, "echo": {…}},
                             for `kind: sse` routes.
  WS   /ws/echo              answers each message with {"type":"final","echo":{"message":…,
                             "headers":{…}}}: the message and the handshake's headers.
  ANY  /api/status/CODE       answers HTTP CODE with {"status": CODE} (a 3xx with Location: /health)
  GET  /api/text              a plain-text answer (not JSON)
  GET  /health               {"ok": true}

Environment: HOST (127.0.0.1), PORT (8000), PROGRESS_STEPS (3), PROGRESS_INTERVAL_MS (1000),
TOKEN_INTERVAL_MS (0); SSL_CERTFILE and SSL_KEYFILE (PEM) to serve HTTPS (and WSS) instead. Run with Debian's interpreter:
    /usr/bin/python3 examples/upstream/app.py
"""

import asyncio
import json
import os

import uvicorn
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from websockets.exceptions import ConnectionClosed

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
STEPS = int(os.environ.get("PROGRESS_STEPS", "3"))
INTERVAL = float(os.environ.get("PROGRESS_INTERVAL_MS", "1000")) / 1000.0
TOKEN_INTERVAL = float(os.environ.get("TOKEN_INTERVAL_MS", "0")) / 1000.0

app = FastAPI()


@app.get("/health")
async def health():
    return {"ok": True}


@app.websocket("/ws")
async def uppercase(ws: WebSocket):
    await ws.accept()
    try:
        while True:
            message = json.loads(await ws.receive_text())
            text = str(message.get("text", "")) if isinstance(message, dict) else str(message)
            for step in range(1, STEPS + 1):
                await ws.send_text(json.dumps({"type": "progress", "step": step}))
                await asyncio.sleep(INTERVAL)
            await ws.send_text(json.dumps({"type": "final", "result": text.upper()}))
    except (WebSocketDisconnect, ConnectionClosed):
        pass  # the client (Sluice, when its own client left or cancelled) went away


async def echo_of(request: Request, path: str):
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError:
        body = raw.decode("utf-8", "replace")
    return {"path": "/" + path if path else "", "query": str(request.url.query), "body": body,
            "headers": {k.lower(): v for k, v in request.headers.items()}}


@app.api_route("/api/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@app.api_route("/api/echo/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def echo(request: Request, path: str = ""):
    return await echo_of(request, path)


@app.post("/api/echo-stream")
@app.post("/api/echo-stream/{path:path}")
async def echo_stream(request: Request, path: str = ""):
    received = await echo_of(request, path)

    async def events():
        yield "data: " + json.dumps({"done": True, "echo": received}) + "\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@app.api_route("/api/status/{code}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def status(code: int):
    headers = {"Location": "/health"} if 300 <= code < 400 else None
    return JSONResponse({"status": code}, status_code=code, headers=headers)


@app.get("/api/text")
async def text():
    return PlainTextResponse("plain words, not JSON")


@app.websocket("/ws/echo")
async def echo_socket(ws: WebSocket):
    await ws.accept()
    headers = {k.lower(): v for k, v in ws.headers.items()}
    try:
        while True:
            message = json.loads(await ws.receive_text())
            await ws.send_text(json.dumps({"type": "final",
                                           "echo": {"message": message, "headers": headers}}))
    except (WebSocketDisconnect, ConnectionClosed):
        pass


@app.post("/api/generate-stream")
async def generate_stream(request: Request):
    body = await request.json()
    words = str(body.get("prompt", "")).split()

    async def events():
        for word in words:
            yield "data: " + json.dumps({"token": word}) + "\n\n"
            await asyncio.sleep(TOKEN_INTERVAL)
        yield "data: " + json.dumps({"done": True, "tool_calls": []}) + "\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


if __name__ == "__main__":
    uvicorn.run(app, host=HOST, port=PORT, log_level=os.environ.get("LOG_LEVEL", "warning"),
                ws="websockets", ssl_certfile=os.environ.get("SSL_CERTFILE"),
                ssl_keyfile=os.environ.get("SSL_KEYFILE"))
