"""Response templates: a lazy view of the request, WireMock's Handlebars and sandboxed Jinja2.

Templates compile when their stub loads; helpers come in families shared by both syntaxes. Nothing here
reads Python attributes of what it renders: templates see dicts, lists and the request view only.
"""
