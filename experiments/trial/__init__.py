"""Virtual clinical trials: design files, forked twin arms, lesion-scale RECIST 1.1, read-outs (docs/trial.md).

Example::

    from experiments.trial import run_trial
    result = run_trial("impassion130_like", "results/trial/impassion", patients=20)
    result.table          # ORR (CR/PR), DCR, DoR, PFS, HR per analysis
"""

from .design import LesionScale, TrialDesign, TrialDesignError, load_design
from .run import TrialResult, analyse, run_trial

__all__ = ["run_trial", "analyse", "TrialResult", "load_design", "TrialDesign", "TrialDesignError", "LesionScale"]
