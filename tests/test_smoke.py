from __future__ import annotations

import httpx

from mockpit import MockServer, get


def test_a_stub_answers_over_a_real_socket(server: MockServer, client: httpx.Client) -> None:
    server.when(get("/ping")).respond(json={"pong": True})
    response = client.get("/ping")
    assert response.status_code == 200
    assert response.json() == {"pong": True}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
