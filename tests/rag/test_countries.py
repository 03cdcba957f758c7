"""Countries' names, capitals and demonyms come from countryinfo, not from a table in code."""

from __future__ import annotations

from rag.nlp.countries import country_names, same_place
from rag.text import is_place_name, mentions


def test_capitals_and_demonyms_name_their_country() -> None:
    names = country_names()
    assert names["caracas"] == names["venezuelan"] == names["venezuela"] == "Venezuela"
    assert names["american"] == "United States"  # shared demonyms go to the more populous country
    assert "caracas" in same_place()["venezuelan"] and "venezuelan" not in same_place()["venezuelan"]


def test_mentions_and_place_names_use_the_gazetteer() -> None:
    assert mentions("Venezuelan troops crossed the river.", "Venezuela")
    assert mentions("Officials in Caracas said so.", "Venezuelan")
    assert not mentions("Officials in Bogotá said so.", "Venezuela")
    assert is_place_name("Venezuelan") and is_place_name("Caracas") and not is_place_name("Maria Lopez")
