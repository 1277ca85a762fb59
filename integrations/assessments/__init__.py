"""Assessment providers: the embedded sandbox, HackerEarth and HackerRank behind one Protocol.

`registry.provider_from_settings` builds one; activities call it and never see vendor shapes.
"""
