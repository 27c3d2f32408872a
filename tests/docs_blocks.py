"""The command blocks of the README and the docs, parsed and run as printed.

A user copies a tutorial's commands in order, so the tests do too: ``command_blocks`` reads the
fenced blocks of a markdown page into ordered commands (``$ `` prompts told apart from the
output printed under them, ``# comments`` at line end stripped, ``\\`` continuations joined),
each block named by the heading above it; ``run_block`` runs them through the installed
``hark`` (this interpreter's ``bin`` first on ``PATH``) in a working folder whose
``../shared/data`` is the real recordings, with the placeholders the prose defines (``GT``,
``REC...``, ``DIR``, ...) bound to real paths. Nothing is run that the page does not show: a
test may only bind placeholders, append options that shorten a command (``speedups``, listed
in the test), and repeat a command its own comment says to repeat (``# and 2, 3``).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

# The first word of a command block; other fenced blocks are layouts, tables or file contents.
PROGRAMS = frozenset({"hark", "make", "python", "python3", "pip", "dask"})
SHELL_LANGUAGES = frozenset({"", "bash", "sh", "shell", "console"})
ELIDED = "..."


@dataclass(frozen=True)
class Command:
    """One command as printed: continuations joined, its end-of-line comment apart."""

    text: str
    comment: str = ""
    output: tuple[str, ...] = ()  # lines printed under a `$ ` prompt ("..." elides some)


@dataclass(frozen=True)
class Block:
    page: str
    heading: str
    index: int  # among the command blocks under the same heading, from 0
    line: int  # of the opening fence, from 1
    commands: tuple[Command, ...]

    @property
    def id(self) -> str:
        return f"{self.page}: {self.heading} #{self.index}"

    def before(self, start: str) -> Block:
        """The block's commands up to the first that starts with ``start`` (its first part, in order)."""
        for i, command in enumerate(self.commands):
            if command.text.startswith(start):
                return replace(self, commands=self.commands[:i])
        raise LookupError(f"{self.id} prints no command starting with {start!r}")


