"""Language understanding and knowledge of the world from maintained packages, never from tables in code.

``parse`` loads spaCy's English pipeline once and checks its files; ``speech`` finds who says what about whom in a
sentence; ``descriptions`` what an apposition or a copula says a named party is; ``parties`` groups the names a
corpus uses for the same party; ``countries`` holds countryinfo's country names, capitals and demonyms.
"""
