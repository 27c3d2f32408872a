"""The review queue's filter widgets: one menu per filter, two boxes for the score range, one menu for the order.

They only fill a :class:`hark.gui.review.ReviewFilter`; the queue itself is plain Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bokeh.layouts import row
from bokeh.models import Select, TextInput

from hark.errors import HarkError
from hark.gui.keys import release_focus_after_change
from hark.gui.loaded import ShownEvent
from hark.gui.review import ORDERS, ReviewFilter, other_annotators, parse_score

ANY = "(any)"


class ReviewFilters:
    """Kind, label, annotator, score range and order of the review queue; ``changed`` runs after every change."""

    def __init__(self, changed: Callable[[], None]):
        self.kind = Select(title="Review kind", options=[ANY], value=ANY, width=120, name="review-kind")
        self.label = Select(title="Review label", options=[ANY], value=ANY, width=140, name="review-label")
        self.annotator = Select(title="Review annotator", options=[ANY], value=ANY, width=130, name="review-annotator")
        self.min_score = TextInput(title="Score from", value="", width=80, name="review-min-score")
        self.max_score = TextInput(title="Score to", value="", width=80, name="review-max-score")
        self.order = Select(title="Review order", options=list(ORDERS), value="time", width=170, name="review-order")
        for widget in (self.kind, self.label, self.annotator, self.min_score, self.max_score, self.order):
            widget.on_change("value", lambda attr, old, new: changed())
        for widget in (self.kind, self.label, self.annotator, self.order, self.min_score, self.max_score):
            release_focus_after_change(widget)  # → steps the queue (A accepts, ...) once a choice is made

    def layout(self):
        return row(self.kind, self.label, self.annotator, self.min_score, self.max_score, self.order)

    def set_choices(self, candidates: Iterable[ShownEvent], has_suggestions: bool) -> None:
        """Offer the kinds, labels and annotators of the recording's events (keeping a choice that is still offered)."""
        candidates = [s for s in candidates if not s.own]
        kinds = sorted({s.event.kind.value for s in candidates})
        labels = sorted({s.event.label for s in candidates})
        for select, values in ((self.kind, kinds), (self.label, labels), (self.annotator, other_annotators(candidates))):
            options = [ANY, *values]
            if select.options != options:
                select.options = options
            if select.value not in options:
                select.value = ANY
        orders = [name for name, order in ORDERS.items() if order != "suggestion" or has_suggestions]
        if self.order.options != orders:
            self.order.options = orders
        if self.order.value not in orders:
            self.order.value = "time"

    def current(self) -> ReviewFilter:
        """The filter the widgets say; a mistake (a score that is no number) is a one-line HarkError."""

        def chosen(select: Select) -> frozenset[str]:
            return frozenset() if select.value in (ANY, "", None) else frozenset([select.value])

        return ReviewFilter(
            kinds=chosen(self.kind), labels=chosen(self.label), annotators=chosen(self.annotator),
            min_score=parse_score(self.min_score.value, "Score from"), max_score=parse_score(self.max_score.value, "Score to"),
            order=ORDERS.get(self.order.value, "time"),
        )  # fmt: skip

    def describe(self) -> str:
        try:
            current = self.current()
        except HarkError:
            return ""
        parts = [f"{name} {next(iter(values))}" for name, values in
                 (("kind", current.kinds), ("label", current.labels), ("annotator", current.annotators)) if values]  # fmt: skip
        if current.min_score is not None or current.max_score is not None:
            low = "" if current.min_score is None else f"{current.min_score:g}"
            high = "" if current.max_score is None else f"{current.max_score:g}"
            parts.append(f"score {low}–{high}")
        return ", ".join(parts)
