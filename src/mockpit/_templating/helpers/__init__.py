"""Template helper families, in Python spelling; the Handlebars and Jinja front ends adapt them to their syntax.

One module per family: ``json_docs`` (JSON), ``xml_docs`` (XML), ``random_values``, ``dates``, ``text`` (text
and numbers) and ``fake_data`` (Faker); ``arguments`` reads numbers from template arguments for all of them.

Each function takes plain values and returns a value (see :mod:`mockpit._templating.values` for the value
kinds). Where WireMock renders ``[ERROR: ...]`` into the body instead of failing (bad JSON in the
request, a regex that matches nothing), these raise :class:`~mockpit._templating.errors.HelperFailure`
with WireMock's message; Handlebars prints it as WireMock does, Jinja turns it into a ``TemplateError``.

Slow imports (lxml, Faker) happen on first use; Faker's is done when a template that uses it is
compiled, so no request pays for it.
"""
