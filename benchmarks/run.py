"""Benchmark the addon at insurer volumes beside hand-written SQL (issue 15).

Usage (with Odoo's interpreter, from the repository's root):

    python benchmarks/run.py --database h15_bench --policies 100000

It builds the database once (install, SQL seeding of partners, policies and
instalments as the clock leaves them the day before "today", the addon's own clock
run on that day to open the renewal cases, contacts on them, and a check that a
same-day rerun changes nothing), then measures each step on fresh copies of it
(``createdb -T``), the addon and its SQL twin alternating, compares their end
states and writes the numbers to ``--output`` (JSON) and to the terminal.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import checks, common, steps

REPO = common.REPO
STEPS = ("clock", "kanban", "reminders", "register", "kpi")


def parse_args():
    parser = common.parser(__doc__, database="h15_bench")
    parser.add_argument("--policies", type=int, default=100000)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=date(2026, 1, 5),
        help="the frozen day the clock runs for (default: a busy day of 开门红)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--register", type=int, default=20000)
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--output", default=None)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args()


def addons_path(args):
    return common.addons_path(args.addons_path)


def psql(database, sql):
    return subprocess.run(
        ["psql", "-X", "-q", "-At", "-d", database, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def database_exists(name):
    return (
        psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    )


def worker(args, name, database, **extra):
    """Run one measured step in a process of its own (clean memory peak); return
    what it reports."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        name,
        "--database",
        database,
        "--today",
        args.today.isoformat(),
        "--policies",
        str(args.policies),
        "--register",
        str(args.register),
        "--addons-path",
        addons_path(args),
    ]
    env = {**os.environ, "BENCH_EXTRA": json.dumps(extra)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"worker {name} on {database} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(args):
    """Install the addon and seed the template database, once."""
    database = args.database
    if database_exists(database) and not args.rebuild:
        return None
    subprocess.run(["dropdb", "--if-exists", database], check=True)
    started = time.perf_counter()
    subprocess.run(
        [
            "odoo",
            f"--addons-path={addons_path(args)}",
            "-d",
            database,
            "-i",
            "insurance_renewal",
            "--load-language=zh_CN",
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
        capture_output=True,
    )
    installed = time.perf_counter() - started
    report = {"install_seconds": round(installed, 1)}
    report["seed"] = worker(args, "seed", database)
    report["settle"] = worker(args, "settle", database)
    report["contacts"] = worker(args, "contacts", database)
    report["rerun_check"] = worker(args, "settle_check", database)
    return report


def measure_pair(args, template, label, addon, twin, rounds=None, compare=True):
    """Run the addon's step and its twin on fresh copies, alternating; return
    every run and the end-state comparison of the last pair."""
    runs = {"addon": [], "sql": []}
    diffs = []
    for index in range(rounds or args.repeat):
        order = [("addon", addon), ("sql", twin)]
        if index % 2:
            order.reverse()
        databases = {}
        for side, (name, extra) in order:
            database = f"{template}_{side}"
            common.copy_database(template, database)
            runs[side].append(worker(args, name, database, **extra))
            databases[side] = database
        if compare:
            snapshots = None if compare is True else compare
            diffs.append(
                checks.compare(databases["addon"], databases["sql"], snapshots)
            )
        print(f"{label} #{index + 1}: addon {runs['addon'][-1]}  sql {runs['sql'][-1]}")
        sys.stdout.flush()
    return {"runs": runs, "differences": diffs}


def _median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else None


def _pair_row(label, addon_runs, sql_runs, target, pick=lambda run: run):
    addon = [pick(run) for run in addon_runs]
    sql = [pick(run) for run in sql_runs]
    a_seconds = _median([run["seconds"] for run in addon])
    s_seconds = _median([run["seconds"] for run in sql])
    a_queries = _median([run["queries"] for run in addon])
    s_queries = _median([run["queries"] for run in sql])
    ratio = a_seconds / s_seconds if s_seconds else float("nan")
    return (
        f"| {label} | {a_seconds:.2f} s, {a_queries} queries | "
        f"{s_seconds:.2f} s, {s_queries} statements | {ratio:.1f}x | {target} |"
    )


def summary(results):
    """The results as the markdown table README.md quotes."""
    rows = [
        "| work | addon (median) | same work in SQL (median) | ratio | target |",
        "|---|---|---|---|---|",
    ]
    if clock := results.get("clock"):
        runs = clock["runs"]
        rows.append(
            _pair_row("daily clock, busy day", runs["addon"], runs["sql"], "3x")
        )
        rows.append(
            _pair_row(
                "same-day rerun",
                runs["addon"],
                runs["sql"],
                "1.5x",
                pick=lambda run: run["rerun"],
            )
        )
    if kanban := results.get("kanban"):
        runs = kanban["runs"]
        for key, other, label in (
            ("kanban", "kanban", "Renewals kanban vs CRM pipeline, first screen"),
            ("policy_list", "lead_list", "policy list vs CRM lead list"),
        ):
            rows.append(
                _pair_row(
                    label,
                    runs["addon"],
                    runs["sql"],
                    "2x, < 300 ms",
                    pick=lambda run, k=key, o=other: run.get(k, run.get(o))["median"],
                )
            )
    if reminders := results.get("reminders"):
        runs = reminders["runs"]
        addon = _median([run["rows_per_second"] for run in runs["addon"]])
        sql = _median([run["rows_per_second"] for run in runs["sql"]])
        per = _median([run["queries_per_message"] for run in runs["addon"]])
        rows.append(
            _pair_row(
                f"reminders, busy day: {addon} vs {sql} per second, {per} queries "
                "per reminder",
                runs["addon"],
                runs["sql"],
                "5x, <= 5 queries per reminder",
            )
        )
    if register := results.get("register"):
        runs = register["runs"]
        rows.append(
            _pair_row("register and activate", runs["addon"], runs["sql"], "3x")
        )
    if kpi := results.get("kpi"):
        runs = kpi["runs"]
        for key, target in (("kpis", "2x"), ("ledger", "3x, < 300 MB")):
            rows.append(
                _pair_row(
                    f"KPI views ({key})",
                    runs["addon"],
                    runs["sql"],
                    target,
                    pick=lambda run, k=key: run[k],
                )
            )
    return "\n".join(rows)


def main():
    args = parse_args()
    if args.worker:
        return steps.run_worker(args, addons_path(args))
    results = {
        "machine": {
            "nproc": os.cpu_count(),
            "ram_gib": round(
                os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
            ),
            "python": platform.python_version(),
            "load_at_start": os.getloadavg(),
        },
        "policies": args.policies,
        "today": args.today.isoformat(),
        "asof": (args.today - timedelta(days=1)).isoformat(),
    }
    results["build"] = build(args)
    results["template"] = worker(args, "describe", args.database)
    print(json.dumps(results["template"]))
    wanted = args.steps.split(",")
    template = args.database
    if "clock" in wanted:
        results["clock"] = measure_pair(
            args,
            template,
            "clock + rerun",
            ("clock", {"rerun": True}),
            ("clock_twin", {"rerun": True}),
        )
    if "kanban" in wanted:
        results["kanban"] = measure_pair(
            args,
            template,
            "kanban",
            ("kanban", {}),
            ("pipeline", {}),
            compare=False,
        )
    if "reminders" in wanted:
        results["reminders"] = measure_pair(
            args,
            template,
            "reminders",
            ("reminders", {}),
            ("reminders_twin", {}),
            compare=checks.REMINDER_SNAPSHOTS,
        )
    if "register" in wanted:
        results["register"] = measure_pair(
            args,
            template,
            "register",
            ("register", {}),
            ("register_twin", {}),
        )
    if "kpi" in wanted:
        results["kpi"] = measure_pair(
            args,
            template,
            "kpi",
            ("kpi", {}),
            ("kpi_twin", {}),
            rounds=1,
            compare=False,
        )
    results["maxrss_mib_main"] = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    output = args.output or os.path.join(
        REPO, "benchmarks", "results", f"{args.database}_{args.policies}.json"
    )
    common.publish(output, results, summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
