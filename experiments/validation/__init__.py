"""Validation suite: every claim of docs/validation.md as code, one module per section.

=====================  ==========================================================
module                 section
=====================  ==========================================================
``numerics``           field numerics against analytic solutions
``growth``             growth without immunity (Yule process, Eden front, capacity)
``kuznetsov``          well-mixed limit vs Kuznetsov et al. (1994)
``biology``            effect directions from the literature (paired arms)
``biology_arms``       the tissue arms, per-run read-outs and the suppression assay
``therapy``            chemotherapy, radiotherapy (LQ), virtual checkpoint cohorts
``immunity_section``   issue-12 pre-registered multi-root claims (``imm.*``)
``immunity``           those claims' pre-registration text and command line
``immune_claims``      window equivalence, immune control, claim registry, Holm
``bone_claims``        the four bone-niche claims
``dt_claim``           dt-halving of immune outcomes and rates (``dt_immune_outcomes``, ``dt_immune_rates``)
``window_claim``       window independence of CD8 influx and kills (``window_rates``) and of the
                       burden (``window_burden``)
``journal``            resumable claim runs (``--journal FILE``)
``ledger``             every claim's judged runs, from the committed records (docs table)
``osm_claims``         oncostatin M at default settings in the immune host (``osm_*``, ``anti_osm_*``)
``*_exploration``      pilots and power simulations that sized those claims (not judged)
``immunity_stats``     their statistics, seeds and pipeline read-outs
``core``               budgets, :class:`Check`, validation run specs (the one runner)
``probes``             per-step read-outs and set-ups (runner ``probe`` / ``setup``)
``report``             the Markdown report, ``results.json``, docs/validation.md block
=====================  ==========================================================

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
