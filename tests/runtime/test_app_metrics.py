"""Application metrics: definitions, misuse, the exposition, and the sum over forked workers."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from aloft.runtime import metrics


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, parsed by prometheus_client's own parser."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def families(text: str) -> dict[str, str]:
    return {f.name: f.type for f in text_string_to_metric_families(text)}


def in_forked_workers(run_dir: Path, count: int, work: object) -> list[int]:
    """Run `work(i)` in `count` forked processes, one after the other, whose metrics live in
    `run_dir` (the environment says so, as under `aloft run`); their pids."""
    pids = []
    for i in range(count):
        pid = os.fork()
        if pid == 0:  # a worker: its own store file, as under gunicorn
            code = 0
            try:
                work(i)  # type: ignore[operator]
            except BaseException:
                code = 1
            os._exit(code)
        assert os.waitpid(pid, 0)[1] == 0
        pids.append(pid)
    return pids


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A server's run dir for the workers this test forks (this process keeps its own store)."""
    monkeypatch.setenv("_ALOFT_RUN_DIR", str(tmp_path))
    monkeypatch.setattr(metrics, "_process_metrics", metrics.get())
    return tmp_path


def test_the_exposition_is_valid_prometheus_text_with_help_type_and_escaped_labels() -> None:
    orders = metrics.counter("t1_orders_total", 'Orders "placed"\nby kind \\', labels=("kind",))
    orders.labels(kind="gift").inc()
    orders.labels("gift").inc(2)
    orders.labels(kind='we"ird\\\n').inc()
    depth = metrics.gauge("t1_queue_depth", "Jobs waiting")
    depth.set(4.5)
    jobs = metrics.histogram("t1_job_seconds", "Job time", labels=("queue",), buckets=(0.1, 1))
    jobs.labels(queue="a").observe(0.1)  # on a bound: counted in that bucket (le)
    jobs.labels(queue="a").observe(3)
    text = metrics.scrape()
    found = samples(text)
    assert found[("t1_orders_total", (("kind", "gift"),))] == 3
    assert found[("t1_orders_total", (("kind", 'we"ird\\\n'),))] == 1
    assert found[("t1_queue_depth", ())] == 4.5
    assert found[("t1_job_seconds_bucket", (("le", "0.1"), ("queue", "a")))] == 1
    assert found[("t1_job_seconds_bucket", (("le", "1"), ("queue", "a")))] == 1
    assert found[("t1_job_seconds_bucket", (("le", "+Inf"), ("queue", "a")))] == 2
    assert found[("t1_job_seconds_count", (("queue", "a"),))] == 2
    assert found[("t1_job_seconds_sum", (("queue", "a"),))] == pytest.approx(3.1)
    kinds = families(text)
    assert (kinds["t1_orders"], kinds["t1_queue_depth"], kinds["t1_job_seconds"]) == (
        "counter",
        "gauge",
        "histogram",
    )
    help_line = next(line for line in text.splitlines() if line.startswith("# HELP t1_orders"))
    assert help_line == '# HELP t1_orders_total Orders "placed"\\nby kind \\\\'


def test_an_unlabelled_metric_shows_zero_before_its_first_use() -> None:
    metrics.counter("t2_started_total", "Jobs started")
    metrics.histogram("t2_wait_seconds", "Waits", buckets=(1.0,))
    found = samples(metrics.scrape())
    assert found[("t2_started_total", ())] == 0
    assert found[("t2_wait_seconds_bucket", (("le", "+Inf"),))] == 0
    assert found[("t2_wait_seconds_count", ())] == 0


def test_the_same_definition_twice_is_one_metric_and_a_different_one_is_an_error() -> None:
    first = metrics.counter("t3_total", "Things", labels=("kind",))
    assert metrics.counter("t3_total", "Things", labels=("kind",)) is first
    with pytest.raises(ValueError, match=r"t3_total.*defined twice.*labels"):
        metrics.counter("t3_total", "Things", labels=("colour",))
    with pytest.raises(ValueError, match="defined twice"):
        metrics.gauge("t3_total", "Things", labels=("kind",))


