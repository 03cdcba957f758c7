"""Titles a scraper took from the page's address instead of its headline ("article69944652.ece", "posts", a slug).

Feeds fill ``title`` with the last part of the URL when they find no headline: of the 118 scraped pages of the
news2 development half, 62 have such a title, among them "article69944652.ece", "cgln14jz1n1o", "posts" and
"today in politics narendra modi 12th independence day speech focus 10190345". Every citation, source list and
refusal would show it. A title is the address when its words, in order, are a run of the URL's words and it has no
capital letter (a headline the site also put in its address keeps its own casing and stays).

It is replaced by the URL's most readable segment: the path segment with the most words, at least
:data:`MIN_SLUG_WORDS` of them letters only, less its file extension and the ids before and after it
("2025-08-17-…", "…-10190345"), each word written as the article's own text writes it most often ("jammu" →
"Jammu", "sc" → "SC") and the first one capitalised.

An address with no readable segment ("posts", "cgln14jz1n1o") leaves the title as the feed gave it: the opening
words of a scraped page are mostly its furniture (8 of the 11 such news2 pages open with "Skip to comments",
"Forgot Your Password?", a video notice or a timestamp), and a title is searched with every chunk of its page, so
on the tune half such a title ("Posted on 08/16/2025") drew a distractor's question to a long page.

Nothing here knows a site or a language's words: the address and the article's text decide.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from urllib.parse import unquote, urlparse

MIN_SLUG_WORDS = 3
"""Words made of letters a path segment needs to be read as a title ("putins-trump-summit-briefing" has four)."""
CASING_CHARS = 20_000
"""How much of the article is read for how it writes each word (a page may be a megabyte)."""
_WORD = re.compile(r"[^\W_]+")
_EXTENSION = re.compile(r"\.[A-Za-z]{2,5}$")


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def is_address(title: str, url: str | None) -> bool:
    """Whether ``title`` is a run of ``url``'s words, written without capitals (taken from the address).

    The feed may have cut the title short: its last word need only begin the URL's word ("… wing commander and c").
    """
    if not url or any(c.isupper() for c in title):
        return False
    wanted, words = _words(title), _words(unquote(url))
    n = len(wanted)
    return n > 0 and any(words[i : i + n - 1] == wanted[:-1] and words[i + n - 1].startswith(wanted[-1])
                         for i in range(len(words) - n + 1))


def slug_words(url: str) -> list[str] | None:
    """The words of the URL path's most readable segment, ids and extension cut off; ``None`` if none reads."""
    best: list[str] | None = None
    for segment in unquote(urlparse(url).path).split("/"):
        words = _WORD.findall(_EXTENSION.sub("", segment))
        while words and any(c.isdigit() for c in words[-1]):
            words.pop()
        while words and any(c.isdigit() for c in words[0]):
            words.pop(0)
        if sum(w.isalpha() for w in words) >= MIN_SLUG_WORDS and (best is None or len(words) >= len(best)):
            best = words
    return best


def cased(words: list[str], body: str) -> str:
    """``words`` joined, each in the form the body writes it most often, the first letter capitalised."""
    forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for form in _WORD.findall(body[:CASING_CHARS]):
        forms[form.casefold()][form] += 1
    out = [forms[w.casefold()].most_common(1)[0][0] if forms[w.casefold()] else w.casefold() for w in words]
    text = " ".join(out)
    return text[:1].upper() + text[1:]


def title_from_address(url: str, body: str) -> str | None:
    """A readable title from the URL's slug, cased as the article writes its words; ``None`` if the URL has none."""
    words = slug_words(url)
    return cased(words, body) if words else None
