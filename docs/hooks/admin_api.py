"""MkDocs hook: the admin API page's endpoint table, rendered from the API's own OpenAPI document.

The table in docs/admin-api.md is written at build time from ``mockpit._admin.openapi.document()``,
the document the server serves at ``/__admin/openapi.json``, so the page cannot drift from the routes.
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- admin-api-endpoints -->"
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def endpoint_table() -> str:
    from mockpit._admin.openapi import document

    spec = document()
    rows = ["| method | path | what it does |", "|---|---|---|"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in _METHODS:  # "parameters" shared by the path's operations
                continue
            summary = str(operation.get("summary", "")).replace("|", "\\|")
            rows.append(f"| `{method.upper()}` | `{path}` | {summary} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, endpoint_table())
    return markdown
