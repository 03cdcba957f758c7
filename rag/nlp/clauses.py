"""Whether a sentence is a complete statement: it ends as a sentence does and has a verb with its own subject.

Scraped pages hold headlines ("31 killed"), menu lines ("Leadership | Entrepreneurship People"), calls to action
("Check the score based on the company's fundamentals…") and photo credits between the reporting. A briefing quotes
only statements: someone (the subject) does or is something (the verb), closed by a full stop, question or
exclamation mark (a closing quotation mark may follow it). The parse decides, not word lists.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"})
_TERMINAL = (".", "!", "?")
_CLOSERS = "\"'”’)]» "


def ends_as_sentence(text: str) -> bool:
    """Ends with a full stop, question or exclamation mark (before closing quotes); an ellipsis is a cut, not an end."""
    stripped = text.rstrip(_CLOSERS)
    return stripped.endswith(_TERMINAL) and not stripped.endswith(("...", "…"))


def _finite(verb: Token) -> bool:
    """A verb that can carry a statement: not a bare participle ("31 killed", "dozens injured" are headlines)."""
    return verb.tag_ not in ("VBN", "VBG") or any(child.dep_ in ("aux", "auxpass") for child in verb.children)


def has_subject_and_verb(doc: Doc | Span) -> bool:
    """Some finite verb (or auxiliary used as the main verb) has a subject of its own in the parse."""
    return any(token.dep_ in SUBJECTS and token.head.pos_ in ("VERB", "AUX") and token.head is not token
               and _finite(token.head) for token in doc)


def is_complete_sentence(doc: Doc | Span) -> bool:
    """A statement a briefing may quote: ends as a sentence does and has a verb with its own subject."""
    return ends_as_sentence(doc.text) and has_subject_and_verb(doc)
