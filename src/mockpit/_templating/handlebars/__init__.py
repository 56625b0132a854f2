"""WireMock's Handlebars dialect, written by hand (see ``compiler.py`` for why) and compiled to closures."""
