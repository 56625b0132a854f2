"""The admin API's browser rules in a real browser (headless Chromium): a page on another origin cannot
create stubs or shut the server down, and a page reaching the server under its own domain (DNS
rebinding) cannot read the journal."""

from __future__ import annotations

import json

import httpx

from _browser import dump_dom
from mockpit import MockServer, get


def _attack_page(victim: str) -> str:
    # what a malicious page can do without CORS: "simple" cross-site POSTs whose answers it cannot read
    stub = json.dumps({"request": {"url": "/pwned"}, "response": {"status": 200}})
    return f"""<!doctype html><html><body><script>
const victim = {json.dumps(victim)};
async function attack() {{
  const simple = {{method: "POST", mode: "no-cors"}};
  const asText = {{...simple, headers: {{"Content-Type": "text/plain"}}, body: {json.dumps(stub)}}};
  try {{ await fetch(victim + "/__admin/mappings", asText); }} catch (e) {{}}
  try {{ await fetch(victim + "/__admin/shutdown", simple); }} catch (e) {{}}
  // last, to a stub path: its arrival proves the browser ran the attack, in order
  try {{ await fetch(victim + "/csrf-probe", {{...simple, body: "done"}}); }} catch (e) {{}}
  document.body.setAttribute("data-attack", "finished");
}}
attack();
</script></body></html>"""


def test_a_page_on_another_origin_cannot_drive_the_admin_api() -> None:
    with MockServer() as victim, MockServer() as attacker:
        attacker.when(get("/page")).respond(body=_attack_page(victim.url), headers={"Content-Type": "text/html"})
        dom = dump_dom(attacker.url_for("/page"))
        assert 'data-attack="finished"' in dom
        seen = victim.requests()
        probes = [e for e in seen if e.request.path == "/csrf-probe"]
        assert len(probes) == 1, [e.request.url for e in seen]
        assert probes[0].request.headers["origin"] == attacker.url  # it came from the attacker's page
        assert victim.stubs == []  # no stub created
        assert victim.is_running  # and no shutdown


def test_a_rebound_domain_cannot_read_the_journal() -> None:
    with MockServer() as victim:
        victim.when(get("/login")).respond(body="ok")
        port = victim.url.rsplit(":", 1)[1]
        httpx.get(victim.url_for("/login"), headers={"Authorization": "Bearer the-users-secret"})
        # the browser resolves rebind.test to 127.0.0.1, as an attacker's DNS would after the page loaded
        dom = dump_dom(
            f"http://rebind.test:{port}/__admin/requests",
            "--host-resolver-rules=MAP rebind.test 127.0.0.1",
        )
        assert "does not answer for Host" in dom, dom[:500]
        assert "/login" not in dom
        # the same browser under the server's own name reads it: the refusal is about the name
        own = dump_dom(victim.url_for("/__admin/requests"))
        assert "/login" in own
        assert "the-users-secret" not in own
