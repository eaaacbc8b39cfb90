"""The `tumor-immune trial` subcommand: registered, and bad input is a named error (exit 2) with nothing written."""

from experiments.cli import main


def test_trial_subcommand_rejects_a_bad_design_before_running(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[trial]\nname = "x"\npatients = -3\n')
    out = tmp_path / "out"
    assert main(["trial", str(bad), "--out", str(out)]) == 2
    assert "trial.patients = -3" in capsys.readouterr().err
    assert not out.exists()


def test_trial_subcommand_rejects_bad_workers(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["trial", "keynote086_like", "--out", str(out), "--workers", "0"]) == 2
    assert "workers = 0" in capsys.readouterr().err
    assert not out.exists()
