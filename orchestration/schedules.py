"""The daily schedule: cron from NPS_SCHEDULE_CRON (default 06:00) in the reporting time zone."""

from __future__ import annotations

import os

from dagster import DefaultScheduleStatus, JobDefinition, ScheduleDefinition

from nps.settings import Settings

DEFAULT_CRON = "0 6 * * *"


def build_daily_schedule(job: JobDefinition, settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="daily_nps_pipeline",
        job=job,
        cron_schedule=os.environ.get("NPS_SCHEDULE_CRON") or DEFAULT_CRON,
        execution_timezone=settings.reporting_tz,
        default_status=DefaultScheduleStatus.RUNNING,
        description="The whole pipeline every morning, for the scheduled runs nobody watches.",
    )
