"""Annotator precedence for training: superseded events are left out, unsettled conflicts refused.

The rules are :mod:`hark.annotations.precedence`'s (see docs/training-data.md): a person's
event wins over a machine's at the same place, a ranked annotator's (``annotators``) over a
lower-ranked or unranked one's, a verdict over no verdict; different labels (or accepted
against rejected) at one place that none of these settles stop training with one line. The
superseded events stay in their files; they are only not learnt.
"""

from __future__ import annotations

from dataclasses import replace

from hark.annotations.precedence import resolve
from hark.errors import HarkError, ParameterError
from hark.train.data_load import Annotation, FolderContents
from hark.train.examples import Classes


def apply_precedence(contents: FolderContents, annotators: list[str], classes: Classes, every_label: bool = False) -> tuple[FolderContents, list[Annotation]]:
    """``contents`` without its superseded annotations, and those annotations.

    Only conflicts that touch a used label (or any label, ``every_label``: events supervision,
    where a rejected event of any label teaches) stop training. An annotator in ``annotators``
    who annotated nothing here is a one-line error (a misspelt name would otherwise rank nobody).
    """
    present = sorted({a.event.annotator for a in contents.annotations if a.event.annotator})
    for name in annotators:
        if name not in present:
            raise HarkError(
                f"annotators: {name!r} annotated nothing of the chosen kinds in {contents.root} "
                f"(annotators there: {', '.join(present) or 'none'})"
            )
    items = [(a.event, a.csv) for a in contents.annotations]
    found = resolve(items, annotators, classes.not_prefix)
    used = set(classes.annotation_labels)
    conflicts = [c for c in found.conflicts if every_label or c.first[0].label in used or c.second[0].label in used]
    if conflicts:
        more = f" (and {len(conflicts) - 1} more; hark info {contents.root} lists them)" if len(conflicts) > 1 else ""

        def shown(path):
            try:
                return path.relative_to(contents.root).as_posix()
            except ValueError:
                return str(path)

        raise ParameterError(
            "annotators", f"{contents.root}: {conflicts[0].describe(shown)}{more}; rank the annotators, first wins ({{param}} NAME,NAME), or correct one of the files"
        )
    superseded = [contents.annotations[i] for i in sorted(found.superseded)]
    kept = tuple(a for i, a in enumerate(contents.annotations) if i not in found.superseded)
    return replace(contents, annotations=kept), superseded
