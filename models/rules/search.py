"""Keyword search text (domain.md §9): characters and character bigrams, so one-kanji and
two-kanji terms match.

``DispatchCase.search_text`` holds :func:`bigrams` of the title, description and report text: a
space-padded, space-separated list of distinct tokens — every character and every bigram of every
word (" 販 路 開 拓 販路 路開 開拓 "). A keyword matches a case when every token of every word of
the keyword (:func:`keyword_tokens`: the bigrams of a longer word, the character itself of a
one-character word) occurs as a whole token, so the PostgreSQL GIN index on the token array serves
every keyword. Text is NFKC normalised and lower-cased first, so half-width kana and full-width
Latin match their usual forms.
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


def keyword_tokens(keyword: str) -> list[str]:
    """The tokens a case's search text must all contain to match ``keyword`` (distinct, in order):
    the bigrams of each word of two or more characters, a one-character word itself."""
    seen: dict[str, None] = {}
    for word in words(keyword):
        for token in term_bigrams(word) or [word]:
            seen.setdefault(token, None)
    return list(seen)


def bigrams(text: str) -> str:
    """The search text of ``text``: " c1 c2 … bg1 bg2 … " (each distinct character, then each
    distinct bigram, of every word)."""
    characters: dict[str, None] = {}
    pairs: dict[str, None] = {}
    for word in words(text):
        for character in word:
            characters.setdefault(character, None)
        for bigram in term_bigrams(word):
            pairs.setdefault(bigram, None)
    tokens = [*characters, *pairs]
    return f" {' '.join(tokens)} " if tokens else ""
