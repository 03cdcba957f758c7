"""Countries' names, alternative spellings, capitals and demonyms, from the maintained ``countryinfo`` package.

No table in code: "Caracas", "Venezuelan" and "Venezuela" mean one country because countryinfo says so. A name two
countries share (the demonym "American") goes to the more populous one.
"""

from __future__ import annotations

import functools
from collections import defaultdict


@functools.cache
def country_names() -> dict[str, str]:
    """Lower-cased country names, alternative spellings (4+ letters), capitals and demonyms → the country."""
    from countryinfo import all_countries

    best: dict[str, tuple[int, str]] = {}
    for country in all_countries():
        name = country.name()
        if not name:
            continue
        display = name.title() if name.islower() else name
        population = _get(country, "population")
        weight = population if isinstance(population, int) else 0
        spellings = [name, *(country.alt_spellings() or [])]
        aliases = [s for s in spellings if len(s) >= 4]
        for getter in ("capital", "demonym"):
            value = _get(country, getter)
            if isinstance(value, str) and value:
                aliases.append(value)
                if getter == "demonym":
                    aliases.append(f"{value}s")
        for alias in aliases:
            key = alias.lower()
            if key not in best or weight > best[key][0]:
                best[key] = (weight, display)
    return {alias: display for alias, (_, display) in best.items()}


@functools.cache
def same_place() -> dict[str, tuple[str, ...]]:
    """Each lower-cased country name, capital or demonym → the other names of the same country."""
    by_country: dict[str, list[str]] = defaultdict(list)
    for alias, country in country_names().items():
        by_country[country].append(alias)
    return {alias: tuple(a for a in aliases if a != alias) for aliases in by_country.values() for alias in aliases}


def _get(country: object, getter: str) -> object:
    try:
        return getattr(country, getter)()
    except (KeyError, AttributeError, TypeError):
        return None
