"""Shared state for a fleet of mockpit instances: what the engine keeps, held where every instance sees it.

store.py         the interface (stubs, settings, scenario states, sequence steps, the journal, named
                 values and lists, change notices, live instances) and its error
opening.py       open_store(url): the implementation a URL names, connected
memory.py        in this process: instances of one process share it (the default engine needs no store)
redis_store.py   on Redis (the 'redis' extra, imported on use): instances on many processes and hosts
"""
