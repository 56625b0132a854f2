"""OpenAPI-driven mocks: a document (3.0, 3.1 or Swagger 2.0) loaded, its operations turned into stubs
that answer with examples or generated data, and requests validated against it."""
