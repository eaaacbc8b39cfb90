"""The teaching notebooks run top to bottom and keep their promises.

Each notebook in ``notebooks/`` is executed with nbclient in a ``python3`` kernel
(the interpreter running pytest, i.e. the project's virtual environment) with
``notebooks/`` as its working directory. A test fails on any cell error, and on
a notebook that does not draw at least one figure, has no "Questions for you"
cell, is committed with outputs, or leaves files behind in ``notebooks/``
(notebook 07 writes its scenario files and results into a temporary folder).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [
    "01_meet_the_model",
    "02_immune_escape",
    "03_checkpoint_blockade",
    "04_interferon_and_metastasis",
    "05_neutrophils_and_oncostatin_m",
    "06_chemotherapy_and_the_immune_system",
    "07_your_own_experiment",
    "08_which_parameters_matter",
]
CELL_TIMEOUT_S = 300  # generous: the whole notebook takes well under a minute on an idle 2-core machine
QUESTIONS_HEADING = re.compile(r"^#+\s*Questions for you", re.MULTILINE)


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _tree(directory: Path) -> dict[str, float]:
    """Every file under ``directory`` (hidden checkpoints and caches excluded) with its mtime."""
    out = {}
    for p in directory.rglob("*"):
        rel = p.relative_to(directory)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if p.is_file():
            out[str(rel)] = p.stat().st_mtime
    return out


def test_the_course_is_complete():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED
    readme = NOTEBOOK_DIR / "README.md"
    assert readme.is_file(), "notebooks/README.md lists the course"
    text = readme.read_text()
    for name in EXPECTED:
        assert name in text, f"notebooks/README.md does not mention {name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_saved_clean_and_structured(path):
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"cells {dirty} were saved with outputs; clear them before committing"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "starts with a title"
    last_md = [c for c in nb.cells if c.cell_type == "markdown"][-1]
    assert QUESTIONS_HEADING.search(last_md.source), "the last markdown cell is 'Questions for you'"
    questions = re.findall(r"^\s*\d+\.\s+\S", last_md.source, re.MULTILINE)
    assert len(questions) >= 3, "at least three numbered questions"
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"[A-Z][a-z]+( et al\.| &| and)?[^\n]{0,40}\b(19|20)\d\d\b", prose), (
        "the text points to the literature (author and year)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    nb = _read(path)
    before = _tree(NOTEBOOK_DIR)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - start

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no figure"
    assert _tree(NOTEBOOK_DIR) == before, f"{path.name} wrote into notebooks/ (use a temporary folder)"
    print(f"{path.name}: {elapsed:.1f} s, {len(images)} figures")
