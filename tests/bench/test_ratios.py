"""The benchmark's headline figures and the targets of issue 21 they are judged against."""

from bench.run import failed_run, ratios, verdicts


def steps(pipeline_s: float) -> dict:
    return {
        "generate": {"wall_s": 5.0, "peak_rss_mib": 9000.0},
        "baseline": {"wall_s": 2.0, "peak_rss_mib": 300.0},
        "pipeline": {"wall_s": pipeline_s, "peak_rss_mib": 512.0},
        "incremental": {"wall_s": pipeline_s / 4, "peak_rss_mib": 256.0},
    }


def test_ratios_are_against_the_baseline_and_the_full_run_and_ignore_the_generator_memory() -> None:
    assert ratios(steps(20.0), "large") == {
        "pipeline_vs_baseline": 10.0,
        "incremental_vs_baseline": 2.5,
        "incremental_vs_full": 0.25,
        "peak_rss_gib": 0.5,
        "baseline_peak_rss_gib": 0.29,
    }


def test_the_peak_memory_target_is_the_pipelines_own_and_the_baselines_is_reported_beside_it() -> None:
    measured = steps(20.0) | {"baseline": {"wall_s": 2.0, "peak_rss_mib": 4400.0}}
    summary = ratios(measured, "large")
    assert (summary["peak_rss_gib"], summary["baseline_peak_rss_gib"]) == (0.5, 4.3)
    assert verdicts(summary, "large")["peak_rss_gib"]["met"] is True


def test_the_tiny_scale_reports_the_seconds_of_its_nps_run() -> None:
    assert ratios(steps(26.0), "tiny")["tiny_pipeline_s"] == 26.0


def test_each_scale_is_judged_by_its_own_targets() -> None:
    large = verdicts(ratios(steps(6.0), "large"), "large")
    assert large == {
        "pipeline_vs_baseline": {"measured": 3.0, "target": 3.0, "met": True},
        "incremental_vs_baseline": {"measured": 0.75, "target": 1.0, "met": True},
        "peak_rss_gib": {"measured": 0.5, "target": 4.0, "met": True},
    }
    assert verdicts(ratios(steps(20.0), "medium"), "medium") == {
        "incremental_vs_baseline": {"measured": 2.5, "target": 2.0, "met": False}
    }
    assert verdicts(ratios(steps(16.0), "tiny"), "tiny") == {
        "tiny_pipeline_s": {"measured": 16.0, "target": 15.0, "met": False}
    }


def test_a_run_of_some_steps_gives_only_the_measures_those_steps_give() -> None:
    some = {name: step for name, step in steps(6.0).items() if name in ("baseline", "incremental")}
    assert ratios(some, "large") == {
        "incremental_vs_baseline": 0.75,
        "peak_rss_gib": 0.25,
        "baseline_peak_rss_gib": 0.29,
    }
    assert verdicts(ratios(some, "large"), "large") == {
        "incremental_vs_baseline": {"measured": 0.75, "target": 1.0, "met": True},
        "peak_rss_gib": {"measured": 0.25, "target": 4.0, "met": True},
    }


def test_a_failed_nps_run_is_reported_with_its_failed_steps_instead_of_measured() -> None:
    report = {"rows": 0, "exit_code": 1, "blocking_failed": [], "failed_steps": ["raw_sources: Out of Memory Error"]}
    assert failed_run(report) == "nps run exited 1\n  raw_sources: Out of Memory Error"
    assert failed_run({"rows": 5, "exit_code": 0, "blocking_failed": [], "failed_steps": []}) is None
    assert failed_run({"rows": 5}) is None  # a step that is not a run
