"""Replacing what a Bokeh DataTable shows, so that it is redrawn."""

from __future__ import annotations

from bokeh.models import DataTable


def replace_table_data(table: DataTable, data: dict[str, list]) -> None:
    """Show ``data`` in ``table``.

    Bokeh's table redraws on new data only when the number of rows changes; a change of the
    table model itself (its ``tags``, which nothing else uses) makes it redraw whatever changed.
    """
    if data == dict(table.source.data):
        return
    table.source.data = data
    version = table.tags[0] if table.tags and isinstance(table.tags[0], int) else 0
    table.tags = [version + 1]
