"""The curriculum vocabulary of England: phase, key stage and year group.

Year group implies key stage implies phase, so store the most specific and derive the rest.
"""

from collections.abc import Iterable

from django.db import models


class Phase(models.TextChoices):
    EYFS = "eyfs", "Early years (EYFS)"
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    POST_16 = "post16", "Post-16"


class KeyStage(models.TextChoices):
    EYFS = "eyfs", "EYFS"
    KS1 = "ks1", "Key stage 1"
    KS2 = "ks2", "Key stage 2"
    KS3 = "ks3", "Key stage 3"
    KS4 = "ks4", "Key stage 4"
    KS5 = "ks5", "Key stage 5"


class YearGroup(models.TextChoices):
    NURSERY = "nursery", "Nursery"
    RECEPTION = "reception", "Reception"
    Y1 = "y1", "Year 1"
    Y2 = "y2", "Year 2"
    Y3 = "y3", "Year 3"
    Y4 = "y4", "Year 4"
    Y5 = "y5", "Year 5"
    Y6 = "y6", "Year 6"
    Y7 = "y7", "Year 7"
    Y8 = "y8", "Year 8"
    Y9 = "y9", "Year 9"
    Y10 = "y10", "Year 10"
    Y11 = "y11", "Year 11"
    Y12 = "y12", "Year 12"
    Y13 = "y13", "Year 13"


KEY_STAGE_OF_YEAR: dict[str, str] = {
    YearGroup.NURSERY: KeyStage.EYFS,
    YearGroup.RECEPTION: KeyStage.EYFS,
    YearGroup.Y1: KeyStage.KS1,
    YearGroup.Y2: KeyStage.KS1,
    YearGroup.Y3: KeyStage.KS2,
    YearGroup.Y4: KeyStage.KS2,
    YearGroup.Y5: KeyStage.KS2,
    YearGroup.Y6: KeyStage.KS2,
    YearGroup.Y7: KeyStage.KS3,
    YearGroup.Y8: KeyStage.KS3,
    YearGroup.Y9: KeyStage.KS3,
    YearGroup.Y10: KeyStage.KS4,
    YearGroup.Y11: KeyStage.KS4,
    YearGroup.Y12: KeyStage.KS5,
    YearGroup.Y13: KeyStage.KS5,
}

PHASE_OF_KEY_STAGE: dict[str, str] = {
    KeyStage.EYFS: Phase.EYFS,
    KeyStage.KS1: Phase.PRIMARY,
    KeyStage.KS2: Phase.PRIMARY,
    KeyStage.KS3: Phase.SECONDARY,
    KeyStage.KS4: Phase.SECONDARY,
    KeyStage.KS5: Phase.POST_16,
}


def _ordered(values: Iterable[str], choices: type[models.TextChoices]) -> list[str]:
    wanted = set(values)
    return [value for value in choices.values if value in wanted]


def key_stages_for(year_groups: Iterable[str]) -> list[str]:
    """The key stages a set of year groups covers, in curriculum order."""
    return _ordered((KEY_STAGE_OF_YEAR[year] for year in year_groups), KeyStage)


def phases_for(year_groups: Iterable[str]) -> list[str]:
    """The phases a set of year groups covers, in curriculum order."""
    return _ordered((PHASE_OF_KEY_STAGE[ks] for ks in key_stages_for(year_groups)), Phase)


def years_in(key_stage: str) -> list[str]:
    return [year for year, ks in KEY_STAGE_OF_YEAR.items() if ks == key_stage]


# Year groups as bits of one integer, so "covers any of these years" is a single indexed
# comparison in any database: `year_bits & wanted != 0`.
YEAR_BIT: dict[str, int] = {year: 1 << index for index, year in enumerate(YearGroup.values)}


def year_bits(year_groups: Iterable[str]) -> int:
    bits = 0
    for year in year_groups:
        bits |= YEAR_BIT[year]
    return bits


def bits_for(
    *,
    year_groups: Iterable[str] = (),
    key_stages: Iterable[str] = (),
    phases: Iterable[str] = (),
) -> int:
    """The year bits that match any of the given year groups, key stages or phases."""
    years = set(year_groups)
    for key_stage in key_stages:
        years.update(years_in(key_stage))
    for phase in phases:
        for key_stage, its_phase in PHASE_OF_KEY_STAGE.items():
            if its_phase == phase:
                years.update(years_in(key_stage))
    return year_bits(years)


def years_from_bits(bits: int) -> list[str]:
    return [year for year, bit in YEAR_BIT.items() if bits & bit]
