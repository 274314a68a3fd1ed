"""The bad-input corpus: every malformed file gets a clear one-line error (exit 2) naming the file
and the row or column, or, when the file is readable, its bad values are explained in the
command's own outputs (rejects, data-quality counts). Never a traceback."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

CORPUS = Path(__file__).parent / "corpus"
SPEC = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = SPEC["case"]


def test_corpus_is_large_enough() -> None:
    files = {c["file"] for c in CASES}
    assert len(CASES) >= 30 and len(files) >= 30


@pytest.mark.parametrize("case", CASES, ids=[f"{c['use']}:{c['file']}" for c in CASES])
def test_corpus_case(cli: Cli, tmp_path: Path, case: dict[str, Any]) -> None:
    args = [
        a.format(c=CORPUS, out=tmp_path, file=case["file"]) for a in SPEC["templates"][case["use"]]
    ]
    code, out, err = cli(*args)
    assert code == case["exit"], f"exit {code}\nstdout: {out}\nstderr: {err}"
    assert "Traceback" not in err + out
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        message = lines[-1]
        assert (
            message.startswith("error: ") and len([x for x in lines if x.startswith("error")]) == 1
        )
        assert case["file"] in message or "project" in case["use"], message
        for fragment in case["fragments"]:
            assert fragment in message, (fragment, message)
        assert "; " in message, f"no advice in: {message}"
        assert not (tmp_path / "prep" / "keys.csv").exists() and not (tmp_path / "work").exists()
    else:
        produced = tmp_path / case["output"]
        assert produced.exists()
        if case["shows"]:
            assert case["shows"] in produced.read_text(encoding="utf-8", errors="replace")
