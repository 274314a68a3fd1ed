"""The protection's certificate: evidence the steward's audit verifies, never trusts.

A certificate holds feasible points and lower-bound proofs (row multipliers). The audit uses a
point only if it satisfies the rows it rebuilt from the export, and a proof only if weak duality
holds for its own matrix; so a certificate can save LPs but cannot change a verdict.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nbnb_cbs.disclosure import load_profile
from nbnb_cbs.disclosure.lp import (
    Certificate,
    Form,
    Row,
    audit_bounds,
    feasible_points,
    form_key,
    proven_lower,
    violated,
)
from nbnb_cbs.disclosure.release_audit import audit_export, load_certificate

T = W = 10.0
INF = math.inf
# Three atoms; published: x0 + x1 = 14 and x1 = 10 (so x0 = 4 is pinned), x1 + x2 = 20.
ROWS = [
    Row((0, 1), (1.0, 1.0), 14.0, 14.0, cell=0),
    Row((1,), (1.0,), 10.0, 10.0, cell=1),
    Row((1, 2), (1.0, 1.0), 20.0, 20.0, cell=2),
]
PINNED = Form((0,), (1.0,), "small", "x0")  # exactly 4: a count of 1..9
BIG = Form((0, 1, 2), (1.0, 1.0, 1.0), "small", "x0+x1+x2")  # exactly 24


def _matrix() -> tuple[object, np.ndarray, np.ndarray]:
    from scipy import sparse

    dense = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    return sparse.csr_array(dense), np.array([14.0, 10.0, 20.0]), np.array([14.0, 10.0, 20.0])


def test_points_are_kept_only_when_feasible() -> None:
    matrix, lower, upper = _matrix()
    points = np.array([[4.0, 10.0, 10.0], [0.0, 14.0, 6.0], [14.0, 0.0, 20.0], [-1.0, 10.0, 10.0]])
    kept = feasible_points(points, matrix, lower, upper)
    assert kept.tolist() == [[4.0, 10.0, 10.0]]


def test_a_proof_holds_only_under_weak_duality() -> None:
    matrix, lower, upper = _matrix()
    cost = BIG.dense(3)
    # y = (1, 0, 1) minus the middle row: x0+x1 + x1+x2 - x1 = x0+x1+x2 >= 14 + 20 - 10 = 24.
    assert proven_lower(cost, np.array([1.0, -1.0, 1.0]), matrix, lower, upper) == 24.0
    # y = (1, 0, 0): reduced cost (0, 0, 1) >= 0, a weaker but valid bound.
    assert proven_lower(cost, np.array([1.0, 0.0, 0.0]), matrix, lower, upper) == 14.0
    # Claiming x0 >= 14 from x0 + x1 = 14 leaves a negative reduced cost on x1: refused.
    assert proven_lower(PINNED.dense(3), np.array([1.0, 0.0, 0.0]), matrix, lower, upper) is None
    assert proven_lower(cost, np.array([1.0, 1.0]), matrix, lower, upper) is None  # wrong length


def test_a_forged_certificate_hides_no_violation() -> None:
    honest = audit_bounds(3, ROWS, [PINNED], width=W, threshold=T)
    assert violated(PINNED, *honest[0], W, T)
    forged = Certificate(
        points=np.array([[0.0, 14.0, 6.0], [14.0, 0.0, 20.0]]),  # spread x0 over 14, infeasible
        proofs={form_key(PINNED): np.array([1.0, 0.0, 0.0])},  # "x0 >= 14"
    )
    used: dict[str, int] = {}
    bounds = audit_bounds(3, ROWS, [PINNED], width=W, threshold=T, certificate=forged, used=used)
    assert violated(PINNED, *bounds[0], W, T)
    assert bounds[0] == honest[0] == (4.0, 4.0)
    assert used["points_valid"] == 0 and used["proofs_valid"] == 0


def test_a_valid_proof_saves_the_lp() -> None:
    plain: dict[str, int] = {}
    without = audit_bounds(3, ROWS, [BIG], width=W, threshold=T, used=plain)
    proof = Certificate(np.zeros((0, 3)), {form_key(BIG): np.array([1.0, -1.0, 1.0])})
    used: dict[str, int] = {}
    with_proof = audit_bounds(3, ROWS, [BIG], width=W, threshold=T, certificate=proof, used=used)
    assert without[0][0] == with_proof[0][0] == 24.0
    assert used["proofs_valid"] == 1 and used["lps"] < plain["lps"]


def test_the_runs_certificate_holds_and_changes_no_verdict(clean_export: Path) -> None:
    """On a real export every point and proof the protection wrote verifies, and the audit with
    it reaches the verdict of the audit without it, with a fraction of the LPs."""
    log = json.loads((clean_export / "disclosure-log.json").read_text(encoding="utf-8"))
    manifest = json.loads((clean_export / "manifest.json").read_text(encoding="utf-8"))
    profile = load_profile("cbs")
    certificate = load_certificate(clean_export.parent / "export-review")
    assert certificate is not None and certificate.points.shape[0] > 0 and certificate.proofs
    found, summary = audit_export(clean_export, log, manifest, profile, certificate)
    bare_found, bare = audit_export(clean_export, log, manifest, profile, None)
    assert found == bare_found == []
    evidence = summary["evidence"]
    assert evidence["points_valid"] == evidence["points_given"]
    assert evidence["proofs_valid"] == evidence["proofs_given"]
    assert evidence["lps"] * 4 < bare["evidence"]["lps"], (evidence, bare["evidence"])


def test_a_derived_zero_is_sensitive_where_zeros_are() -> None:
    """x0 + x1 = 10 and x1 = 10 say x0 is empty: a zero the profile would not publish."""
    rows = [Row((0, 1), (1.0, 1.0), 10.0, 10.0, cell=0), Row((1,), (1.0,), 10.0, 10.0, cell=1)]
    form = Form((0,), (1.0,), "small", "x0")
    for zeros in (False, True):
        (low, high) = audit_bounds(2, rows, [form], width=W, threshold=T, zeros=zeros)[0]
        assert low == 0.0 and (high == 0.0 or not zeros)  # without the rule: "may be empty"
        assert violated(form, low, high, W, T, zeros) is zeros
    # Hidden x1: x0 is then anywhere in [0, 10], neither pinned nor shown empty.
    (low, high) = audit_bounds(2, rows[:1], [form], width=W, threshold=T, zeros=True)[0]
    assert not violated(form, low, high, W, T, True)


def test_a_certificate_numbered_otherwise_is_matched_by_label(clean_export: Path) -> None:
    """The audit rebuilds the release model from the files and numbers its variables and rows
    its own way: a withheld model's covariate atoms, in the protection's model, are not in it
    (a 1,000-participant release's audit solved 272 LPs in 20 s with none of its 521 points
    usable). The certificate names its variables and rows, and is matched by those names."""
    log = json.loads((clean_export / "disclosure-log.json").read_text(encoding="utf-8"))
    manifest = json.loads((clean_export / "manifest.json").read_text(encoding="utf-8"))
    profile = load_profile("cbs")
    certificate = load_certificate(clean_export.parent / "export-review")
    assert certificate is not None and certificate.labels and certificate.rows
    rng = np.random.default_rng(0)
    n, m = len(certificate.labels), len(certificate.rows)
    columns, rows = rng.permutation(n), rng.permutation(m)  # new position k holds old [k]
    at_column = {int(old): new for new, old in enumerate(columns)}
    points = certificate.points[:, columns]
    # One variable and one row that the audit's model lacks (as a withheld model's).
    points = np.hstack([points, np.full((points.shape[0], 1), 3.0)])
    proofs = {}
    for (index, coef), y in certificate.proofs.items():
        terms = sorted((at_column[i], c) for i, c in zip(index, coef, strict=True))
        key = (tuple(i for i, _ in terms), tuple(c for _, c in terms))
        proofs[key] = np.concatenate([y[rows], [0.0]])
    renumbered = Certificate(
        points,
        proofs,
        [certificate.labels[k] for k in columns] + ["cov=withheld"],
        [certificate.rows[k] for k in rows] + ["a row of the withheld model"],
    )
    _, summary = audit_export(clean_export, log, manifest, profile, renumbered)
    evidence = summary["evidence"]
    assert evidence["points_valid"] == evidence["points_given"] == certificate.points.shape[0]
    assert evidence["proofs_valid"] == evidence["proofs_given"] == len(certificate.proofs)
    # Unnamed, the same evidence matches nothing (points of another width, proofs of other rows).
    _, bare = audit_export(clean_export, log, manifest, profile, Certificate(points, proofs))
    assert bare["evidence"]["points_valid"] == 0 and bare["evidence"]["proofs_valid"] == 0
    assert bare["evidence"]["lps"] > evidence["lps"]


def test_a_proof_outlives_suppressions_it_does_not_use() -> None:
    """Hiding a cell widens intervals; a lower bound proved without that cell's rows still holds
    (protection's later passes check such a set again only once its proof is gone)."""
    from nbnb_cbs.disclosure.lp import Program

    rows = [*ROWS, Row((3,), (1.0,), 12.0, 12.0, cell=3)]
    program = Program(4, rows)
    held = Form((3,), (1.0,), "small", "x3")  # exactly 12 (published itself)
    bad, low, _, _ = program.check(held, W, T)
    assert not bad and low == 12.0 and program.proved(held)
    program.drop([0])  # x0 + x1 = 14: not in the proof
    assert program.proved(held)
    program.drop([3])  # the row the proof stands on
    assert not program.proved(held)
    bad, low, _, _ = program.check(held, W, T)
    assert not bad and low == 0.0


def test_a_count_is_not_excused_as_its_shares_side() -> None:
    """A suppressed share's side may be narrow where it holds at least t records and its sibling
    is left the width; a suppressed count of the same set may not. Protection's passes remember
    the excused side, and must not take the count for it (a rerun's linked records of one
    breakdown value were published pinned, 239 - 187 = 52, until the steward's audit refused)."""
    from nbnb_cbs.disclosure.lp import Program
    from nbnb_cbs.disclosure.release import Passes

    rows = [*ROWS, Row((3,), (1.0,), 52.0, 52.0, cell=3)]
    program = Program(5, rows)  # x4, in no row, is the share's other side: anything
    side = Form((3,), (1.0,), "hidden", "share's linked", sibling=((4,), (1.0,)))
    count = Form((3,), (1.0,), "hidden", "linked")
    bad, low, high, _ = program.check(side, W, T)
    assert not bad and program.proved(side) and low == high == 52.0  # narrow, but excused
    passes = Passes(program, W, False)
    passes.found(side, low, high)
    assert passes.done(side)
    assert not passes.done(count)  # the count itself needs the width
    assert program.check(count, W, T)[0]  # and is violated: 52 exactly


def test_a_malformed_certificate_is_ignored(clean_export: Path) -> None:
    """Names that do not fit the points or proofs (edited, truncated) leave the audit without
    evidence, never with an error or another verdict."""
    log = json.loads((clean_export / "disclosure-log.json").read_text(encoding="utf-8"))
    manifest = json.loads((clean_export / "manifest.json").read_text(encoding="utf-8"))
    profile = load_profile("cbs")
    certificate = load_certificate(clean_export.parent / "export-review")
    assert certificate is not None and certificate.labels and certificate.rows
    broken = [
        Certificate(certificate.points, certificate.proofs, certificate.labels[:5], certificate.rows),
        Certificate(certificate.points, certificate.proofs, certificate.labels, certificate.rows[:3]),
        Certificate(certificate.points[:, :7], {((10**9,), (1.0,)): np.ones(2)},
                    certificate.labels, certificate.rows),
    ]  # fmt: skip
    for bad in broken:
        found, summary = audit_export(clean_export, log, manifest, profile, bad)
        assert found == [], found
        assert summary["evidence"]["points_valid"] == 0 or bad is broken[1]


def test_the_audits_warm_lps_agree_with_scipy_cold() -> None:
    """The audit's own HiGHS models start each LP from the last optimum of its direction: the
    minima must be scipy's linprog's, solved cold, for objectives of every sign."""
    from scipy.optimize import linprog

    from nbnb_cbs.disclosure.lp import _AuditLP, _bounded, _linprog_rows

    rng = np.random.default_rng(3)
    n = 60
    truth = rng.integers(0, 30, size=n).astype(float)
    rows = []
    for k in range(80):  # published sets, some exact, some rounded to 5
        members = tuple(
            sorted(rng.choice(n, size=int(rng.integers(2, 12)), replace=False).tolist())
        )
        total = float(truth[list(members)].sum())
        low, high = (total, total) if k % 3 else (total - 2.0, total + 2.0)
        rows.append(Row(members, (1.0,) * len(members), low, high, cell=k))
    matrix, lower, upper = _bounded(n, rows)
    lps = _AuditLP(n, matrix, lower, upper)
    cold = _linprog_rows(matrix, lower, upper)
    for k in range(60):
        cost = np.zeros(n)
        picked = rng.choice(n, size=int(rng.integers(1, 8)), replace=False)
        cost[picked] = 1.0 if k % 2 else -1.0
        if k % 5 == 0:
            cost = rng.normal(size=n)
        found = lps.minimise(cost)
        reference = linprog(cost, **cold, options={"presolve": False})
        if reference.status == 3:
            assert found is None
            continue
        assert found is not None and reference.status == 0
        value, x = found
        assert abs(value - reference.fun) <= 1e-6 * max(1.0, abs(reference.fun)), k
        assert abs(float(cost @ x) - value) <= 1e-6 * max(1.0, abs(value))


def test_the_audits_lp_calls_contradicting_rows_infeasible() -> None:
    """HiGHS's infeasible status goes to scipy's linprog, cold, before the release is called
    contradictory (a status the warm model cannot settle is solved there too)."""
    from nbnb_cbs.disclosure.lp import Infeasible, _AuditLP, _bounded

    rows = [*ROWS, Row((0,), (1.0,), 6.0, 6.0, cell=3)]  # x0 = 4 by the others
    lps = _AuditLP(3, *_bounded(3, rows))
    with pytest.raises(Infeasible):
        lps.minimise(np.array([1.0, 0.0, 0.0]))


def test_a_cell_published_again_constrains_the_program_again() -> None:
    """``Program.restore`` undoes ``drop``: the cell's rows bind again, and feasible points found
    without them that break them are forgotten (a hull from them would show a width that is
    not there)."""
    from nbnb_cbs.disclosure.lp import Program

    program = Program(3, ROWS)
    program.drop([1])  # x1 = 10 hidden: x0 anywhere in [0, 14]
    program.explore(4)
    low, high = program.hull(PINNED)
    assert high - low > 4  # points spread x0 once x1 is hidden
    program.restore([1])
    assert 1 not in program.dropped
    for point in program.feasible_points():
        assert abs(point[1] - 10.0) < 1e-6
    bad, low, high, _ = program.check(PINNED, W, T)
    assert bad and abs(low - 4.0) < 1e-6 and abs(high - 4.0) < 1e-6
