"""Record and playback: exchanges through the proxy (or a HAR file) turned into stubs and written as
mapping files.

- ``spec``: the record spec (WireMock's recording options, checked) and the stub transformers it names.
- ``exchange``: one request and what the client got, from the journal or a live stream.
- ``redaction``: what a recording must not keep: secrets, volatile and hop-by-hop headers.
- ``collector``: exchanges -> stubs: what each matches and answers, repeats as one stub or a scenario.
- ``writer``: recorded stubs on disk, mapping files and body files, written atomically.
- ``recorder``: recording on a running server (start, stop, snapshot), written as it goes.
- ``shared``: a recording in progress shared by a fleet: every instance records, any one stops it.
- ``har``: a browser's HAR export -> exchanges -> mapping files.
- ``cassettes``: the pytest plugin's record and playback: where a test's cassette is, record or replay.
"""
