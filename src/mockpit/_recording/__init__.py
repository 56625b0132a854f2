"""Record and playback: exchanges through the proxy (or a HAR file) turned into stubs and written as
mapping files."""
