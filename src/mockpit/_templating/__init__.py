"""Response templates: a lazy view of the request, WireMock's Handlebars and sandboxed Jinja2.

Templates compile when their stub loads; helpers come in families shared by both syntaxes. Nothing here
reads Python attributes of what it renders: templates see dicts, lists and the request view only.

``template`` is the one interface over both syntaxes (``handlebars/``, ``jinja``); ``context`` holds the
lazy request view a render reads, ``values`` the kinds of value templates see and how they print,
``helpers/`` the helper families, ``errors`` how templates fail.
"""
