"""Matching: request patterns compiled, when a stub loads, into checks that return results.

A compiled pattern (``pattern``) runs one check per field (``checks``, ``url``), each built on value
matchers (``values``); it answers a request with a ``result`` (what matched, what was captured, and on a
miss the differences a near-miss report prints), never a bare bool. The value matchers' formats have
modules of their own: ``json_equal`` (with ``json_unit``'s placeholders), ``jsonpath`` and ``xml`` (the
query languages the templates share), ``xml_equal``, ``json_schema``, ``multipart``, and ``custom``
(registered Python matchers). ``near_miss`` finds the stubs closest to a request that matched none;
``report`` prints them side by side. Above the model; below everything that reads, renders or serves stubs.
"""
