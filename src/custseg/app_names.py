"""Names the analyst typed, carried to another k where the segment is the same.

Renaming "Lapsed, infrequent, low spend" to "Win-back list" and then trying one more segment
should not lose the name: the new fit's segments are matched to the renamed fit's with the
library's ``--align-to`` matching (``align.match``: centres within ``align.MATCH_DISTANCE``
standard deviations, optimal pairing), and each renamed segment's name goes to its match. A
renamed segment without a clear match leaves its name behind, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import align
from .errors import DataError
from .result import SegmentationResult


@dataclass(frozen=True)
class CarriedNames:
    from_k: int
    names: dict[int, str] = field(default_factory=dict)  # new segment id -> the typed name
    was: dict[int, int] = field(default_factory=dict)  # new segment id -> its id at from_k
    left: tuple[str, ...] = ()  # typed names no segment of the new k matches clearly

    def note(self) -> str | None:
        """What the page says about the names, or None when none was typed."""
        if not self.names and not self.left:
            return None
        parts = []
        if self.names:
            parts.append(f"Names you typed at k={self.from_k}, carried to the same segments "
                         "here: " + ", ".join(
                             f"'{name}' (segment {self.was[i]} then, {i} now)"
                             for i, name in sorted(self.names.items())) + ".")
        if self.left:
            parts.append("Not carried, as no segment here clearly matches: "
                         + ", ".join(f"'{n}'" for n in self.left)
                         + "; those segments keep their suggested names.")
        return " ".join(parts)


def carry(renamed_at: SegmentationResult, typed: dict[int, str],
          new: SegmentationResult) -> CarriedNames:
    """The names ``typed`` on ``renamed_at``'s segments (by id) that go to ``new``'s segments."""
    from_k = len(renamed_at.profiles)
    if not typed:
        return CarriedNames(from_k)
    used = list(new.summary["features"])
    try:
        alignment = align.match(new.model, new.data[used], renamed_at.model)
    except DataError:  # other features: no segment can be the same
        return CarriedNames(from_k, left=tuple(typed.values()))
    names, was = {}, {}
    for pair in alignment.matched:
        if pair["old_id"] in typed:
            # match() numbers the new segments as if renumbered; this run keeps its own ids
            segment_id = alignment.order[pair["new_id"]]
            names[segment_id] = typed[pair["old_id"]]
            was[segment_id] = pair["old_id"]
    left = tuple(name for old_id, name in sorted(typed.items()) if old_id not in was.values())
    return CarriedNames(from_k, names, was, left)
