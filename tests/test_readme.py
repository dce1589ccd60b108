"""The README's examples run as written against the demo database.

Every ```sh block of README.md is read in order; every command line that runs
``secassist`` is run through ``tests.support.run_cli`` against a fresh database with the
demo loaded (``secassist demo load``), and must exit 0. The rules, so that a README line
means what a reader would expect from a shell:

- ``.venv/bin/secassist`` and ``secassist`` are the same command. Lines that do not run
  ``secassist`` (``make run``, ``make test``) are not run here; ``make test`` covers them.
- ``secassist serve`` is not run: it serves until stopped (tests/web covers the server).
- ``# comment`` at the end of a line is a comment, except for the markers below.
- ``# expect-exit N`` at the end of a line: the command must exit with ``N`` instead of 0
  (for examples that show a refusal).
- ``a && b`` runs ``a`` then ``b`` (each must succeed, as in the shell).
- ``cmd > FILE`` writes the command's standard output to ``FILE``;
  ``printf 'TEXT' | secassist …`` feeds ``TEXT`` (with ``\\n`` escapes) to its standard
  input. No other pipes or redirections are allowed: the test fails naming the line.
- Commands run in a temporary working directory, so files an example writes
  (``proof.json``) are there for the examples after it. As for a reader in the
  repository's root, a relative path to a file of the repository (``docs/examples/…``)
  means that file and ``../shared/`` the shared data folder beside it; ``*`` in a path is
  expanded as the shell would.
- Identifiers in examples must exist in the demo, or be created by an example above
  them (``cases intake --reference PL-24-17`` then ``cases open --lor-ref PL-24-17``):
  when the demo changes, this test says which line drifted. Examples name things as a
  reader knows them (a reference, a case identifier and line number, PROGRAM/FY, a
  case's decision by ``--case``) rather than by database ids, which drift with the demo.
"""

from __future__ import annotations

import glob
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.audit import key_env
from tests.conftest import SHARED_DATA
from tests.support import run_cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXPECT_EXIT = re.compile(r"#\s*expect-exit\s+(\d+)")
NOT_RUN = {"serve"}


@dataclass(frozen=True)
class Step:
    """One ``secassist`` invocation taken from a README line."""

    line_no: int
    line: str
    args: tuple[str, ...]
    expect_exit: int = 0
    stdin: str | None = None
    stdout_to: str | None = None


def _readme_lines() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    lines: list[tuple[int, str]] = []
    for block in SH_BLOCK.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        for offset, line in enumerate(block.group(1).splitlines()):
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append((first + offset, line))
    return lines


def _expand(word: str) -> list[str]:
    if word.startswith("../shared/"):
        word = str(SHARED_DATA.parent / word.removeprefix("../shared/"))
    elif "/" in word and not word.startswith("/") and (ROOT / word).is_file():
        word = str(ROOT / word)  # a file in the repository (docs/examples/…), as run from its root
    if "*" in word:
        matches = sorted(glob.glob(word))
        assert matches, f"{word} matches no file"
        return matches
    return [word]


def _steps_of(line_no: int, line: str) -> list[Step]:
    marker = EXPECT_EXIT.search(line)
    expect_exit = int(marker.group(1)) if marker else 0
    words = shlex.split(line, comments=True)
    steps: list[Step] = []
    for part in _split(words, "&&"):
        stdin = None
        if "|" in part:
            feed, _, part = _partition(part, "|")
            if feed[0] != "printf" or len(feed) != 2:
                raise ValueError(f"README line {line_no}: unsupported pipe: {line}")
            stdin = feed[1].encode().decode("unicode_escape")
        stdout_to = None
        if ">" in part:
            part, _, target = _partition(part, ">")
            if len(target) != 1:
                raise ValueError(f"README line {line_no}: redirect to one file: {line}")
            stdout_to = target[0]
        if {"<", ">>", "2>", "|", ";"} & set(part):
            raise ValueError(f"README line {line_no}: unsupported shell: {line}")
        command = Path(part[0]).name
        if command != "secassist":
            continue
        args = tuple(word for w in part[1:] for word in _expand(w))
        if args and args[0] in NOT_RUN:
            continue
        steps.append(Step(line_no, line.strip(), args, expect_exit, stdin, stdout_to))
    return steps


def _split(words: list[str], sep: str) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for word in words:
        if word == sep:
            parts.append([])
        else:
            parts[-1].append(word)
    return [p for p in parts if p]


def _partition(words: list[str], sep: str) -> tuple[list[str], str, list[str]]:
    i = words.index(sep)
    return words[:i], sep, words[i + 1 :]


def readme_steps() -> list[Step]:
    return [step for line_no, line in _readme_lines() for step in _steps_of(line_no, line)]


def test_the_readme_has_examples_of_every_command_group() -> None:
    groups = {step.args[0] for step in readme_steps() if step.args and not step.args[0].startswith("-")}
    assert {"reference", "db", "audit", "screening", "cases", "vetting", "leahy", "programs"} <= groups
    assert {"notification", "notices"} <= groups


def test_the_rules_read_a_line_as_a_shell_would() -> None:
    (step,) = _steps_of(1, "printf 'A\\nB\\n' | secassist screening match --list x --format jsonl")
    assert step.stdin == "A\nB\n"
    assert step.args == ("screening", "match", "--list", "x", "--format", "jsonl")
    first, second = _steps_of(2, ".venv/bin/secassist db upgrade && .venv/bin/secassist db check")
    assert (first.args, second.args) == (("db", "upgrade"), ("db", "check"))
    (step,) = _steps_of(3, 'secassist audit public-key > log.pub   # a "comment" > here')
    assert (step.args, step.stdout_to, step.expect_exit) == (("audit", "public-key"), "log.pub", 0)
    (step,) = _steps_of(4, "secassist cases open 999 --agency B   # expect-exit 1")
    assert step.expect_exit == 1
    assert _steps_of(5, "make run    # serve") == []
    assert _steps_of(6, "secassist serve --port 8000") == []
    with pytest.raises(ValueError, match="unsupported pipe"):
        _steps_of(7, "secassist cases list | grep PL")


def test_readme_examples_run_against_the_demo(
    app_env: dict[str, str], backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL the audit keys live where SECASSIST_AUDIT_KEY_PATH says (README,
    # configuration); on SQLite beside the database file.
    app_env = key_env(app_env, backend, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # files the examples write land here, not in the repository
    loaded = run_cli(app_env, "demo", "load")
    assert loaded.returncode == 0, loaded.stderr
    failures = []
    for step in readme_steps():
        proc = run_cli(app_env, *step.args, stdin=step.stdin)
        if step.stdout_to is not None:
            (work / step.stdout_to).write_text(proc.stdout, encoding="utf-8")
        if proc.returncode != step.expect_exit:
            failures.append(
                f"README.md:{step.line_no}: {step.line}\n  exit {proc.returncode}, expected "
                f"{step.expect_exit}\n  {(proc.stderr or proc.stdout).strip()[-600:]}"
            )
    assert not failures, "README examples that do not run against the demo:\n" + "\n".join(failures)
