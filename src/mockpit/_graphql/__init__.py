"""GraphQL schemas served as mocks (``mockpit serve schema.graphql``).

- ``schema``: an SDL document loaded into a graphql-core schema, with errors naming the file and line
- ``data``: data generated from the schema, deterministic by seed and by the field's path
- ``answers``: the handler that validates and executes a request's operation (introspection included)
- ``stubs``: a schema as the one stub that answers on ``/graphql``
"""
