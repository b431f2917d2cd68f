"""Keyword search text (domain.md §9): character bigrams, so two-kanji terms match.

``DispatchCase.search_text`` holds :func:`bigrams` of the title, description and report text: a
space-padded, space-separated list of distinct bigrams (" 販路 路開 開拓 "). A keyword matches a
case when every bigram of every word of the keyword occurs as a whole token. Text is NFKC
normalised and lower-cased first, so half-width kana and full-width Latin match their usual forms.
"""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """The whitespace-separated words of normalised ``text``."""
    return normalize(text).split()


def term_bigrams(term: str) -> list[str]:
    """Distinct bigrams of one word in order of appearance (empty for a one-character word)."""
    seen: dict[str, None] = {}
    for i in range(len(term) - 1):
        seen.setdefault(term[i : i + 2], None)
    return list(seen)


def bigrams(text: str) -> str:
    """The search text of ``text``: " bg1 bg2 … " (each distinct bigram of each word once)."""
    seen: dict[str, None] = {}
    for word in words(text):
        for bigram in term_bigrams(word):
            seen.setdefault(bigram, None)
    return f" {' '.join(seen)} " if seen else ""
