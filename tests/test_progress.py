"""Progress: every long step reports (stage, done, total) to the installed sink, totals are
true, and reporting never changes a number."""

from __future__ import annotations

import numpy as np
import pytest

import analyzer
from analyzer import progress

from .conftest import SAMPLE


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int | None]] = []

    def __call__(self, stage, done, total) -> None:
        self.calls.append((stage, done, total))

    def stages(self) -> list[str]:
        return list(dict.fromkeys(s for s, _, _ in self.calls))

    def last(self, stage: str) -> tuple[int, int | None]:
        (_, done, total) = [c for c in self.calls if c[0] == stage][-1]
        return done, total

    def check_totals(self) -> None:
        """Known totals are never passed, and every stage ends complete."""
        for stage, done, total in self.calls:
            if total is not None:
                assert 0 <= done <= total, (stage, done, total)
        for stage in self.stages():
            done, total = self.last(stage)
            assert total is not None and done == total, (stage, done, total)


def test_validation_and_the_analyses_report_their_steps():
    rec = Recorder()
    with progress.reporting(rec):
        with analyzer.open_snapshot(SAMPLE) as s:
            s.report("p-tea", with_promoters=1)
    rec.check_totals()
    assert rec.stages()[0] == "check tables"
    assert "report p-tea" in rec.stages() and rec.last("report p-tea") == (7, 7)
    assert "RR sets" in " ".join(rec.stages()) or "forward checks" in rec.stages()


def test_simulate_reports_its_runs_and_the_numbers_do_not_change():
    with analyzer.open_snapshot(SAMPLE) as s:
        quiet = s.simulate("p-tea", runs=2000, p=0.2)
        rec = Recorder()
        with progress.reporting(rec):
            watched = s.simulate("p-tea", runs=2000, p=0.2)
    rec.check_totals()
    runs = [c for c in rec.calls if c[0] == "simulate"]
    assert len(runs) >= 10 and runs[-1][1:] == (2000, 2000)
    assert np.array_equal(quiet.spreads, watched.spreads)
    assert quiet.to_dict() == watched.to_dict()


def test_generate_reports_friendships_and_products(tmp_path):
    from analyzer.generate import GeneratorParams, generate_snapshot

    rec = Recorder()
    with progress.reporting(rec):
        generate_snapshot(GeneratorParams(users=200, products=4, seed=1), tmp_path / "g")
    rec.check_totals()
    assert rec.stages()[:2] == ["generate friendships", "generate products"]
    assert rec.last("generate products") == (4, 4)
    assert rec.calls[0] == ("generate friendships", 0, None)  # running, length unknown


def test_promoter_totals_are_true():
    """A stage's bar never reads more done than its total (it once read 17036/1000)."""
    rec = Recorder()
    with analyzer.open_snapshot(SAMPLE) as s, progress.reporting(rec):
        s.promoters(2, p=0.3, product="p-tea", runs=500)
    rec.check_totals()
    assert "forward checks" in rec.stages()


def test_reports_go_nowhere_without_a_sink():
    assert progress.sink() is None
    progress.report("anything", 1, 2)  # no error, nothing kept
    with progress.step("a step"):
        pass


@pytest.mark.parametrize("args", [["simulate", "p-tea", "--runs", "400"],
                                  ["validate", str(SAMPLE)]], ids=lambda a: a[0])
def test_the_cli_draws_the_bars_on_stderr(offline_cli, monkeypatch, args):
    from analyzer import cli

    monkeypatch.setattr(cli._Bar, "enabled", property(lambda self: True))
    extra = [] if args[0] == "validate" else ["--snapshot", str(SAMPLE)]
    res = offline_cli(*args, *extra, "--format", "json")
    assert res.exit_code == 0, res.output
    assert "check tables" in res.stderr
    if args[0] == "simulate":
        assert "400/400" in res.stderr
    assert res.stdout.lstrip().startswith("{")  # the bars never reach stdout