@pytest.mark.parametrize(
    ("define", "message"),
    [
        (lambda: metrics.counter("t4 orders_total", "x"), "not a Prometheus name"),
        (lambda: metrics.counter("t4_orders", "x"), "ends in _total; use 't4_orders_total'"),
        (lambda: metrics.gauge("http_requests_total", "x"), "aloft's own"),
        (lambda: metrics.gauge("aloft_things", "x"), "aloft's own"),
        (lambda: metrics.gauge("t4_g", "x", labels=("a-b",)), "not a label name"),
        (lambda: metrics.gauge("t4_g", "x", labels=("__a",)), "not a label name"),
        (lambda: metrics.gauge("t4_g", "x", labels="kind"), r"use \('kind',\)"),
        (lambda: metrics.gauge("t4_g", "x", labels=("a", "a")), "twice"),
        (lambda: metrics.gauge("t4_g", "x", labels=("service",)), "aloft's own"),
        (lambda: metrics.gauge("t4_g", "x", mode="avg"), "not one of sum, max, min, latest"),
        (lambda: metrics.gauge("t4_g", ""), "help"),
        (lambda: metrics.histogram("t4_h", "x", labels=("le",)), "bucket bound"),
        (lambda: metrics.histogram("t4_h", "x", buckets=(1, 0.5)), "increasing"),
        (lambda: metrics.histogram("t4_h", "x", buckets=()), "at least one"),
        (lambda: metrics.counter("t4_total", "x", max_series=0), "max_series"),
        (lambda: metrics.gauge("t4_g", "x", labels=("a" * 251,)), "at most 250 long"),
        (lambda: metrics.gauge("t4_" + "g" * 1024, "x"), "at most 1024 long"),
        (
            lambda: (metrics.histogram("t4_wait", "x"), metrics.gauge("t4_wait_count", "y")),
            "samples named t4_wait_count would clash with metric 't4_wait'",
        ),
    ],
)
def test_a_bad_definition_is_one_line_naming_the_fix(define: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        define()  # type: ignore[operator]
    assert "\n" not in str(caught.value)


def test_misuse_when_recording_raises_at_once() -> None:
    orders = metrics.counter("t5_orders_total", "Orders", labels=("kind",))
    depth = metrics.gauge("t5_depth", "Depth")
    with pytest.raises(ValueError, match=r"has labels \('kind',\): record on .labels\(kind=...\)"):
        orders.inc()
    with pytest.raises(ValueError, match=r"labels are \('kind',\); got \('knd',\)"):
        orders.labels(knd="x")
    with pytest.raises(ValueError, match="labels are"):
        orders.labels("a", "b")
    with pytest.raises(ValueError, match="goes up"):
        orders.labels(kind="x").inc(-1)
    with pytest.raises(ValueError, match="goes up"):
        orders.labels(kind="x").inc(float("nan"))
    with pytest.raises(ValueError, match=r"is a gauge: it has no .observe\(\)"):
        depth.observe(1)
    with pytest.raises(ValueError, match=r"is a counter: it has no .set\(\)"):
        orders.labels(kind="x").set(1)
    with pytest.raises(ValueError, match="1 to 1024 characters"):
        orders.labels(kind="")
    assert orders.labels(kind="x").value() == 0  # nothing recorded by the failed calls


def test_label_sets_past_the_cap_are_counted_once_under_other_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    users = metrics.counter("t6_logins_total", "Logins", labels=("user",), max_series=5)
    with caplog.at_level(logging.WARNING, logger="aloft.metrics"):
        for i in range(40):
            users.labels(user=f"u{i}").inc()
    found = samples(metrics.scrape())
    series = {k[1]: v for k, v in found.items() if k[0] == "t6_logins_total"}
    assert len(series) == 6
    assert series[(("user", "_other"),)] == 35
    assert sum(series.values()) == 40  # the total stays right; only the split is lost
    warnings = [r for r in caplog.records if "t6_logins_total" in r.getMessage()]
    assert len(warnings) == 1 and "max_series" in warnings[0].getMessage()


def test_counters_and_histograms_sum_over_forked_workers(run_dir: Path) -> None:
    orders = metrics.counter("t7_orders_total", "Orders", labels=("kind",))
    plain = metrics.counter("t7_plain_total", "Plain")
    jobs = metrics.histogram("t7_job_seconds", "Jobs", buckets=(1.0,))
    gift = orders.labels(kind="gift")  # a child made before the fork is rebound in each worker

    def work(i: int) -> None:
        for _ in range(100 * (i + 1)):
            gift.inc()
        plain.inc(0.5)
        jobs.observe(i)

    pids = in_forked_workers(run_dir, 3, work)
    assert all(os.path.exists(metrics.worker_file(str(run_dir), pid)) for pid in pids)
    found = samples(metrics.scrape(metrics.Metrics(str(run_dir))))
    assert found[("t7_orders_total", (("kind", "gift"),))] == 600
    assert found[("t7_plain_total", ())] == 1.5
    assert found[("t7_job_seconds_bucket", (("le", "1"),))] == 2
    assert found[("t7_job_seconds_count", ())] == 3
    assert found[("t7_job_seconds_sum", ())] == 3


def test_gauges_combine_over_live_workers_by_their_mode(run_dir: Path) -> None:
    gauges = {
        mode: metrics.gauge(f"t8_{mode}", f"A gauge, {mode}", mode=mode)
        for mode in ("sum", "max", "min", "latest")
    }

    def work(i: int) -> None:
        for gauge in gauges.values():
            gauge.set(10 + i)

    in_forked_workers(run_dir, 3, work)  # one after the other: worker 2 sets last
    found = samples(metrics.scrape(metrics.Metrics(str(run_dir))))
    assert found[("t8_sum", ())] == 33
    assert found[("t8_max", ())] == 12
    assert found[("t8_min", ())] == 10
    assert found[("t8_latest", ())] == 12


def test_a_dead_workers_counters_survive_and_its_gauges_go(run_dir: Path) -> None:
    done = metrics.counter("t9_done_total", "Done", labels=("kind",))
    busy = metrics.gauge("t9_busy", "Busy")

    def work(i: int) -> None:
        done.labels(kind="a").inc(7)
        busy.inc()

    pids = in_forked_workers(run_dir, 2, work)
    metrics.fold_dead_worker(str(run_dir), pids[0])
    assert not os.path.exists(metrics.worker_file(str(run_dir), pids[0]))
    found = samples(metrics.scrape(metrics.Metrics(str(run_dir))))
    assert found[("t9_done_total", (("kind", "a"),))] == 14
    assert found[("t9_busy", ())] == 1  # the live worker's only


def test_a_metric_defined_only_in_another_worker_is_still_exposed(run_dir: Path) -> None:
    def work(i: int) -> None:
        # Defined after the fork, in this worker alone (a lazily imported module, say).
        metrics.counter("t10_late_total", "Defined late", labels=("k",)).labels(k="v").inc(3)

    pids = in_forked_workers(run_dir, 1, work)
    metrics.fold_dead_worker(str(run_dir), pids[0])  # and that worker is gone
    text = metrics.scrape(metrics.Metrics(str(run_dir)))
    assert samples(text)[("t10_late_total", (("k", "v"),))] == 3
    assert families(text)["t10_late"] == "counter"
    assert "# HELP t10_late_total Defined late" in text


def test_the_archive_keeps_at_most_max_series_of_a_metric(run_dir: Path) -> None:
    seen = metrics.counter("t11_seen_total", "Seen", labels=("id",), max_series=3)

    def work(i: int) -> None:
        for n in range(3):
            seen.labels(id=f"w{i}-{n}").inc()  # three new series per worker

    for pid in in_forked_workers(run_dir, 3, work):
        metrics.fold_dead_worker(str(run_dir), pid)
    found = samples(metrics.scrape(metrics.Metrics(str(run_dir))))
    series = {k[1]: v for k, v in found.items() if k[0] == "t11_seen_total"}
    assert len(series) == 4 and series[(("id", "_other"),)] == 6
    assert sum(series.values()) == 9


def test_a_master_that_records_at_import_is_one_process_in_the_process_metrics(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aloft.runtime.metrics import process

    # The master imported an app that counts at import: it has a store file of its own.
    monkeypatch.setenv("_ALOFT_MASTER_PID", str(os.getpid()))
    metrics.Store(metrics.worker_file(str(run_dir), os.getpid())).add("#cstarted_total", 1)
    assert process.server_pids(str(run_dir)) == [os.getpid()]


def test_label_values_are_strings_however_they_are_given() -> None:
    codes = metrics.counter("t12_codes_total", "Codes", labels=("code",))
    codes.labels(code="1").inc()
    codes.labels(code=1).inc()
    codes.labels(code=1.0).inc()
    codes.labels(code=True).inc()
    assert codes.labels(code="1").value() == 2  # "1" and 1
    assert codes.labels(code="1.0").value() == 1
    assert codes.labels(code="True").value() == 1
