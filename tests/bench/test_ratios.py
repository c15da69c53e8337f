"""The benchmark's headline figures."""

from bench.run import ratios


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
        "incremental_vs_full": 0.25,
        "peak_rss_gib": 0.5,
    }


def test_the_tiny_scale_reports_the_seconds_of_its_nps_run() -> None:
    assert ratios(steps(26.0), "tiny")["tiny_pipeline_s"] == 26.0