def split_comment(line: str) -> tuple[str, str]:
    """(command, comment) of a shell line: a ``#`` outside quotes at the start of a word begins the comment."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def _commands(lines: list[str]) -> tuple[Command, ...]:
    prompted = any(line.startswith("$ ") for line in lines)
    commands: list[Command] = []
    pending = ""  # a line ending in a backslash, waiting for the rest
    for line in lines:
        if pending:
            line = pending + " " + line.strip()
            pending = ""
        elif prompted and not line.startswith("$ "):
            if commands and line.strip():
                last = commands[-1]
                commands[-1] = Command(last.text, last.comment, (*last.output, line.strip()))
            continue
        elif prompted:
            line = line[2:]
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1].rstrip()
            continue
        text, comment = split_comment(line.strip())
        if text:
            commands.append(Command(" ".join(text.split()), comment))
    if pending:
        raise ValueError(f"a continuation at the end of a block: {pending!r}")
    return tuple(commands)


def _is_command_block(language: str, lines: list[str]) -> bool:
    first = next((line for line in lines if line.strip()), "")
    first = first[2:] if first.startswith("$ ") else first
    return language in SHELL_LANGUAGES and first.split(" ", 1)[0] in PROGRAMS


def command_blocks(text: str, page: str = "") -> list[Block]:
    """The command blocks of a markdown text, in order, each named by the heading above it."""
    blocks: list[Block] = []
    heading, per_heading = "", {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
            if end is None:
                raise ValueError(f"{page}:{i + 1}: a fence that never closes")
            body = lines[i + 1 : end]
            if _is_command_block(line[3:].strip(), body):
                index = per_heading.get(heading, 0)
                per_heading[heading] = index + 1
                blocks.append(Block(page, heading, index, i + 1, _commands(body)))
            i = end + 1
            continue
        if re.match(r"#{1,6} ", line):
            heading = line.lstrip("#").strip()
        i += 1
    return blocks


def page_blocks(path: Path, root: Path) -> list[Block]:
    return command_blocks(path.read_text(), str(path.relative_to(root)))


def find_block(blocks: Sequence[Block], heading: str, index: int = 0) -> Block:
    for block in blocks:
        if block.heading == heading and block.index == index:
            return block
    raise LookupError(f"no command block #{index} under the heading {heading!r}")


Binding = str | Sequence[str]
_SAFE = re.compile(r"[\w./+@%:,=-]+")


def bind(text: str, placeholders: Mapping[str, Binding]) -> str:
    """``text`` with each placeholder replaced where it is a whole word, or the start of one
    followed by ``/`` (``GT/rec_1.wav...``); a key ending in ``/`` (``usv/``) only there. A
    sequence binds to several words (``REC...``)."""
    if not placeholders:
        return text
    keys = sorted(placeholders, key=len, reverse=True)

    def value(key: str) -> str:
        bound = placeholders[key]
        words = [bound] if isinstance(bound, str) else list(bound)
        for word in words:
            if not _SAFE.fullmatch(word):
                raise ValueError(f"{key} bound to {word!r}: only plain paths are bound, unquoted")
        return " ".join(words)

    alternatives = "|".join(re.escape(k) + ("" if k.endswith("/") else r"(?=$|\s|/|;)") for k in keys)
    return re.sub(rf"(?<![^\s=])(?:{alternatives})", lambda m: value(m.group(0)), text)


@dataclass
class Ran:
    printed: Command
    command: str  # as run: bound, sped up
    stdout: str
    stderr: str


@dataclass
class Tutorial:
    """How a test runs a page's blocks: the prose's placeholders, and nothing else but
    ``speedups`` (options appended to the commands that start with a key, only to make them
    shorter) and ``repeats`` (a command whose comment says to repeat it: text replacements, one
    map per repetition)."""

    workdir: Path
    placeholders: Mapping[str, Binding] = field(default_factory=dict)
    speedups: Mapping[str, Sequence[str]] = field(default_factory=dict)
    repeats: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=dict)
    timeout_s: float = 900

    def run(self, *blocks: Block, after: Callable[[Ran], None] | None = None) -> list[Ran]:
        """Run the blocks' commands in order; ``after`` sees each one as it ends (to look at a
        file that a later command changes)."""
        commands = [c for block in blocks for c in block.commands]
        for key in self.speedups:
            if not any(c.text.startswith(key) for c in commands):
                raise LookupError(f"speed-up for {key!r}, a command these blocks do not print")
        for comment in self.repeats:
            if not any(c.comment == comment for c in commands):
                raise LookupError(f"repeats for '# {comment}', a comment these blocks do not print")
        ran = []
        for block in blocks:
            for command in block.commands:
                for replacements in ({}, *self.repeats.get(command.comment, ())):
                    ran.append(self._run(block, command, replacements))
                    if after is not None:
                        after(ran[-1])
        return ran

    def _run(self, block: Block, command: Command, replacements: Mapping[str, str]) -> Ran:
        text = command.text
        for old, new in replacements.items():
            text = text.replace(old, new)
        text = bind(text, self.placeholders)
        for key, options in self.speedups.items():
            if command.text.startswith(key):
                text += " " + " ".join(shlex.quote(o) for o in options)
        env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
        done = subprocess.run(["bash", "-e", "-c", text], cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=self.timeout_s)
        where = f"{block.id} (line {block.line}): {command.text}"
        if done.returncode != 0:
            raise AssertionError(f"{where}\n  ran: {text}\n  exit {done.returncode}: {_tail(done.stderr or done.stdout)}")
        missing = missing_output(command.output, done.stdout + "\n" + done.stderr)
        if missing is not None:
            raise AssertionError(f"{where}\n  printed {missing!r}, which it does not print:\n{done.stdout}{done.stderr}")
        return Ran(command, text, done.stdout, done.stderr)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


_BOX = re.compile(r"[\u2500-\u257f]")


def normalized(line: str) -> str:
    """A line of output without table rules and with single spaces (rich draws boxes, pages don't)."""
    return " ".join(_BOX.sub(" ", line).split())


def missing_output(printed: Sequence[str], actual: str) -> str | None:
    """The first printed output line that is not, in order, a line of ``actual`` (``...`` skips)."""
    lines = [normalized(line) for line in actual.splitlines()]
    at = 0
    for line in printed:
        if line.strip() == ELIDED:
            continue
        want = normalized(line)
        try:
            at = lines.index(want, at) + 1
        except ValueError:
            return line
    return None


def ran_command(ran: Sequence[Ran], start: str) -> Ran:
    """The run of the (first) printed command that starts with ``start``."""
    for r in ran:
        if r.printed.text.startswith(start):
            return r
    raise LookupError(f"no command starting with {start!r} was run")


def shared_workdir(root: Path, shared: Path) -> Path:
    """``root/work``, where ``../shared/data`` is ``shared`` as it is beside the checkout."""
    (root / "shared").mkdir(parents=True, exist_ok=True)
    link = root / "shared" / "data"
    if not link.exists():
        link.symlink_to(shared.resolve(), target_is_directory=True)
    work = root / "work"
    work.mkdir(exist_ok=True)
    return work
