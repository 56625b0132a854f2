"""Minimal raw ASGI WebSocket echo: the ceiling for mockpit's WebSocket stubs (bench/ws.py).

Accepts every connection and sends each text message back, as a mockpit echo stub does. Run as
bench/ws.py does:

    python -m uvicorn bare_ws_app:app --app-dir bench --http httptools --ws websockets-sansio --loop uvloop
"""


async def app(scope, receive, send):
    if scope["type"] != "websocket":
        if scope["type"] == "http":  # the readiness probe
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        await send({"type": "websocket.send", "text": message.get("text") or ""})
