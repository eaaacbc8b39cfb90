"""Virtual clinical trials (see docs/trial.md)."""
