"""A sensor on the landing folder: one run per arrival of new files."""

from dagster import DefaultSensorStatus, JobDefinition, RunRequest, SensorEvaluationContext, SkipReason, sensor

from landing.scan import scan_landing
from orchestration.resources import NpsSettings


def build_landing_sensor(job: JobDefinition) -> object:
    @sensor(
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Starts the pipeline when new files (name + sha256) land in NPS_LANDING_DIR.",
    )
    def landing_sensor(context: SensorEvaluationContext, nps: NpsSettings):
        settings = nps.settings()
        scan = scan_landing(settings.landing_dir, context.cursor)
        context.update_cursor(scan.cursor)
        if not scan.new_files:
            return SkipReason(f"no new files in {settings.landing_dir}")
        names = ", ".join(name for name, _ in scan.new_files[:10])
        tags = {"nps/new_files": str(len(scan.new_files)), "nps/files": names[:200]}
        return RunRequest(run_key=scan.run_key, tags=tags)

    return landing_sensor
