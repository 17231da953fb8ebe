"""What every benchmark script shares: its arguments, its meters (wall time, SQL
queries, peak memory) and how it opens the database and writes its results."""

import argparse
import contextlib
import json
import os
import resource
import subprocess
import time
import tracemalloc

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parser(doc, database=None):
    """An argument parser with the options every script takes: ``--database``
    (required unless a default is given) and ``--addons-path``."""
    result = argparse.ArgumentParser(description=doc.splitlines()[0])
    if database:
        result.add_argument("--database", default=database)
    else:
        result.add_argument("--database", required=True)
    result.add_argument("--addons-path", default=None)
    return result


def addons_path(given=None):
    """The addons path: the one given, else Odoo's own addons and this repository
    (insurance_renewal and its queue_job glue)."""
    if given:
        return given
    from odoo import release

    root = os.path.dirname(os.path.dirname(os.path.abspath(release.__file__)))
    return ",".join(
        (os.path.join(root, "addons"), os.path.join(root, "odoo", "addons"), REPO)
    )


@contextlib.contextmanager
def environment(database, addons=None):
    """Open ``database`` as superuser, Odoo logging warnings only; yield the
    environment and commit at the end."""
    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        ["-d", database, f"--addons-path={addons_path(addons)}", "--log-level=warn"]
    )
    odoo.tools.config["log_level"] = "warn"
    registry = Registry(database)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})
        cr.commit()


def maxrss_mib():
    """The process's peak resident memory (VmHWM: unlike ``ru_maxrss`` it does not
    carry over the peak of the parent that started the process)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Meter:
    """Wall time, SQL queries (Odoo's cursor count, plus ``statements`` run outside
    it), peak resident memory and, with ``trace``, peak Python memory of a step.

    With a ``label`` it prints one line when the step ends; with ``results`` (a
    list) it appends its numbers there."""

    def __init__(self, cr, label=None, rows=None, trace=False, results=None):
        self.cr, self.label, self.rows = cr, label, rows
        self.trace, self.results = trace, results
        self.statements = 0
        self.python_peak_mib = None

    def __enter__(self):
        if self.trace:
            tracemalloc.start()
        self.rss_before = maxrss_mib()
        self.start = time.perf_counter()
        self.queries = self.cr.sql_log_count
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.query_count = self.cr.sql_log_count - self.queries + self.statements
        if self.trace:
            self.python_peak_mib = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
        if self.label:
            print(self.line(), flush=True)
        if self.results is not None:
            self.results.append({"step": self.label, **self.report(self.rows)})

    def line(self):
        text = f"{self.label:<50} {self.seconds:8.1f} s {self.query_count:9d} queries"
        if self.rows:
            text += f" {self.rows / self.seconds:8.0f} rows/s"
        if self.python_peak_mib is not None:
            text += f"  peak {self.python_peak_mib:.1f} MiB"
        return text

    def report(self, rows=None, **more):
        result = {
            "seconds": round(self.seconds, 3),
            "queries": self.query_count,
            "maxrss_mib_before": self.rss_before,
            "maxrss_mib": maxrss_mib(),
        }
        if self.python_peak_mib is not None:
            result["python_peak_mib"] = self.python_peak_mib
        if rows is not None:
            result |= {"rows": rows, "rows_per_second": round(rows / self.seconds, 1)}
        return result | more


def write_results(path, results, markdown=None):
    """Write ``results`` as JSON to ``path`` and, if given, ``markdown`` beside it
    (same name, ``.md``)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(results, handle, indent=1, default=str)
    if markdown is not None:
        with open(path.removesuffix(".json") + ".md", "w") as handle:
            handle.write(markdown + "\n")


def publish(path, results, markdown):
    """Write the results (``write_results``) and show their table."""
    write_results(path, results, markdown)
    print(markdown)
    print(f"written to {path}")


def copy_database(template, name):
    """A fresh copy of ``template`` named ``name``, replacing any older one."""
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-T", template, name], check=True)
