"""Validation suite: every claim of docs/validation.md as code, one module per section.

===================  ==========================================================
module               section
===================  ==========================================================
``numerics``         field numerics against analytic solutions
``growth``           growth without immunity (Yule process, Eden front, capacity)
``kuznetsov``        well-mixed limit vs Kuznetsov et al. (1994)
``biology``          effect directions from the literature (paired arms)
``biology_arms``     the tissue arms, per-run read-outs and the suppression assay
``therapy``          chemotherapy, radiotherapy (LQ), virtual checkpoint cohorts
``core``             budgets, :class:`Check`, validation run specs (the one runner)
``probes``           per-step read-outs and set-ups (runner ``probe`` / ``setup``)
``report``           the Markdown report, ``results.json``, docs/validation.md block
===================  ==========================================================

``tumor-immune validate`` (or ``python -m experiments.validation``) calls :func:`main`.
"""

from __future__ import annotations

from .core import FULL, TEST, Budget, Check
from .report import DOCS_BEGIN, DOCS_END, SECTIONS, cli, main, render_report, render_summary_table, run_sections, \
    sections, update_docs

__all__ = [
    "main",
    "cli",
    "run_sections",
    "sections",
    "render_report",
    "render_summary_table",
    "update_docs",
    "SECTIONS",
    "DOCS_BEGIN",
    "DOCS_END",
    "Budget",
    "TEST",
    "FULL",
    "Check",
]
