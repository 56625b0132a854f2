"""The transport: the only place that knows ASGI and uvicorn. Wire <-> model, faults below ASGI, TLS."""
