"""Assign new customers to the segments of a saved model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema
from .model import SegmentModel


def score_frame(model: SegmentModel, frame: pd.DataFrame) -> pd.DataFrame:
    """id, segment, segment_name, distance for each row of ``frame``.

    Missing feature columns are a DataError naming them; unseen category levels warn.
    """
    frame, _ = schema.normalise_columns(frame)
    numeric = [s.name for s in model.preparer_.specs if s.kind == "numeric"]
    present = [c for c in numeric if c in frame.columns]
    frame = schema.check_numeric(frame, present)
    labels, distances = model.assign_frame(frame)
    id_column = getattr(model, "id_column_", None)
    names = np.asarray(getattr(model, "segment_names_", [str(i) for i in
                                                          range(model.n_clusters_)]), dtype=object)
    out = pd.DataFrame({"segment": labels, "segment_name": names[labels],
                        "distance": distances.round(6)})
    if id_column and id_column in frame.columns:
        out.insert(0, id_column, frame[id_column].to_numpy())
    else:
        out.insert(0, "row_number", np.arange(1, len(frame) + 1))
    return out
