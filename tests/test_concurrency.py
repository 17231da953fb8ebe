"""Two Odoo processes run the nightly work (clock and cases, invoices, reminders) at
the same time on one database: the result must equal one run on a copy of the same
data, and neither log may hold a traceback, a deadlock or a serialization failure.

End to end and slow (a fresh database with the addon, a portfolio of 240 policies,
three runs of the nightly work in real separate ``odoo shell`` processes): a
few minutes on two cores, most of it installing the addon. The databases are named
after ``CONCURRENCY_DB``, else ``DB`` (as ``make test`` is given it) + ``_conc``;
``KEEP_DB=1`` keeps them for a look afterwards. A ``make test`` narrowed with
``TEST_TAGS`` skips it.

Two processes meet a given race only now and then: the ``test_a_late_*`` tests
replay each race of a late snapshot deterministically on another copy
(tests/concurrency/races.py, about a minute). With the portfolio kept
(``KEEP_DB=1`` once, then ``REUSE_BASE=1 KEEP_DB=1``), ``-k "late or races"``
runs just these.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

odoo = pytest.importorskip(
    "odoo", reason="Odoo is not installed: the concurrency test needs a real Odoo"
)
ODOO_BIN = shutil.which("odoo")
if not ODOO_BIN:
    pytest.skip("Odoo's 'odoo' command is not on PATH", allow_module_level=True)

if os.environ.get("TEST_TAGS", "/insurance_renewal") != "/insurance_renewal":
    pytest.skip(
        "make test was narrowed with TEST_TAGS: the concurrency test runs with all",
        allow_module_level=True,
    )

import psycopg2

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "concurrency"
PREFIX = (
    os.environ.get("CONCURRENCY_DB")
    or (os.environ.get("DB") and f"{os.environ['DB']}_conc")
    or f"insurance_renewal_conc_{os.getpid()}"
)
# What must never appear in the log of a run.
LOG_ALARMS = re.compile(
    r"Traceback|deadlock detected|could not serialize|concurrent update"
    r"|could not obtain lock| ERROR | CRITICAL |failed; retrying one by one"
)
START_TIMEOUT = 180
# How long one shell may run its work: a run takes 1 to 3 minutes on two cores
# shared with other work.
RUN_TIMEOUT = 600
# The scheduled actions nightly_work.py runs, one after the other.
ACTIONS = 3


def addons_path():
    from odoo import release

    root = Path(release.__file__).resolve().parent.parent
    paths = [root / "addons", root / "odoo" / "addons", REPO]
    return ",".join(str(path) for path in paths if path.is_dir())


def odoo_command(*args):
    return [
        ODOO_BIN,
        *args,
        f"--addons-path={addons_path()}",
        "--no-http",
        "--max-cron-threads=0",
    ]


def shell(database, script, log, env=None):
    """Start ``odoo shell`` on ``database`` with ``script`` as its input."""
    with open(script, "rb") as stdin:
        return subprocess.Popen(
            odoo_command(
                "shell", "-d", database, f"--logfile={log}", "--log-level=info"
            ),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )


def finish(process, what, timeout=RUN_TIMEOUT):
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    text = output.decode(errors="replace")
    assert process.returncode == 0, f"{what} failed:\n{text[-3000:]}"
    return text


def filestore(database):
    from odoo.tools import config

    return Path(config.filestore(database))


def copy_database(source, target):
    subprocess.run(["dropdb", "--if-exists", target], check=True)
    subprocess.run(["createdb", "-T", source, target], check=True)
    if filestore(source).is_dir():
        shutil.copytree(filestore(source), filestore(target), dirs_exist_ok=True)


def database_exists(database):
    listed = subprocess.run(
        ["psql", "-d", "postgres", "-Atc", "SELECT datname FROM pg_database"],
        check=True,
        capture_output=True,
        text=True,
    )
    return database in listed.stdout.split()


def build_portfolio(database, logs):
    subprocess.run(
        odoo_command(
            "-d",
            database,
            "-i",
            "insurance_renewal",
            "--without-demo",
            "--stop-after-init",
            f"--logfile={logs / 'install.log'}",
            "--log-level=warn",
        ),
        check=True,
        timeout=600,
    )
    seeded = finish(
        shell(database, SCRIPTS / "seed_portfolio.py", logs / "seed.log"), "seeding"
    )
    assert "SEEDED 240 policies" in seeded, seeded[-3000:]


def drop_database(database):
    subprocess.run(["dropdb", "--if-exists", database], check=False)
    shutil.rmtree(filestore(database), ignore_errors=True)


# What the database says after the work, by natural keys (policy number and
# instalment number), not by ids: the two runs create rows in different orders.
FINGERPRINT = {
    "policies": """
        SELECT name, state, suspension_date, reinstatement_deadline, paid_to_date
          FROM insurance_policy""",
    "instalments": """
        SELECT p.name, l.installment_number, l.state, l.due_date, l.grace_end_date,
               l.amount, l.amount_paid, l.demand_date, l.invoice_id IS NOT NULL
          FROM insurance_premium_line l
          JOIN insurance_policy p ON p.id = l.policy_id""",
    "renewal cases": """
        SELECT p.name, c.active, c.stage_id, c.won_status, c.user_id,
               c.expected_revenue, c.renewal_unreachable
          FROM crm_lead c JOIN insurance_policy p ON p.id = c.insurance_policy_id""",
    "premium invoices": """
        SELECT p.name, l.installment_number, m.state, m.amount_total, m.invoice_date_due
          FROM account_move m
          JOIN insurance_premium_line l ON l.invoice_id = m.id
          JOIN insurance_policy p ON p.id = l.policy_id""",
    "invoices of the premium journal": """
        SELECT m.partner_id, m.state, m.amount_total, m.invoice_date_due
          FROM account_move m WHERE m.move_type = 'out_invoice'""",
    "reminder logs": """
        SELECT p.name, l.installment_number, g.step_id, g.channel, g.state,
               g.skip_reason, g.bundle_size, g.attempt_count, g.partner_id,
               g.mail_message_id IS NOT NULL
          FROM insurance_reminder_log g
          JOIN insurance_premium_line l ON l.id = g.premium_line_id
          JOIN insurance_policy p ON p.id = l.policy_id""",
    "queued emails": """
        SELECT msg.model, coalesce(p.name, lp.name), msg.subject, mm.state,
               array_agg(r.res_partner_id ORDER BY r.res_partner_id)
          FROM mail_mail mm
          JOIN mail_message msg ON msg.id = mm.mail_message_id
          LEFT JOIN mail_mail_res_partner_rel r ON r.mail_mail_id = mm.id
          LEFT JOIN insurance_policy p
                 ON msg.model = 'insurance.policy' AND p.id = msg.res_id
          LEFT JOIN crm_lead c ON msg.model = 'crm.lead' AND c.id = msg.res_id
          LEFT JOIN insurance_policy lp ON lp.id = c.insurance_policy_id
         GROUP BY mm.id, msg.model, p.name, lp.name, msg.subject, mm.state""",
    "queued SMS": """
        SELECT partner_id, number, state, body FROM sms_sms""",
    "activities (to-dos)": """
        SELECT a.res_model, coalesce(p.name, lp.name), a.activity_type_id,
               a.summary, a.user_id, a.date_deadline
          FROM mail_activity a
          LEFT JOIN insurance_policy p
                 ON a.res_model = 'insurance.policy' AND p.id = a.res_id
          LEFT JOIN crm_lead c ON a.res_model = 'crm.lead' AND c.id = a.res_id
          LEFT JOIN insurance_policy lp ON lp.id = c.insurance_policy_id""",
    "contact log": """
        SELECT p.name, a.kind, a.channel, a.outcome, a.partner_id, a.lead_id IS NULL
          FROM insurance_renewal_activity a
          JOIN insurance_policy p ON p.id = a.policy_id""",
    "chatter and tracking": """
        SELECT msg.model, coalesce(p.name, lp.name), msg.message_type,
               msg.subtype_id, count(DISTINCT msg.id), count(v.id)
          FROM mail_message msg
          LEFT JOIN mail_tracking_value v ON v.mail_message_id = msg.id
          LEFT JOIN insurance_policy p
                 ON msg.model = 'insurance.policy' AND p.id = msg.res_id
          LEFT JOIN crm_lead c ON msg.model = 'crm.lead' AND c.id = msg.res_id
          LEFT JOIN insurance_policy lp ON lp.id = c.insurance_policy_id
         WHERE msg.model IN ('insurance.policy', 'crm.lead', 'res.partner')
         GROUP BY msg.model, p.name, lp.name, msg.message_type, msg.subtype_id""",
    "customers' renewal status": """
        SELECT id, renewal_status FROM res_partner""",
}


def fingerprint(database):
    connection = psycopg2.connect(dbname=database)
    result = {}
    try:
        with connection.cursor() as cursor:
            for name, query in FINGERPRINT.items():
                cursor.execute(query)
                rows = [
                    tuple(tuple(v) if isinstance(v, list) else v for v in row)
                    for row in cursor.fetchall()
                ]
                result[name] = sorted(rows, key=repr)
    finally:
        connection.close()
    return result


def alarms(log):
    return [
        line for line in Path(log).read_text().splitlines() if LOG_ALARMS.search(line)
    ]


def start_together(workers, logs, go, number):
    """Wait until both processes are ready for action ``number``, then start it in
    both at once."""
    deadline = time.monotonic() + START_TIMEOUT
    readies = [logs / f"{log.stem}.ready.{number}" for _p, log in workers]
    while not all(ready.exists() for ready in readies):
        assert time.monotonic() < deadline, "the two processes never got ready"
        for process, log in workers:
            assert process.poll() is None, (
                f"{log.name} died:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.01)
    Path(f"{go}.{number}").touch()


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return tmp_path_factory.mktemp("concurrency")


@pytest.fixture(scope="module")
def base(logs):
    """The seeded portfolio, built once for every test of this module."""
    base = f"{PREFIX}_base"
    # REUSE_BASE=1 (with KEEP_DB=1 before) starts from the portfolio of a previous
    # run: for working on the addon's methods, not on its fields.
    reuse = os.environ.get("REUSE_BASE") and database_exists(base)
    try:
        if not reuse:
            drop_database(base)
            build_portfolio(base, logs)
        yield base
    finally:
        if not os.environ.get("KEEP_DB"):
            drop_database(base)


@pytest.fixture(scope="module")
def runs(base, logs):
    """Run the nightly work once on one copy of the portfolio and in two processes
    at the same time on another."""
    single, double = f"{PREFIX}_single", f"{PREFIX}_double"
    try:
        copy_database(base, single)
        copy_database(base, double)

        one = shell(single, SCRIPTS / "nightly_work.py", logs / "single.log")
        finish(one, "the single run")

        go = logs / f"go-{uuid.uuid4().hex}"
        workers = []
        for name in ("first", "second"):
            environ = {"READY_FILE": str(logs / f"{name}.ready"), "GO_FILE": str(go)}
            log = logs / f"{name}.log"
            workers.append(
                (shell(double, SCRIPTS / "nightly_work.py", log, environ), log)
            )
        for number in range(ACTIONS):
            start_together(workers, logs, go, number)
        outputs = [finish(p, f"process {log.name}") for p, log in workers]
        yield {
            "single": fingerprint(single),
            "double": fingerprint(double),
            "single_log": logs / "single.log",
            "logs": [log for _p, log in workers],
            "outputs": outputs,
            "base": fingerprint(base),
        }
    finally:
        if not os.environ.get("KEEP_DB"):
            for database in (single, double):
                drop_database(database)


@pytest.fixture(scope="module")
def races(base, logs):
    """Replay the races of a late snapshot (tests/concurrency/races.py) on a copy
    of the portfolio: seconds, once the portfolio is built."""
    database = f"{PREFIX}_races"
    try:
        copy_database(base, database)
        log = logs / "races.log"
        output = finish(shell(database, SCRIPTS / "races.py", log), "the races")
        assert "RACES DONE" in output, output[-3000:]
        results = {
            name: json.loads(result)
            for name, result in re.findall(r"^RACE (\S+) (.*)$", output, re.MULTILINE)
        }
        yield {"results": results, "log": log}
    finally:
        if not os.environ.get("KEEP_DB"):
            drop_database(database)


def test_the_portfolio_gives_the_nightly_work_plenty_to_do(runs):
    """Otherwise the comparison below proves nothing."""
    before, after = runs["base"], runs["single"]
    moved = set(after["instalments"]) - set(before["instalments"])
    assert len(moved) > 100, f"only {len(moved)} instalments changed"
    for table, least in (
        ("renewal cases", 100),
        ("premium invoices", 100),
        ("reminder logs", 100),
        # customers' reminder emails only: to-dos notify no one by email
        ("queued emails", 40),
        ("queued SMS", 20),
        ("activities (to-dos)", 20),
    ):
        created = len(after[table]) - len(before[table])
        assert created >= least, f"{table}: only {created} created"
    states = {row[1] for row in after["policies"]}
    assert {"in_force", "grace", "lapsed"} <= states


def test_both_processes_ran_each_action_at_the_same_time(runs):
    started = [
        dict(re.findall(r"STARTED (\S+) AT ([\d.]+)", output))
        for output in runs["outputs"]
    ]
    finished = [
        dict(re.findall(r"FINISHED (\S+) AT ([\d.]+)", output))
        for output in runs["outputs"]
    ]
    assert len(started[0]) == ACTIONS and started[0].keys() == started[1].keys()
    for action in started[0]:
        first, second = (float(times[action]) for times in started)
        assert abs(first - second) < 0.5, action
        # Each overlapped the other: neither was done before the other began.
        assert float(finished[0][action]) > second
        assert float(finished[1][action]) > first


@pytest.mark.parametrize("table", sorted(FINGERPRINT))
def test_two_processes_at_once_equal_one_run(runs, table):
    once, twice = runs["single"][table], runs["double"][table]
    missing = sorted(set(once) - set(twice), key=repr)[:10]
    extra = sorted(set(twice) - set(once), key=repr)[:10]
    assert once == twice, (
        f"{table}: one run has {len(once)} rows, two processes {len(twice)}; "
        f"only in one run: {missing}; only with two processes: {extra}"
    )


def test_no_traceback_deadlock_or_serialization_failure_in_the_logs(runs):
    for log in [runs["single_log"], *runs["logs"]]:
        assert not alarms(log), f"{log.name}:\n" + "\n".join(alarms(log)[:20])


def test_a_late_clock_run_opens_no_second_case(races):
    """Worker B's snapshot predates worker A's commit of the cases it opened: B's
    claim of the same policies must fail to serialize and be retried on a fresh
    snapshot, which finds every case open, instead of opening a second case (the
    one-open-case index) with an ERROR and a failure note on the policy."""
    result = races["results"]["clock_opens_cases"]
    assert result["policies"] >= 6, result
    assert result["open_cases"] == result["policies"], result
    assert result["policies_with_a_case"] == result["policies"], result
    assert result["failure_notes"] == 0, result


def test_a_late_clock_run_opens_no_case_beside_a_restored_one(races):
    """A specialist restores a policy's lost case and commits while the clock's
    snapshot predates it: the clock opens no second case (the restore rewrote
    the policy's row, so the clock's claim is retried on a fresh snapshot)."""
    result = races["results"]["restored_case_and_clock"]
    assert result == {
        "open_cases": 1,
        "restored_case_open": True,
        "failure_notes": 0,
    }


def test_a_late_worker_fires_no_second_activity(races):
    """Two workers fire the same assignment rule on the same policies, the second
    on a snapshot older than the first's commit: one activity per policy and rule
    (the rule's "entered grace" to-do), not two."""
    result = races["results"]["assignment_rules"]
    assert result["rules"] >= 1, result
    assert result["activities"] == result["policies"] * result["rules"], result
    assert result["policies_with_an_activity"] == result["policies"], result


def test_a_late_clock_run_keeps_a_payment_recorded_meanwhile(races):
    """A payment recorded and committed while the clock's snapshot predates it:
    the instalment stays paid (the clock does not move it into grace over the
    payment) and nothing fails."""
    result = races["results"]["payment_and_clock"]
    assert result == {
        "state": "paid",
        "amount_paid_is_amount": True,
        "failure_notes": 0,
    }


def test_a_late_invoice_run_issues_nothing_twice(races):
    """Worker B's snapshot predates worker A's commit of the same instalments'
    premium invoices: B issues no second invoice and nothing fails."""
    result = races["results"]["invoices"]
    assert result["instalments"] >= 6, result
    assert result["invoiced"] == result["instalments"], result
    assert result["moves_after_b"] == result["moves_after_a"], result
    assert result["failure_notes"] == 0, result


def test_a_late_reminder_run_sends_nothing_twice(races):
    """Worker B's snapshot predates worker A's commit of the same payers'
    reminders: B sends none of them again (no second log, message or contact)."""
    result = races["results"]["reminders"]
    assert result["done_by_a"] > 0, result
    assert result["done_by_b"] == 0, result
    assert result["after_b"] == result["after_a"], result
    assert result["after_b"]["logs"] == result["after_b"]["logged_steps"], result


def test_the_races_were_lost_and_retried_quietly(races):
    """Each replayed race really happened (a retry on a fresh snapshot), and left
    no ERROR, traceback or serialization failure in the log."""
    text = races["log"].read_text()
    retries = text.count("lost a race with another worker")
    assert retries >= len(races["results"]), text[-3000:]
    assert not alarms(races["log"]), "\n".join(alarms(races["log"])[:20])


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
