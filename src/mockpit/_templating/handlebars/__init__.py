"""WireMock's Handlebars dialect, written by hand (``compiler.py`` says why) and compiled to closures.

``syntax`` (the tokenizer and the syntax tree) feeds ``parser``, whose tree ``compiler`` turns into
closures; ``helpers`` adapts the helper families to Handlebars' calling convention; ``scope`` is what
one render carries.
"""
