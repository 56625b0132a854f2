"""Matching: request patterns compiled, when a stub loads, into checks that return results.

A compiled pattern answers a request with a result (what matched, what was captured, and on a miss the
differences a near-miss report prints), never a bare bool. Value matchers for JSON, XML, JSON Schema,
multipart bodies and registered custom matchers live here, with the query languages the templates
share (JSONPath, XPath). Above the model; below everything that reads, renders or serves stubs.
"""
