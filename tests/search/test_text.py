"""What someone types, read safely: terms, phrases, school vocabulary and synonyms."""

import pytest

from search.text import (
    MAX_CHARACTERS,
    MAX_TERMS,
    OPERATORS,
    parse,
    synonym_groups,
    synonym_lines,
    synonyms_of,
    vocabulary_table,
    words,
)

# Text that is query syntax somewhere (Lucene, FTS5, tsquery, SQL) or just awkward.
HOSTILE = [
    '"',
    '""',
    '"fractions',
    'fractions"',
    '"unit fractions" "of amounts',
    "(",
    ")",
    "((fractions)",
    "fractions AND decimals",
    "fractions OR decimals",
    "NOT fractions",
    "fractions NEAR decimals",
    "NEAR(fractions decimals, 3)",
    "fractions NEAR/2 decimals",
    "*",
    "fract*",
    "title:fractions",
    ":",
    "fractions^4",
    "^",
    "-fractions",
    "--",
    "+fractions -decimals",
    "fractions~2",
    "[fractions TO decimals]",
    "{a TO b}",
    "a && b || !c",
    "\\",
    "/regex.*/",
    "fractions " * 2000,
    "x" * 10_000,
    "👩‍🏫🧮📐 fractions ✨",
    "🧮",
    "كسور الرياضيات",
    "שברים",
    "\u202efractions\u202c",
    "fractions\u200b\u200bdecimals",
    "'; DROP TABLE resources_resource; --",
    "1 OR 1=1",
    "' OR ''='",
    "SELECT * FROM search_record WHERE 1",
    "fractions MATCH 'x'",
    "{title}: fractions",
    "title : fractions",
    "NEAR",
    "AND",
    "OR OR OR",
    "fractions\x00decimals",
    "\x00",
    "\x00\x00\x00",
    "\t\n\r",
    "   ",
    "",
    "%",
    "_",
    "&amp; <script>alert(1)</script>",
    "ﬁnance ＦＲＡＣＴＩＯＮＳ",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: repr(text[:30]))
def test_hostile_text_is_read_as_plain_words_and_never_as_query_syntax(text: str) -> None:
    parsed = parse(text)

    assert len(parsed.terms) <= MAX_TERMS
    for term in parsed.terms + tuple(word for phrase in parsed.phrases for word in phrase):
        assert term == term.lower()
        assert term not in OPERATORS
        assert "\x00" not in term
        # Only letters, digits and inner apostrophes: nothing a backend would read as syntax.
        assert not set(term) & set('"()*:^-+~[]{}!&|\\/;=%<>'), term
    for phrase in parsed.phrases:
        assert len(phrase) > 1


def test_very_long_text_is_cut_and_says_so() -> None:
    parsed = parse("x" * 10_000)

    assert parsed.shortened
    assert parsed.terms == ("x" * MAX_CHARACTERS,)


def test_too_many_words_are_cut_to_the_limit() -> None:
    parsed = parse(" ".join(f"word{n}" for n in range(40)))

    assert parsed.shortened
    assert parsed.terms == tuple(f"word{n}" for n in range(MAX_TERMS))


def test_a_short_search_is_not_marked_as_shortened() -> None:
    assert not parse("fractions of amounts").shortened


def test_operators_are_dropped_and_brackets_ignored() -> None:
    assert parse("fractions AND (decimals OR percentages) NOT NEAR").terms == (
        "fractions",
        "decimals",
        "percentages",
    )


def test_quotes_make_phrases_and_an_unbalanced_quote_is_plain_text() -> None:
    parsed = parse('"unit fractions" of "amounts')

    assert parsed.phrases == (("unit", "fractions"),)
    assert parsed.terms == ("of", "amounts")


def test_a_quoted_single_word_is_a_term() -> None:
    parsed = parse('"fractions"')

    assert parsed.phrases == ()
    assert parsed.terms == ("fractions",)


def test_repeated_words_are_searched_once() -> None:
    assert parse("fractions Fractions FRACTIONS").terms == ("fractions",)


def test_nul_bytes_are_removed() -> None:
    assert parse("frac\x00tions").terms == ("fractions",)


def test_emoji_are_dropped_and_other_scripts_kept() -> None:
    assert parse("🧮 كسور fractions").terms == ("كسور", "fractions")
    assert parse("שברים").terms == ("שברים",)


def test_apostrophes_inside_words_are_kept_and_curly_ones_straightened() -> None:
    assert words("Teacher’s o'clock 'quoted'") == ["teacher's", "o'clock", "quoted"]


