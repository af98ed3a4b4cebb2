"""Turning what someone typed into something every backend can search safely.

Nothing typed is ever passed to a backend as query syntax: operators (AND, OR, NOT, NEAR, `*`,
`:`, `^`, `-`, brackets) are read as plain words or dropped, quotes make phrases, and the text
is cut to a sensible length. School vocabulary ("Y7", "KS2", "reception", "GCSE") is recognised
so that the search can apply the matching filter.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from networks.curriculum import KeyStage, Phase, YearGroup

MAX_CHARACTERS = 200
MAX_TERMS = 12
# Unicode letters and digits (any script), with inner apostrophes: "teacher's", "o'clock".
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
PHRASE = re.compile(r'"([^"]*)"')
# Words that are query syntax elsewhere; here they mean nothing and are dropped.
OPERATORS = frozenset({"and", "or", "not", "near"})
SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")


@dataclass(frozen=True)
class ParsedText:
    terms: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    # Filters named by the words, as (facet, value); their words are taken out of `terms`.
    vocabulary: tuple[tuple[str, str], ...] = ()
    # True when the text had to be cut (too long, too many words).
    shortened: bool = False


def words(text: str) -> list[str]:
    """The lower-cased words of the text, in order, accents kept (backends fold them)."""
    text = unicodedata.normalize("NFKC", text or "")
    return [word.replace("’", "'").lower() for word in WORD.findall(text)]


def parse(text: str, *, understand: bool = True) -> ParsedText:
    """The terms and phrases to search for, and the filters the words name."""
    text = unicodedata.normalize("NFKC", text or "").replace("\x00", "")
    shortened = len(text) > MAX_CHARACTERS
    text = text[:MAX_CHARACTERS]
    phrases = []
    for quoted in PHRASE.findall(text):
        phrase = tuple(words(quoted))
        if len(phrase) > 1:
            phrases.append(phrase)
    loose = PHRASE.sub(
        lambda match: " " if len(words(match.group(1))) > 1 else match.group(1), text
    )
    terms = [word for word in words(loose) if word not in OPERATORS]
    vocabulary: list[tuple[str, str]] = []
    if understand:
        terms, vocabulary = _understood(terms)
    if len(terms) > MAX_TERMS:
        terms, shortened = terms[:MAX_TERMS], True
    return ParsedText(
        terms=tuple(dict.fromkeys(terms)),
        phrases=tuple(dict.fromkeys(phrases)),
        vocabulary=tuple(dict.fromkeys(vocabulary)),
        shortened=shortened,
    )


# School vocabulary: word sequences naming a year group, key stage or phase.


@cache
def vocabulary_table() -> dict[tuple[str, ...], tuple[str, str]]:
    table: dict[tuple[str, ...], tuple[str, str]] = {}
    for year in YearGroup:
        table[tuple(words(year.label))] = ("year_group", year.value)
        if year.value.startswith("y"):
            number = year.value[1:]
            table[(year.value,)] = ("year_group", year.value)
            table[("yr", number)] = ("year_group", year.value)
            table[(f"yr{number}",)] = ("year_group", year.value)
    for stage in KeyStage:
        if stage == KeyStage.EYFS:
            continue
        number = stage.value[2:]
        table[(stage.value,)] = ("key_stage", stage.value)
        table[("key", "stage", number)] = ("key_stage", stage.value)
        table[("keystage", number)] = ("key_stage", stage.value)
        table[("ks", number)] = ("key_stage", stage.value)
    table[("gcse",)] = ("key_stage", KeyStage.KS4.value)
    table[("gcses",)] = ("key_stage", KeyStage.KS4.value)
    table[("a", "level")] = ("key_stage", KeyStage.KS5.value)
    table[("a", "levels")] = ("key_stage", KeyStage.KS5.value)
    table[("eyfs",)] = ("phase", Phase.EYFS.value)
    table[("early", "years")] = ("phase", Phase.EYFS.value)
    table[("primary",)] = ("phase", Phase.PRIMARY.value)
    table[("secondary",)] = ("phase", Phase.SECONDARY.value)
    table[("post", "16")] = ("phase", Phase.POST_16.value)
    table[("sixth", "form")] = ("phase", Phase.POST_16.value)
    return table


def _understood(terms: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Terms with vocabulary taken out, longest match first, and the filters it named."""
    table = vocabulary_table()
    longest = max(len(key) for key in table)
    kept: list[str] = []
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(terms):
        for size in range(min(longest, len(terms) - index), 0, -1):
            named = table.get(tuple(terms[index : index + size]))
            if named is not None:
                found.append(named)
                index += size
                break
        else:
            kept.append(terms[index])
            index += 1
    return kept, found


# Synonyms, shared with the Elasticsearch analyser.


@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """Each line of synonyms.txt as its terms (a term may be several words)."""
    groups = []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        terms = tuple(dict.fromkeys(" ".join(words(term)) for term in line.split(",")))
        groups.append(tuple(term for term in terms if term))
    return tuple(groups)


@cache
def _synonym_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for group in synonym_groups():
        for term in group:
            index[term] = tuple(dict.fromkeys(index.get(term, ()) + group))
    return index


def synonyms_of(term: str) -> tuple[str, ...]:
    """Every way of saying the term, itself first; each may be several words."""
    alternatives = _synonym_index().get(term, ())
    return (term, *(other for other in alternatives if other != term))


def synonym_lines() -> list[str]:
    """The groups as Elasticsearch's synonym filter reads them, one rule a line."""
    return [", ".join(group) for group in synonym_groups()]
