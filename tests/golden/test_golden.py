"""Same seed, same numbers: the golden fingerprint of a few short runs is unchanged.

If this fails after a change that alters results on purpose, regenerate with
``python tests/golden/fingerprint.py --write`` in that commit and give the reason.
"""

import json

from fingerprint import GOLDEN, fingerprint


def test_golden_fingerprint_unchanged():
    expected = json.loads(GOLDEN.read_text())
    assert fingerprint() == expected
