"""The demo's commands, run through the sandbox in a French guild on *vous*, one on *tu*
and an English guild, read as each language writes: no "(s)", no "1 réponses", no command
written as text (mentions instead), no ISO date, no "(UTC)", the language's week labels and
percent signs, no English word in the French answers, *tu* for the guild on *tu*.

The demo prints what the bot answered and posted, indented; its own narration ("In the
welcome thread:", the database table) is English for the operator and left out.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pytest

from demo import run as demo

sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
from test_i18n import _ENGLISH, command_words

from bot.i18n import catalogue

pytestmark = pytest.mark.e2e

NARRATION = re.compile(r"^(?:In the welcome thread|In one of them|Posted in #\w+): ")
#: Whole lines of narration, indented like the bot's answers.
NARRATION_LINE = re.compile(r"^The round opened ")
MENTION = re.compile(r"<[@#&/!:a-z0-9 _-]*\d+>|<t:\d+(?::\w)?>|https?://\S+")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
NAMES = "|".join(sorted(map(re.escape, command_words(catalogue())), key=len, reverse=True))
COMMAND_AS_TEXT = re.compile(rf"(?<![\w<])/(?:{NAMES})(?![\w-])")
FRENCH_ONE_WITH_PLURAL = re.compile(
    r"(?<![\d\u202f,])\b[01] (?:réponses|participants|membres|jours|semaines|occurrences"
    r"|conversations|réactions|publications|arrivées)\b"
)
VOUS = re.compile(r"\b(?:vous|votre|vos)\b", re.IGNORECASE)
TU = re.compile(r"\b(?:tu|toi|ton|ta|tes)\b", re.IGNORECASE)
ENGLISH_ONE_WITH_PLURAL = re.compile(
    r"(?<![\d,.])\b1 (?:answers|participants|members|days|weeks|occurrences|conversations"
    r"|reactions|posts|joins)\b"
)


async def bot_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str, voice: str | None = None
) -> list[str]:
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args(
        [
            *("--weeks", "2", "--members", "15", "--seed", "3", "--language", lang),
            *("--out", str(tmp_path / lang), "--db", str(tmp_path / f"{lang}.db")),
            *(("--voice", voice) if voice else ()),
        ]
    )
    assert await demo.run(args) == 0
    printed = capsys.readouterr().out.split("What the simulation did")[0]
    lines = []
    for line in printed.splitlines():
        if line.startswith("    ") and not re.match(r"\s*\[chart saved", line):
            if NARRATION_LINE.match(line.strip()):
                continue
            text = MENTION.sub("", NARRATION.sub("", line.strip()))
            lines.append(text)
    assert len(lines) > 50  # the answers of a dozen commands, not an empty run
    return lines


def common_faults(lines: list[str]) -> list[str]:
    faults = []
    for line in lines:
        for name, pattern in (
            ("(s)", re.compile(r"\w\((?:s|e|es)\)")),
            ("ISO date", ISO_DATE),
            ("(UTC)", re.compile(r"\(UTC\)")),
            ("command as text", COMMAND_AS_TEXT),
        ):
            if pattern.search(line):
                faults.append(f"{name}: {line}")
    return faults


@pytest.mark.parametrize("voice", ["vous", "tu"])
async def test_french_answers_read_as_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], voice: str
) -> None:
    lines = await bot_lines(tmp_path, capsys, "fr", voice)
    faults = common_faults(lines)
    if voice == "tu":  # *vous* stays for a group ("Dites bonjour"), never beside a *tu*
        faults += [f"mixed: {line}" for line in lines if VOUS.search(line) and TU.search(line)]
        assert any(TU.search(line) for line in lines), "the guild on tu is never addressed"
    for line in lines:
        if FRENCH_ONE_WITH_PLURAL.search(line):
            faults.append(f"plural: {line}")
        if re.search(r"\bW\d{1,2}\b", line):
            faults.append(f"English week label: {line}")
        if re.search(r"\d%", line):
            faults.append(f"percent without its space: {line}")
        if _ENGLISH.search(line):
            faults.append(f"English word: {line}")
    assert faults == []
    text = "\n".join(lines)
    assert re.search(r"\bS\d{1,2}\b", text)  # the cohort table's weeks
    assert "Langue :** Français" in text and "24\xa0heures" in text


async def test_english_answers_read_as_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = await bot_lines(tmp_path, capsys, "en")
    faults = common_faults(lines)
    for line in lines:
        if ENGLISH_ONE_WITH_PLURAL.search(line):
            faults.append(f"plural: {line}")
        if re.search(r"\bS\d{1,2}\b", line):
            faults.append(f"French week label: {line}")
        if re.search(r"\d %", line):
            faults.append(f"French percent in English: {line}")
    assert faults == []
    text = "\n".join(lines)
    assert re.search(r"\bW\d{1,2}\b", text)
    assert "Language:** English" in text and "24 hours" in text
