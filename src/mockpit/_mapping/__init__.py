"""The mapping format: WireMock's JSON (and YAML) read into the model and written back.

The one (de)serialiser: mapping files, the admin API, recordings and the Python API all produce stubs
through it. ``read`` is where they come in, checked by the pydantic ``models`` that mirror the format;
``errors`` turns what those find into one error naming the source, the field and the fix; ``write``
writes stubs back; ``files`` keeps mapping files on disk.
"""
