"""Loops between mockpit servers: each proxied request and webhook call says it passed through mockpit.

A proxy stub whose ``proxyBaseUrl`` is the server itself (or two mockpit servers proxying to each other,
or a webhook that calls the stub that fires it) would forward for ever, a connection and a file per
hop. Every request mockpit sends on carries ``Via: 1.1 mockpit`` (RFC 9110 7.6.3: what a proxy adds
anyway); one that arrives having passed through :data:`MAX_HOPS` of them is not sent on again.
"""

from __future__ import annotations

from mockpit._model import Request

#: how many mockpit servers a request may pass through before the next one refuses to send it on;
#: real chains (a mock in front of a recorder in front of a service) have one or two
MAX_HOPS = 5
#: what mockpit adds to every request it sends on: RFC 9110's ``Via`` with mockpit as the pseudonym
VIA = ("Via", "1.1 mockpit")


def hops(request: Request) -> int:
    """How many mockpit servers ``request`` has passed through, from its ``Via`` headers."""
    count = 0
    for value in request.headers.get_all("via"):
        for entry in value.split(","):
            fields = entry.split()
            if len(fields) >= 2 and fields[1] == "mockpit":
                count += 1
    return count


def loop_message(request: Request, target: str) -> str:
    """Why ``request`` is not sent on to ``target``, for the 508 answer or the webhook's error."""
    return (
        f"mockpit: not sending {request.method} {request.url} on to {target}: it has already passed through "
        f"{hops(request)} mockpit servers (its Via headers), so it is going round in a loop. A proxy stub's "
        "proxyBaseUrl (or a webhook's url) points back at this server or at one that proxies back to it; "
        "point it at the real upstream.\n"
    )
