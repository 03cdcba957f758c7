"""A deterministic synthetic news corpus for speed and scale curves (never for quality claims).

Articles are built from sentence templates filled with named people, places, organisations, numbers and
dates spread over months, published by several outlets; a share of them are reprints of an earlier
article under another outlet (same body plus a reprint line), so reprint detection has work to do.
The same ``(n, seed)`` always gives the same corpus, byte for byte, in the JSONL schema that
``rag ingest`` reads (``id, title, source, published_at, url, body``).

    python -m evals.synthetic 1000 /tmp/corpus      # or: rag bench --make-corpus 1000 --out /tmp/corpus
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

START = dt.date(2025, 1, 1)
DAYS = 365
"""Publication dates fall in the year from :data:`START`."""
REPRINT_SHARE = 0.06

OUTLETS = ("Frontier Wire", "Capital Ledger", "Border Dispatch", "The Evening Courier", "Regional Monitor",
           "Daily Sentinel", "Global Desk")
PEOPLE = (
    ("Amina Rahimi", "foreign minister"), ("Daniel Okafor", "army spokesman"), ("Leila Haddad", "UN envoy"),
    ("Tomasz Nowak", "defence secretary"), ("Farid Karimi", "provincial governor"), ("Sofia Marquez", "aid coordinator"),
    ("Yusuf Demir", "interior minister"), ("Mariam Qureshi", "opposition leader"), ("Ivan Petrenko", "militia commander"),
    ("Grace Mwangi", "human rights researcher"), ("Hassan Jalali", "border police chief"),
    ("Elena Varga", "EU representative"), ("Omar Siddiqui", "prime minister"), ("Nadia Karim", "Red Crescent director"),
    ("Pavel Sorokin", "intelligence chief"), ("Aisha Bello", "refugee agency head"),
)
PLACES = ("Kandor", "Vel Harat", "Marisk", "Qasr Tal", "Dunmore", "Sarvan", "Port Ellis", "Kestrel Valley", "Abrun",
          "Halvik", "Tamsar", "Oruzan", "Bellgrade", "Nazir Pass", "Ostrova", "Lake Imra")
COUNTRIES = ("Norland", "Estavia", "Karzan", "Veloria", "Tarsh", "Murovia")
GROUPS = ("the Northern Front", "the Valley Brigades", "the Tarsh Liberation Army", "the Crescent Movement",
          "the Border Guard", "the Federal Army", "the People's Militia")
ORGS = ("the United Nations", "the Red Crescent", "the African Union", "the European Union",
        "Médecins Sans Frontières", "the International Committee of the Red Cross")
EVENTS = ("drone strike", "artillery shelling", "car bombing", "border clash", "airstrike", "ambush", "siege")

HEADLINES = (
    "{group} accused of {event} in {place}",
    "{count} killed in {event} near {place}, officials say",
    "{person} warns of escalation after {event} in {place}",
    "{country} denies role in {place} {event}",
    "Talks on {place} ceasefire stall as {group} advances",
    "Aid convoys reach {place} after weeks of {event}",
)
SENTENCES = (
    "{person}, the {role}, said on {weekday} that {group} had carried out the {event} in {place}.",
    "At least {count} people were killed and {count2} wounded, according to {org}.",
    "{country} denied any involvement, calling the accusations baseless.",
    "{person} told reporters in {place} that {count} families had fled towards {place2}.",
    "Satellite images reviewed by {org} showed damage to {count} buildings in {place}.",
    "The {event} came {count} days after a ceasefire brokered by {org} took effect on {date}.",
    "{group} said in a statement that it had targeted positions held by {group2} near {place}.",
    "\u201cWe will not accept attacks on civilians,\u201d said {person}, the {role}.",
    "Residents of {place} described hearing explosions for {count} hours before dawn.",
    "{org} called on both sides to protect civilians and allow aid into {place}.",
    "Officials in {country} said {count} fighters from {group} had been detained since {date}.",
    "The road between {place} and {place2} remained closed on {weekday}, {person} said.",
    "Talks between {country} and {country2} are due to resume in {place2} on {date}.",
    "{person} accused {country2} of supplying weapons to {group}, a charge {country2} rejected.",
)


class SyntheticArticle(BaseModel):
    """One line of the corpus file, in the schema :func:`rag.index.corpus.article_from_row` reads."""

    id: str
    title: str
    source: str
    published_at: str
    url: str
    body: str
    reprint_of: str | None = None
    """The article this one reprints (the generator's ground truth; ``rag ingest`` ignores it)."""


def _fill(rng: random.Random, template: str, day: dt.date) -> str:
    person, role = rng.choice(PEOPLE)
    place, place2 = rng.sample(PLACES, 2)
    country, country2 = rng.sample(COUNTRIES, 2)
    group, group2 = rng.sample(GROUPS, 2)
    mentioned = day - dt.timedelta(days=rng.randint(1, 40))
    text = template.format(
        person=person, role=role, place=place, place2=place2, country=country, country2=country2, group=group,
        group2=group2, org=rng.choice(ORGS), event=rng.choice(EVENTS), count=rng.randint(2, 90),
        count2=rng.randint(2, 200), weekday=day.strftime("%A"), date=f"{mentioned:%B} {mentioned.day}",
    )
    return text[0].upper() + text[1:]


def _original(rng: random.Random, number: int) -> SyntheticArticle:
    day = START + dt.timedelta(days=rng.randrange(DAYS))
    outlet = rng.choice(OUTLETS)
    headline = _fill(rng, rng.choice(HEADLINES), day)
    sentences = [_fill(rng, template, day) for template in rng.choices(SENTENCES, k=rng.randint(10, 18))]
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    article_id = f"syn-{number:06d}"
    return SyntheticArticle(
        id=article_id, title=headline, source=outlet, published_at=day.isoformat(),
        url=f"https://example.org/{outlet.lower().replace(' ', '-')}/{article_id}", body="\n\n".join(paragraphs),
    )


def _reprint(rng: random.Random, number: int, original: SyntheticArticle) -> SyntheticArticle:
    outlet = rng.choice([o for o in OUTLETS if o != original.source])
    day = dt.date.fromisoformat(original.published_at) + dt.timedelta(days=rng.randint(0, 2))
    article_id = f"syn-{number:06d}"
    return SyntheticArticle(
        id=article_id, title=original.title, source=outlet, published_at=day.isoformat(),
        url=f"https://example.org/{outlet.lower().replace(' ', '-')}/{article_id}",
        body=f"{original.body}\n\nThis article first appeared in {original.source}.", reprint_of=original.id,
    )


def generate_articles(n: int, seed: int = 0) -> Iterator[SyntheticArticle]:
    """``n`` articles, the same ones for the same ``seed``; about 6% are reprints of earlier ones."""
    if n < 0:
        raise ValueError("the number of articles cannot be negative")
    rng = random.Random(seed)
    originals: list[SyntheticArticle] = []
    for number in range(1, n + 1):
        if originals and rng.random() < REPRINT_SHARE:
            yield _reprint(rng, number, rng.choice(originals[-50:]))
        else:
            article = _original(rng, number)
            originals.append(article)
            yield article


def write_corpus(n: int, out_dir: Path, seed: int = 0) -> Path:
    """Write ``n`` articles to ``out_dir/synthetic-<n>.jsonl`` and return the file's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"synthetic-{n}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for article in generate_articles(n, seed):
            handle.write(json.dumps(article.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n")
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        sys.stderr.write("usage: python -m evals.synthetic N OUT_DIR\n")
        return 2
    sys.stdout.write(f"{write_corpus(int(argv[0]), Path(argv[1]))}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
