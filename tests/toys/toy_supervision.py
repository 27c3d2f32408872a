"""A toy supervision from outside hark, registered through the ``hark.supervisions`` entry point.

tests/plugins.py copies this file into a temporary folder beside a fake distribution whose
``entry_points.txt`` names ``TOY``, so that ``hark train --supervision toy`` finds it as it
would a third party's.

``toy`` is sparse supervision that learns from the centre of each annotation only: a range
annotation becomes a point at its middle before the examples are cut, so every window is
placed around the middle of its sound. Everything else (the split, the checks, the default
architecture ``convnet``) is sparse supervision's.
"""

from __future__ import annotations

from dataclasses import replace

from hark.train.supervisions import SparseSupervision


def centred(contents):
    """The folder's contents with every annotation reduced to a point at its middle."""
    points = []
    for annotation in contents.annotations:
        event = annotation.event
        middle = (event.start + event.stop) // 2
        points.append(replace(annotation, event=event.with_(start=middle, stop=middle)))
    return replace(contents, annotations=tuple(points))


class CentredSupervision(SparseSupervision):
    name = "toy"
    description = "sparse supervision on the centre of each annotation"

    def build(self, cls, contents, params, classes, validation_recordings, test_recordings):
        return super().build(cls, centred(contents), params, classes, validation_recordings, test_recordings)

    def split_items(self, contents, params, classes):
        return super().split_items(centred(contents), params, classes)


TOY = CentredSupervision()
