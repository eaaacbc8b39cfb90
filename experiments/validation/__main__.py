"""``python -m experiments.validation``: regenerate the validation report."""

import sys

from .report import cli

sys.exit(cli())
