"""Runnable recipes that ship with mockpit: ``python -m mockpit.examples.<name>``.

- ``echo``: the JSON echo server of the classic ``http.server`` tutorial, as a test helper
  (``start_serving()``/``stop_serving()``) and as a server on its own.
"""