def test_compatibility_characters_are_normalised() -> None:
    assert parse("ＦＲＡＣＴＩＯＮＳ ﬁnance").terms == ("fractions", "finance")


# School vocabulary


@pytest.mark.parametrize(
    ("text", "vocabulary", "terms"),
    [
        ("Y7 fractions", (("year_group", "y7"),), ("fractions",)),
        ("Year 7 fractions", (("year_group", "y7"),), ("fractions",)),
        ("yr 7 fractions", (("year_group", "y7"),), ("fractions",)),
        ("yr7 fractions", (("year_group", "y7"),), ("fractions",)),
        ("fractions year 10", (("year_group", "y10"),), ("fractions",)),
        ("reception phonics", (("year_group", "reception"),), ("phonics",)),
        ("nursery rhymes", (("year_group", "nursery"),), ("rhymes",)),
        ("KS2 fractions", (("key_stage", "ks2"),), ("fractions",)),
        ("key stage 2 fractions", (("key_stage", "ks2"),), ("fractions",)),
        ("keystage 3 poetry", (("key_stage", "ks3"),), ("poetry",)),
        ("ks 4 algebra", (("key_stage", "ks4"),), ("algebra",)),
        ("GCSE", (("key_stage", "ks4"),), ()),
        ("GCSEs revision", (("key_stage", "ks4"),), ("revision",)),
        ("A level biology", (("key_stage", "ks5"),), ("biology",)),
        ("EYFS maths", (("phase", "eyfs"),), ("maths",)),
        ("early years maths", (("phase", "eyfs"),), ("maths",)),
        ("primary science", (("phase", "primary"),), ("science",)),
        ("secondary science", (("phase", "secondary"),), ("science",)),
        ("post-16 physics", (("phase", "post16"),), ("physics",)),
        ("sixth form physics", (("phase", "post16"),), ("physics",)),
        ("Year 7 KS3", (("year_group", "y7"), ("key_stage", "ks3")), ()),
        ("SEND phonics", (), ("send", "phonics")),
    ],
)
def test_school_vocabulary_names_filters_and_leaves_the_other_words(
    text: str, vocabulary: tuple, terms: tuple
) -> None:
    parsed = parse(text)

    assert parsed.vocabulary == vocabulary
    assert parsed.terms == terms


def test_vocabulary_is_left_as_words_when_not_understood() -> None:
    parsed = parse("Y7 fractions", understand=False)

    assert parsed.vocabulary == ()
    assert parsed.terms == ("y7", "fractions")


def test_vocabulary_inside_quotes_stays_a_phrase() -> None:
    parsed = parse('"year 7 transition" maths')

    assert parsed.vocabulary == ()
    assert parsed.phrases == (("year", "7", "transition"),)


def test_the_longest_vocabulary_match_wins() -> None:
    assert parse("key stage 2").vocabulary == (("key_stage", "ks2"),)
    assert parse("key stage 2").terms == ()


def test_the_same_filter_named_twice_is_applied_once() -> None:
    assert parse("Y7 year 7 fractions").vocabulary == (("year_group", "y7"),)


def test_every_year_group_and_key_stage_has_vocabulary() -> None:
    named = set(vocabulary_table().values())

    for year in ["nursery", "reception", *(f"y{n}" for n in range(1, 14))]:
        assert ("year_group", year) in named
    for stage in ["ks1", "ks2", "ks3", "ks4", "ks5"]:
        assert ("key_stage", stage) in named


# Synonyms


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("maths", "mathematics"),
        ("mathematics", "maths"),
        ("ks2", "key stage 2"),
        ("y6", "year 6"),
        ("eyfs", "early years"),
    ],
)
def test_synonyms_go_both_ways(term: str, expected: str) -> None:
    assert expected in synonyms_of(term)
    assert synonyms_of(term)[0] == term


def test_a_word_with_no_synonyms_is_only_itself() -> None:
    assert synonyms_of("photosynthesis") == ("photosynthesis",)


def test_synonym_groups_are_lower_case_plain_words() -> None:
    for group in synonym_groups():
        assert len(group) > 1
        for term in group:
            assert term == " ".join(words(term))


def test_synonym_lines_are_in_the_solr_format() -> None:
    lines = synonym_lines()

    assert lines
    assert all(", " in line and "#" not in line for line in lines)
    assert "maths, mathematics, math, numeracy" in lines
