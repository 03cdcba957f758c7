"""Knowledge of the world from maintained packages, never from tables in code.

``countries``: countryinfo's country names, capitals and demonyms.
"""
