"""Measure what a second worker brings to the nightly work (issue 15, *Scaling out*).

Usage (with Odoo's interpreter, from the repository's root, on a template that
``run.py`` built):

    python benchmarks/workers.py --database h15_bench --policies 20000

On fresh copies of the template it runs the busy day's nightly work, first in one
Odoo process, then in two processes at once (two workers or two hosts on one
PostgreSQL): the daily clock, then, once every process finished it, the reminders
(queued, not delivered). Each process loads Odoo before the start, so the times are
those of the work only. The two end states must be equal, instalments, policies,
cases, reminder logs and to-dos alike (``checks.py``): two workers must never send
a reminder twice or lose an update. Results go to ``--output`` (JSON) and the
terminal.
"""

import json
import logging
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import checks, common

PHASES = ("clock", "reminders")
RUNNER_LOGGER = "odoo.addons.insurance_renewal.models.insurance_batch_runner"


def parse_args():
    parser = common.parser(__doc__, database="h15_bench")
    parser.add_argument("--policies", type=int, default=20000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 1, 5))
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--output", default=None)
    parser.add_argument("--worker", help="internal: run as one of the processes")
    return parser.parse_args()


# One process ----------------------------------------------------------------------


def _wait_for(path):
    while not path.exists():
        time.sleep(0.005)


def _clock(env, args):
    env["insurance.premium.clock"].with_context(
        clock_today=args.today
    )._cron_daily_premium_clock()


def _reminders(env, args):
    from freezegun import freeze_time

    from benchmarks.steps import _reminder_moment

    with freeze_time(_reminder_moment(args), ignore=["benchmarks"]):
        env["insurance.reminder.engine"]._cron_send_reminders()


class RetryCounter(logging.Handler):
    """Counts the batches the runner rolled back and ran again after losing a race
    with the other process."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record):
        if "lost a race" in record.getMessage():
            self.count += 1


def run_process(args):
    """Load Odoo, say so, then run each phase when told to; print its timings."""
    signals = Path(args.worker)
    report = {}
    retries = RetryCounter()
    runner_logger = logging.getLogger(RUNNER_LOGGER)
    runner_logger.addHandler(retries)
    runner_logger.setLevel(logging.INFO)
    runner_logger.propagate = False
    with common.environment(args.database, args.addons_path) as env:
        for phase, work in zip(PHASES, (_clock, _reminders), strict=True):
            env.cr.rollback()  # nothing held while waiting; a fresh snapshot after
            Path(f"{signals}.{phase}.ready.{os.getpid()}").touch()
            _wait_for(Path(f"{signals}.{phase}.go"))
            env.invalidate_all()
            started, queries = time.time(), env.cr.sql_log_count
            retries.count = 0
            work(env, args)
            env.cr.commit()
            report[phase] = {
                "start": started,
                "end": time.time(),
                "queries": env.cr.sql_log_count - queries,
                "retried_batches": retries.count,
            }
    print(json.dumps(report))
    return 0


# The measurement ------------------------------------------------------------------


def run_processes(args, database, count):
    """Run ``count`` processes on ``database``, phase by phase, all starting each
    phase together; return each phase's wall time and queries."""
    signals = Path(f"/tmp/insurance_workers_{database}_{os.getpid()}")
    for stale in signals.parent.glob(f"{signals.name}.*"):
        stale.unlink()
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--database",
        database,
        "--today",
        args.today.isoformat(),
        "--addons-path",
        common.addons_path(args.addons_path),
        "--worker",
        str(signals),
    ]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        for _number in range(count)
    ]
    for phase in PHASES:
        while len(list(signals.parent.glob(f"{signals.name}.{phase}.ready.*"))) < count:
            if any(process.poll() for process in processes):
                raise SystemExit(f"a process failed before the {phase}")
            time.sleep(0.01)
        Path(f"{signals}.{phase}.go").touch()
    reports = []
    for process in processes:
        output, _errors = process.communicate()
        if process.returncode:
            raise SystemExit(f"a process failed on {database}")
        reports.append(json.loads(output.strip().splitlines()[-1]))
    for stale in signals.parent.glob(f"{signals.name}.*"):
        stale.unlink()
    return {
        phase: {
            "seconds": round(
                max(report[phase]["end"] for report in reports)
                - min(report[phase]["start"] for report in reports),
                2,
            ),
            "queries": sum(report[phase]["queries"] for report in reports),
            "retried_batches": sum(
                report[phase]["retried_batches"] for report in reports
            ),
            "per_process": [report[phase] for report in reports],
        }
        for phase in PHASES
    }


def summary(results):
    counts = sorted(results["runs"], key=int)
    rows = [
        "| work | " + " | ".join(f"{count} process(es)" for count in counts) + " |",
        "|---|" + "---|" * len(counts),
    ]
    for phase in PHASES:
        cells = []
        for count in counts:
            run = results["runs"][count][phase]
            first = results["runs"][counts[0]][phase]["seconds"]
            cells.append(
                f"{run['seconds']:.1f} s, {run['queries']} queries, "
                f"{run['retried_batches']} batches retried"
                f" ({first / run['seconds']:.2f}x)"
            )
        rows.append(f"| {phase} | " + " | ".join(cells) + " |")
    for count, differences in results["differences"].items():
        changed = {
            table: diff["changed"] + diff["only_first"] + diff["only_second"]
            for table, diff in differences.items()
        }
        rows.append(f"\nEnd state with {count} processes beside 1: {changed}")
    return "\n".join(rows)


def main():
    args = parse_args()
    if args.worker:
        return run_process(args)
    counts = [int(count) for count in args.processes.split(",")]
    results = {
        "policies": args.policies,
        "today": args.today.isoformat(),
        "nproc": os.cpu_count(),
        "load_at_start": os.getloadavg(),
        "runs": {},
        "differences": {},
    }
    databases = {}
    for count in counts:
        database = f"{args.database}_w{count}"
        common.copy_database(args.database, database)
        results["runs"][str(count)] = run_processes(args, database, count)
        databases[count] = database
        print(f"{count} process(es): {json.dumps(results['runs'][str(count)])}")
        sys.stdout.flush()
    for count in counts[1:]:
        results["differences"][str(count)] = checks.compare(
            databases[counts[0]],
            databases[count],
            checks.SNAPSHOTS | checks.REMINDER_SNAPSHOTS,
        )
    output = args.output or os.path.join(
        common.REPO, "benchmarks", "results", f"{args.database}_workers.json"
    )
    common.publish(output, results, summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
