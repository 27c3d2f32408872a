"""Errors that report a user's mistake as one line, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


class HarkError(Exception):
    """A problem with the user's input or environment.

    The command line prints ``str(error)`` as a single line and exits non-zero; anything
    that is not a HarkError is a bug in hark and keeps its traceback. ``param`` names the
    parameter at fault, when one is (see :class:`ParameterError`).
    """

    def __init__(self, *args: object, param: str | None = None):
        super().__init__(*args)
        self.param = param


class ParameterError(HarkError):
    """A bad or missing value of one parameter of a library function.

    ``message`` says what is wrong with ``{param}`` where the parameter is named. The library
    names it as its Python callers do (``device 'tpu': expected auto, cpu, cuda or cuda:N``),
    never as a command-line flag: the call may come from Python, a job or the GUI. The
    command line names the flag the user typed (``--device 'tpu': ...``, see
    :func:`hark.cli.common.error_message`) and the GUI the form's field, through :meth:`phrased`.
    A message that names another parameter too writes it ``{name}`` and lists it in ``others``.
    """

    def __init__(self, param: str, message: str, *, others: tuple[str, ...] = ()):
        self.template = message
        self.others = tuple(others)  # other parameters the message names, as ``{name}``
        super().__init__(self._render(param, lambda name: name), param=param)

    def phrased(self, name_of: Callable[[str], str]) -> str:
        """The message with each parameter called ``name_of(parameter)`` (a flag, a form field)."""
        return self._render(self.param, name_of)

    def _render(self, param: str, name_of: Callable[[str], str]) -> str:
        text = self.template.replace("{param}", name_of(param))
        for other in self.others:
            text = text.replace("{" + other + "}", name_of(other))
        return text

    def __reduce__(self):  # a job's error crosses processes: keep the fields
        return _parameter_error, (self.param, self.template, self.others)


def _parameter_error(param: str, template: str, others: tuple[str, ...]) -> ParameterError:
    return ParameterError(param, template, others=others)


MAX_REASON = 200  # characters of a FileFormatError's reason: a 1 MB label must not make a 1 MB error


def one_line(text: str, limit: int = MAX_REASON) -> str:
    """``text`` on one line (runs of white space, line breaks included, become one space), cut to ``limit`` characters."""
    text = " ".join(text[: 4 * limit].split())  # cut first: splitting a megabyte costs time
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for echoing what a user's file holds."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value)} characters)"
    if isinstance(value, int) and value.bit_length() > 3 * limit:  # repr of a 5,000-digit int raises
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FileFormatError(HarkError):
    """A file that hark cannot read, with the place of the problem: ``file[:line]: reason``.

    The reason is made one line of at most :data:`MAX_REASON` characters, whatever the file held.
    """

    def __init__(self, path: str | Path, reason: str, line: int | None = None):
        self.path = Path(path)
        reason = one_line(str(reason))
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
