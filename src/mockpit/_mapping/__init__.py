"""The mapping format: WireMock's JSON (and YAML) read into the model and written back.

The one (de)serialiser: mapping files, the admin API, recordings and the Python API all produce stubs
through it. Errors name the source, the field and the fix. Also the mapping files on disk.
"""
