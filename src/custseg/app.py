"""The web app (extra ``[app]``): ``custseg app`` runs ``streamlit run`` on this file.

The page calls the library and holds no segmentation logic: every number comes from
``custseg.segment``, every file from ``SegmentationResult.render`` and ``targeting``. Expensive
work is cached by the file's content hash and the options, so clicks never refit.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

import custseg
from custseg import app_detect, app_mapping, io
from custseg.app_answer import answer_section, segment_figures
from custseg.app_k import how_k_was_chosen, pick_k
from custseg.app_messages import for_markdown, in_page_terms
from custseg.app_names import CarriedNames, carry
from custseg.app_quality import quality_section
from custseg.errors import CustsegError
from custseg.features.customers import read_customers
from custseg.report import profile_image, projection, stability_text
from custseg.schema import resolve_name
from custseg.sources import VIEW, open_source
from custseg.targeting import with_groups

SCATTER_POINTS = 5_000
PREVIEW_ROWS = 10_000
UPLOADS = Path(tempfile.gettempdir()) / "custseg-app"
_SHOWN_AS: dict[str, str] = {}  # saved upload path -> the name the analyst uploaded
_TYPED = "_typed_names"  # session state: the names typed at the k shown last, and that run


def _save_upload(name: str, data: bytes) -> Path:
    """Uploaded bytes to a file named by their hash (same file, same path, same cache key)."""
    UPLOADS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = UPLOADS / f"{digest}-{Path(name).name}"
    if not path.exists():
        with io.atomic_path(path) as tmp:  # another session may read it at the same moment
            tmp.write_bytes(data)
    return path


@st.cache_data(show_spinner=False, max_entries=4)
def _preview(path: str) -> tuple[pd.DataFrame, str | None]:
    """The first rows as custseg reads them, and the id column the reader detected."""
    table = read_customers(path, resolve=resolve_name)
    # Enough rows to see ids repeat in a purchase history (detection), few enough to be quick.
    return table.frame.head(PREVIEW_ROWS).reset_index(drop=True), table.id_column


@st.cache_data(show_spinner=False, max_entries=4)
def _as_written(path: str, rows: int) -> pd.DataFrame | None:
    """The first ``rows`` of the file as written (text files: every cell as its text), for
    people to look at: the typed preview reads a customer id 00042 that repeats (so is not
    taken for the table's id) as the number 42. None when the text cannot be read that way."""
    con = duckdb.connect()
    try:
        # read_customers (``_preview``) read this same file with the same detection, and its
        # first scan found nothing wrong: no need to scan it again.
        open_source(con, path, scan=False)
        return con.execute(f"SELECT * FROM {VIEW} LIMIT {int(rows)}").df()
    except (duckdb.Error, CustsegError):  # e.g. line breaks in quotes (parallel read): typed
        return None
    finally:
        con.close()


@st.cache_resource(show_spinner=False, max_entries=8)
def _segment(path: str | None, options_json: str) -> custseg.SegmentationResult:
    """Cached per file and options: changing a widget elsewhere never refits."""
    options = custseg.SegmentOptions(**json.loads(options_json))  # as the API and the CLI
    bar = st.progress(0.0, text="Segmenting...")
    steps = {"n": 0}

    def progress(label: str) -> None:
        steps["n"] += 1
        bar.progress(min(steps["n"] / 16, 0.95), text=f"Segmenting: {label}")

    try:
        result = custseg.segment(path, options=options, on_progress=progress)
    finally:
        bar.empty()
    # The cache keeps this result for the server's life, shared by every session, and
    # renaming copies it: a purchase history's DuckDB session must not travel with it (a live
    # connection cannot be pickled or copied). Nothing on the page queries the lines again.
    if result.history is not None:
        result.history.features.close()
    return result


def data_section() -> tuple[str | None, dict[str, Any]] | None:
    """The file, what it is and its column mapping; None until there is something to run."""
    st.header("1. Your data")
    source = st.radio("Data", ["Built-in sample (Mall Customers)", "Upload a file"],
                      horizontal=True, key="source")
    path: str | None = None
    if source == "Upload a file":
        # The size limit is Streamlit's (set by `custseg app`): the widget states it and
        # refuses larger files itself.
        upload = st.file_uploader(
            "CSV, TSV, Parquet, Excel or JSON lines",
            type=["csv", "tsv", "parquet", "xlsx", "jsonl"], key="upload",
            help="Files over the limit: run custseg segment on the command line; it reads "
                 "files of any size.")
        if upload is None:
            st.info("Upload a customer table or a purchase history to start.")
            app_mapping.hidden()
            return None
        path = str(_save_upload(upload.name, upload.getvalue()))
        _SHOWN_AS[path] = upload.name
    preview, detected_id = _preview(path) if path else _preview(str(custseg.sample_path()))
    columns = [str(c) for c in preview.columns]
    reason = app_detect.history_reason(preview)  # why the file looks like a history, or None
    app_mapping.restore(columns, app_mapping.detected_choices(preview, detected_id, reason))
    history = app_mapping.choose_kind(reason)
    shown = "the sample" if path is None else _SHOWN_AS.get(path, Path(path).name)
    written = _as_written(path or str(custseg.sample_path()), 20)
    st.caption(f"Preview (first rows of {for_markdown(shown)}"
               + (", as written in the file):" if written is not None else "):"))
    st.dataframe(preview.head(20) if written is None else written, width="stretch")
    if not history:
        options = app_mapping.table_mapping(preview, detected_id)
    elif path is None:
        st.warning("The built-in sample is a customer table; upload a purchase history.")
        return None
    else:
        options = app_mapping.history_mapping(preview)
    return None if options is None else (path, options)


def explore_section(result: custseg.SegmentationResult, run_key: str,
                    carried: CarriedNames) -> None:
    st.header("3. The segments")
    note = carried.note()
    if note:
        st.info(for_markdown(note), icon=":material/label:")
    points, _, xlabel, ylabel = projection(result)
    id_column = str(result.assignments.columns[0])
    frame = pd.DataFrame({"x": points[:, 0], "y": points[:, 1],
                          "segment": result.assignments["segment_name"].to_numpy(),
                          id_column: result.assignments[id_column].astype(str).to_numpy()})
    for feature in result.summary["features"]:
        frame[feature] = result.assignments[feature].to_numpy()
    if len(frame) > SCATTER_POINTS:
        frame = frame.sample(SCATTER_POINTS, random_state=0)
    tooltip = [id_column, "segment", *result.summary["features"]]
    two = xlabel in result.summary["features"]
    chart = (alt.Chart(frame, height=440).mark_circle(size=40, opacity=0.75)
             .encode(x=alt.X("x:Q", title=xlabel if two else "component 1",
                             scale=alt.Scale(zero=False)),
                     y=alt.Y("y:Q", title=ylabel if two else "component 2",
                             scale=alt.Scale(zero=False)),
                     color=alt.Color("segment:N"), tooltip=tooltip).interactive())
    st.altair_chart(chart, width="stretch")
    if not two:
        st.caption(for_markdown(f"A 2-D projection of all features: the horizontal axis is "
                                f"{xlabel}, the vertical axis {ylabel}. Hover over a dot for "
                                "the customer."))
    sizes = pd.DataFrame({"segment": [f"{p.id}: {p.name}" for p in result.profiles],
                          "customers": [p.size for p in result.profiles]})
    left, right = st.columns(2)
    left.bar_chart(sizes, x="segment", y="customers")
    left.dataframe(sizes.set_index("segment"), width="stretch")
    right.image(profile_image(result),
                caption="How far each segment's average sits from all customers (in standard "
                        "deviations); numbers are segment averages.")
    products = result.summary.get("products", {}).get("top_by_segment", {})
    stability = {s["id"]: s for s in result.summary.get("segments", [])}
    runs = result.summary.get("stability", {}).get("runs", 0)
    for profile in result.profiles:
        segment = stability.get(profile.id, {})
        value = segment.get("stability")
        shown = ("stability not measured" if value is None
                 else f"{segment['stability_label']} {value:.2f}")
        # An expander's label is markdown: a typed name may hold "$", "*"...
        with st.expander(f"Segment {profile.id}: {for_markdown(profile.name)} "
                         f"({profile.size:,} customers; {shown})"):
            st.text_input("Name", value=carried.names.get(profile.id, profile.name),
                          key=f"name_{run_key}_{profile.id}",
                          help="Edit the name; downloads and the report use it.")
            st.markdown(for_markdown(profile.description))
            if value is not None:
                why = (f"mean Jaccard similarity with its best match over {runs} bootstrap "
                       "refits; Hennig: 0.85 and above stable, 0.75 fairly stable, 0.6 weak, "
                       "below 0.6 unstable")
            else:
                why = ("stability is off (stability_runs=0)" if not runs
                       else "too small to appear in the resamples")
            st.markdown(f"**Stability: {stability_text(segment)}** ({why})")
            figures = segment_figures(result.summary, profile.id)
            if figures:
                st.dataframe(pd.DataFrame([figures]), hide_index=True)
            play = profile.extra["playbook"]
            st.markdown(f"**Playbook: {for_markdown(play['goal'])}**\n" + "\n".join(
                f"- {for_markdown(a)}" for a in play["actions"])
                + f"\n\n_Rule: {for_markdown(play['rule'])}_")
            if products.get(profile.id):
                st.markdown("**Buys more than average:** " + ", ".join(
                    f"{for_markdown(str(r['product']))} ({r['affinity_index']:.0f})"
                    for r in products[profile.id]))


@st.cache_data(show_spinner="Preparing the files...", max_entries=4)
def _files(path: str | None, options_json: str, renames_json: str) -> dict[str, bytes]:
    """The downloads, rendered once per result (the report takes seconds on big tables)."""
    renames = {int(k): v for k, v in json.loads(renames_json).items()}
    result = _renamed(path, options_json, renames_json) if renames else _segment(
        path, options_json)
    files = {}
    for name, content in result.render().items():
        files[name] = (io.csv_bytes(content) if isinstance(content, pd.DataFrame)
                       else str(content).encode())  # the bytes save() writes
    return files


def downloads_section(result: custseg.SegmentationResult, path: str | None, options_json: str,
                      renames_json: str) -> None:
    st.header("4. Take it away")
    files = _files(path, options_json, renames_json)
    cols = st.columns(3)
    for column, name in zip(cols, ("segments.csv", "model.json", "report.html"), strict=True):
        column.download_button(f"Download {name}", files[name], file_name=name,
                               key=f"dl_{name}", on_click="ignore")
    st.subheader("Target list with a control group")
    choice = st.selectbox("Segment", [f"{p.id}: {p.name}" for p in result.profiles],
                          key="export_segment")
    holdout = st.slider("Control group", 0, 50, 10, format="%d%%", key="holdout")
    segment_id = int(choice.split(":")[0])
    chosen = with_groups(result.assignments[result.assignments["segment"] == segment_id],
                         holdout / 100)
    control = int((chosen["group"] == "control").sum())
    st.caption(f"{len(chosen):,} customers: {len(chosen) - control:,} target, {control:,} "
               "control (split by a hash of the id, the same as custseg export).")
    st.download_button("Download target list", io.safe_for_spreadsheets(chosen)
                       .to_csv(index=False).encode(), file_name=f"targets-segment-{segment_id}.csv",
                       key="dl_targets", on_click="ignore")


def main() -> None:
    st.set_page_config(page_title="custseg", layout="wide")
    st.title("Customer segments")
    st.caption("From a customer table or a purchase history to named segments, a report and "
               "target lists. Everything runs on this machine.")
    try:
        picked = data_section()
        if picked is None:
            return
        path, options = picked
        base = json.dumps({**options, "k": "auto"}, sort_keys=True)
        recommended = _segment(path, base)
        data_key = _widget_key(f"{path}{base}")
        st.header("2. The answer in brief")
        answer_box = st.container()  # filled once k is known: the answer for the k picked
        k = pick_k(recommended.summary, data_key)
        chosen = json.dumps({**options, "k": k}, sort_keys=True)
        run_key = _widget_key(f"{path}{chosen}")
        # The recommended k is the automatic run itself (its files keep how k was chosen).
        if k == recommended.summary["k"]:
            chosen = base
        result = _segment(path, chosen)
        carried = _carried_names(path, data_key, run_key, result)
        edited = {p.id: st.session_state.get(f"name_{run_key}_{p.id}",
                                             carried.names.get(p.id, p.name)).strip()
                  for p in result.profiles}
        renames = {i: n for i, n in edited.items()
                   if n != next(p.name for p in result.profiles if p.id == i)}
        st.session_state[_TYPED] = {"data": data_key, "run": run_key, "options": chosen,
                                    "names": renames}
        renames_json = json.dumps(renames, sort_keys=True)
        if renames:
            try:
                result = _renamed(path, chosen, renames_json)
            except CustsegError as exc:  # keep the page, so the name can be fixed
                st.error(for_markdown(in_page_terms(str(exc))))
                renames_json = "{}"
        with answer_box:
            answer_section(result.summary)
        quality_section(result.summary)
        explore_section(result, run_key, carried)
        how_k_was_chosen(recommended.summary)
        downloads_section(result, path, chosen, renames_json)
    except CustsegError as exc:
        st.error(for_markdown(in_page_terms(str(exc), _SHOWN_AS)))
    except Exception as exc:  # noqa: BLE001 - the page must keep working, without a traceback
        st.error(for_markdown(f"Something went wrong ({type(exc).__name__}: {exc}). Try "
                              "another file or option; the command line (CUSTSEG_DEBUG=1) "
                              "shows details."))


def _carried_names(path: str | None, data_key: str, run_key: str,
                   result: custseg.SegmentationResult) -> CarriedNames:
    """The names typed at the k shown last, carried to this k's matching segments: worked out
    once on arriving at this k (then the name boxes hold them) and kept for the page's note."""
    typed = st.session_state.get(_TYPED)
    note_key = f"_carried_{run_key}"
    if typed and typed["data"] == data_key and typed["run"] != run_key:
        earlier = _segment(path, typed["options"])  # cached: the run the names were typed on
        st.session_state[note_key] = carry(earlier, typed["names"], result)
    found = st.session_state.get(note_key)
    return found if isinstance(found, CarriedNames) else CarriedNames(len(result.profiles))


def _widget_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]


@st.cache_resource(show_spinner=False, max_entries=8)
def _renamed(path: str | None, options_json: str, renames_json: str) -> custseg.SegmentationResult:
    # The cached result is frozen: renaming returns a new one and leaves the cache as it was.
    return _segment(path, options_json).renamed(
        {int(k): v for k, v in json.loads(renames_json).items()})


main()
