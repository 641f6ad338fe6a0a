#!/usr/bin/python3
"""A WebSocket server for the websocket prober's tests (Debian's
python3-websockets): websocket_echo_server.py PORT [CERT KEY]

Every connection is greeted with one message, then each text message it
receives is answered with "Welcome <message>". By path:
  /            "Hello, <X-Probe header> auth=<Authorization header>" (text)
  /fragmented  a ping, then "Hello, <X-Probe> (fragmented)" in 3 fragments
  /binary      "Hello, <X-Probe>" as a binary message
  /close       no greeting: a close frame, code 1000 "bye"
"""
import asyncio
import ssl
import sys

import websockets


async def handler(ws, path=None):
    path = ws.path
    who = ws.request_headers.get("X-Probe", "anon")
    auth = ws.request_headers.get("Authorization", "none")
    if path == "/close":
        await ws.close(1000, "bye")
        return
    if path == "/fragmented":
        await ws.ping(b"are you there")
        await ws.send(["Hello, ", who, " (fragmented)"])
    elif path == "/binary":
        await ws.send(("Hello, " + who).encode())
    else:
        await ws.send("Hello, " + who + " auth=" + auth)
    async for msg in ws:
        await ws.send("Welcome " + msg if isinstance(msg, str) else msg)


async def main():
    port = int(sys.argv[1])
    ctx = None
    if len(sys.argv) > 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    async with websockets.serve(handler, "127.0.0.1", port, ssl=ctx):
        await asyncio.Future()


asyncio.run(main())
