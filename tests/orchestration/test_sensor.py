"""The landing sensor starts one run per arrival of new files; a re-sent file does not trigger twice."""

from __future__ import annotations

import os
import time

from dagster import RunRequest, SkipReason, build_sensor_context

from landing.scan import scan_landing
from nps.settings import Settings
from orchestration.definitions import defs
from orchestration.resources import NpsSettings


def _evaluate(sensor, cursor, nps: NpsSettings):
    context = build_sensor_context(cursor=cursor, resources={"nps": nps})
    result = sensor(context)
    return result, context.cursor


def test_the_sensor_fires_once_per_new_file(tmp_path):
    landing = tmp_path / "landing"
    (landing / "surveys").mkdir(parents=True)
    nps = NpsSettings.of(Settings.from_env({}, landing_dir=landing))
    sensor = defs.resolve_sensor_def("landing_sensor")
    first, cursor = _evaluate(sensor, None, nps)
    assert isinstance(first, SkipReason)
    (landing / "surveys" / "a.csv").write_text("response_id,sent_at\nR1,2025-01-01\n")
    fired, cursor = _evaluate(sensor, cursor, nps)
    assert isinstance(fired, RunRequest) and fired.tags["nps/files"] == "surveys/a.csv"
    again, cursor = _evaluate(sensor, cursor, nps)
    assert isinstance(again, SkipReason)
    later = time.time() + 60
    os.utime(landing / "surveys" / "a.csv", (later, later))  # re-sent: same name, same content, newer
    resent, cursor = _evaluate(sensor, cursor, nps)
    assert isinstance(resent, SkipReason)
    (landing / "surveys" / "b.csv").write_text("response_id,sent_at\nR2,2025-01-01\n")
    second, _ = _evaluate(sensor, cursor, nps)
    assert isinstance(second, RunRequest) and second.run_key != fired.run_key


def test_changed_content_under_the_same_name_is_new(tmp_path):
    (tmp_path / "crm").mkdir()
    path = tmp_path / "crm" / "c.csv"
    path.write_text("customer_id,updated_at\nC1,2025-01-01\n")
    first = scan_landing(tmp_path, None)
    path.write_text("customer_id,updated_at\nC1,2025-02-01\n")
    second = scan_landing(tmp_path, first.cursor)
    assert [n for n, _ in first.new_files] == [n for n, _ in second.new_files] == ["crm/c.csv"]
    assert first.new_files != second.new_files


def test_the_landing_scan_never_opens_a_link_leaving_the_landing_folder_or_a_fifo(tmp_path):
    landing = tmp_path / "landing"
    (landing / "surveys").mkdir(parents=True)
    secret = tmp_path / "secret.csv"
    secret.write_text("response_id,sent_at\nS1,2025-01-01\n")
    (landing / "surveys" / "out.csv").symlink_to(secret)
    os.mkfifo(landing / "surveys" / "pipe.csv")  # opening it would block the sensor forever
    (landing / "surveys" / "a.csv").write_text("response_id,sent_at\nR1,2025-01-01\n")
    scan = scan_landing(landing, None)
    assert [name for name, _ in scan.new_files] == ["surveys/a.csv"]
