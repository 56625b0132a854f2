"""The transport: the only place that knows ASGI and uvicorn.

``asgi`` is the app (wire <-> model, body limits, faults); ``wire`` gives it the connection below ASGI,
through a subclass of uvicorn's protocol, and holds each client to the ``limits`` (time to send a
request, a cap on connections); ``linger`` closes a connection without losing its last answer;
``serve`` drives uvicorn on a socket and loop of our own; ``tls`` makes or loads the certificate for HTTPS.
"""
