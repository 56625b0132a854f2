"""OpenAPI-driven mocks: a document (3.0, 3.1 or Swagger 2.0) loaded, its operations turned into stubs
that answer with examples or generated data, and requests validated against it.

``document`` loads a document and its files (following ``refs``; ``swagger`` converts 2.0 to 3.x;
``locate`` checks it against the spec and says where an error is), ``stubs`` makes one stub per
operation, whose handler ``answers`` each request: checked by ``validation``, answered from examples or
``data`` generated from the schema.
"""
