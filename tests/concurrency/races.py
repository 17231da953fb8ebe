# Run by `odoo shell` (the script is its stdin) on a copy of the seeded portfolio:
# replays, step by step and always in the same order, the races two workers run
# into when one of them commits while the other's transaction already holds a
# snapshot taken before that commit. Two real database connections (worker A and
# worker B), one thread, no timing: B takes its snapshot, A does the work and
# commits, then B does the same work on its older snapshot. Prints one
# "RACE <name> <json>" line per race for tests/test_concurrency.py.
import json
from datetime import date, timedelta

from odoo import SUPERUSER_ID, api
from odoo.fields import Domain

registry = env.registry  # noqa: F821 - given by odoo shell
env.cr.rollback()  # noqa: F821 - nothing of the shell's own transaction held
POLICIES = 8


def worker_envs():
    """Worker A's and worker B's environments, on connections of their own; B's
    transaction takes its snapshot now, before A does anything."""
    cr_a, cr_b = registry.cursor(), registry.cursor()
    env_b = api.Environment(cr_b, SUPERUSER_ID, {})
    env_b["crm.lead"].search_count([])  # B's snapshot
    return api.Environment(cr_a, SUPERUSER_ID, {}), env_b


def close(*envs):
    for worker_env in envs:
        worker_env.cr.rollback()
        worker_env.cr.close()


def failure_notes(env, policies):
    return env["mail.message"].search_count(
        [
            ("model", "=", "insurance.policy"),
            ("res_id", "in", policies),
            ("body", "ilike", "scheduled renewal work failed"),
        ]
    )


def open_cases_step(worker_env, policy_ids):
    """The clock's step that opens the renewal cases, on these policies only."""
    policies = worker_env["insurance.policy"]
    leads = worker_env["crm.lead"]
    today = policies._clock_today()
    domain = leads._open_renewal_cases_domain(today) & Domain("id", "in", policy_ids)
    runner = worker_env["insurance.batch.runner"].with_context(clock_today=today)
    runner._process_in_batches(policies, domain, leads._open_renewal_cases, 3)


def race_clock_opens_cases():
    """Both workers run the step that opens the renewal cases on the same
    policies; A commits first."""
    policies = env["insurance.policy"]  # noqa: F821
    leads = env["crm.lead"]  # noqa: F821
    today = policies._clock_today()
    policy_ids = policies.search(
        leads._open_renewal_cases_domain(today), order="id", limit=POLICIES
    ).ids
    env_a, env_b = worker_envs()
    try:
        open_cases_step(env_a, policy_ids)  # commits batch by batch
        open_cases_step(env_b, policy_ids)
    finally:
        close(env_a, env_b)
    env.cr.rollback()  # noqa: F821 - a fresh snapshot for the verdict
    open_cases = leads.search(
        [
            ("insurance_policy_id", "in", policy_ids),
            ("won_status", "=", "pending"),
        ]
    )
    return {
        "policies": len(policy_ids),
        "open_cases": len(open_cases),
        "policies_with_a_case": len(open_cases.insurance_policy_id),
        "failure_notes": failure_notes(env, policy_ids),  # noqa: F821
    }


def race_restored_case_and_clock():
    """A specialist restores a policy's lost case (worker A) while the clock
    (worker B, older snapshot) is about to open a new case for that policy."""
    policies = env["insurance.policy"]  # noqa: F821
    leads = env["crm.lead"]  # noqa: F821
    today = policies._clock_today()
    policy = policies.search(
        leads._open_renewal_cases_domain(today), order="id desc", limit=1
    )
    case = leads._open_renewal_cases(policy)
    case.with_context(renewal_fact_update=True).action_set_lost(
        lost_reason_id=env.ref("insurance_renewal.lost_reason_other").id  # noqa: F821
    )
    env.cr.commit()  # noqa: F821
    env_a, env_b = worker_envs()
    try:
        env_a["crm.lead"].browse(case.id).action_restore()
        env_a.cr.commit()
        open_cases_step(env_b, policy.ids)
    finally:
        close(env_a, env_b)
    env.cr.rollback()  # noqa: F821
    open_cases = leads.search(
        [("insurance_policy_id", "=", policy.id), ("won_status", "=", "pending")]
    )
    return {
        "open_cases": len(open_cases),
        "restored_case_open": open_cases == case,
        "failure_notes": failure_notes(env, policy.ids),  # noqa: F821
    }


def fire_grace_entered(worker_env, policy_ids):
    """The assignment rules of "entered grace" fired on these policies, retried on
    a fresh snapshot when the race is lost, as the clock's batches are."""
    policies = worker_env["insurance.policy"]
    rules = worker_env["insurance.assignment.rule"]
    worker_env["insurance.batch.runner"]._run_retrying_on_concurrency(
        lambda: rules._fire("grace_entered", policies.browse(policy_ids))
    )
    worker_env.cr.commit()


def race_assignment_rules():
    """Both workers fire the same event on the same policies; A commits first."""
    policies = env["insurance.policy"]  # noqa: F821
    policy_ids = policies.search([], order="id", limit=POLICIES).ids
    env_a, env_b = worker_envs()
    try:
        fire_grace_entered(env_a, policy_ids)
        fire_grace_entered(env_b, policy_ids)
    finally:
        close(env_a, env_b)
    env.cr.rollback()  # noqa: F821
    activities = env["mail.activity"].search(  # noqa: F821
        [
            ("res_model", "=", "insurance.policy"),
            ("res_id", "in", policy_ids),
            ("insurance_event_code", "=", "grace_entered"),
        ]
    )
    rules = env["insurance.assignment.rule"].search_count(  # noqa: F821
        [("event_code", "=", "grace_entered")]
    )
    return {
        "policies": len(policy_ids),
        "rules": rules,
        "activities": len(activities),
        "policies_with_an_activity": len(set(activities.mapped("res_id"))),
    }


def issue_invoices(worker_env, line_ids):
    """The premium invoice run, on these instalments only."""
    lines = worker_env["insurance.premium.line"]
    policies = worker_env["insurance.policy"]
    domain = lines._to_invoice_domain(policies._clock_today())
    worker_env["insurance.batch.runner"]._process_in_batches(
        lines, domain & Domain("id", "in", line_ids), lines._issue_invoices_batch, 3
    )


def count_moves():
    env.cr.rollback()  # noqa: F821 - a fresh snapshot
    env.cr.execute("SELECT count(*) FROM account_move")  # noqa: F821
    return env.cr.fetchone()[0]  # noqa: F821


def race_invoices():
    """Both workers issue the premium invoices of the same instalments; A commits
    first."""
    lines = env["insurance.premium.line"]  # noqa: F821
    domain = lines._to_invoice_domain(env["insurance.policy"]._clock_today())  # noqa: F821
    line_ids = lines.search(domain, order="id", limit=POLICIES).ids
    env_a, env_b = worker_envs()
    try:
        issue_invoices(env_a, line_ids)
        moves_after_a = count_moves()
        issue_invoices(env_b, line_ids)
    finally:
        close(env_a, env_b)
    moves_after_b = count_moves()
    instalments = lines.browse(line_ids)
    return {
        "instalments": len(line_ids),
        "invoiced": len(instalments.filtered("invoice_id")),
        "moves_after_a": moves_after_a,
        "moves_after_b": moves_after_b,
        "failure_notes": failure_notes(env, instalments.policy_id.ids),  # noqa: F821
    }


def race_payment_and_clock():
    """A payment of a policy's next instalment is recorded (worker A) while the
    clock (worker B, older snapshot) is about to move that instalment on. The
    portfolio was activated today, so the clock runs for a day three weeks on."""
    day = date.today() + timedelta(days=21)
    policies = env["insurance.policy"].with_context(clock_today=day)  # noqa: F821
    lines = env["insurance.premium.line"]  # noqa: F821
    policy = policies.search(
        policies._stale_clock_domain(day)
        & Domain("premium_line_ids.invoice_id", "=", False),
        order="id desc",
        limit=1,
    )
    stale = lines.search(
        lines._stale_clock_domain(day) & Domain("policy_id", "=", policy.id),
        order="due_date",
        limit=1,
    )
    env_a, env_b = worker_envs()
    try:
        paid = env_a["insurance.premium.line"].browse(stale.id)
        paid.write({"amount_paid": paid.amount})
        env_a.cr.commit()
        worker = env_b["insurance.policy"].with_context(clock_today=day)
        env_b["insurance.batch.runner"].with_context(
            clock_today=day
        )._process_in_batches(
            worker,
            worker._stale_clock_domain(day) & Domain("id", "=", policy.id),
            env_b["insurance.premium.clock"]
            .with_context(clock_today=day)
            ._advance_clock_batch,
            3,
        )
    finally:
        close(env_a, env_b)
    env.cr.rollback()  # noqa: F821
    stale.invalidate_recordset()
    return {
        "state": stale.state,
        "amount_paid_is_amount": stale.amount_paid == stale.amount,
        "failure_notes": failure_notes(env, policy.ids),  # noqa: F821
    }


def send_reminders(worker_env):
    """The reminder run, as its scheduled action runs it, in batches of a few
    payers; return how many steps it sent or skipped."""
    logs = worker_env["insurance.reminder.engine"].with_context(
        mail_notify_force_send=False
    )
    counts = logs._send_due_reminders(POLICIES)
    worker_env.cr.commit()
    return sum(counts.values())


def reminder_tally():
    """What the reminder runs left, on a fresh snapshot."""
    env.cr.rollback()  # noqa: F821
    env.cr.execute(  # noqa: F821
        """SELECT (SELECT count(*) FROM insurance_reminder_log),
                  (SELECT count(DISTINCT (step_id, premium_line_id))
                     FROM insurance_reminder_log),
                  (SELECT count(*) FROM mail_mail) + (SELECT count(*) FROM sms_sms),
                  (SELECT count(*) FROM insurance_renewal_activity)"""
    )
    row = env.cr.fetchone()  # noqa: F821
    return dict(zip(("logs", "logged_steps", "queued", "contacts"), row, strict=True))


def race_reminders():
    """Both workers send the reminders due; A commits first."""
    env_a, env_b = worker_envs()
    try:
        done_by_a = send_reminders(env_a)
        after_a = reminder_tally()
        done_by_b = send_reminders(env_b)
    finally:
        close(env_a, env_b)
    return {
        "done_by_a": done_by_a,
        "done_by_b": done_by_b,
        "after_a": after_a,
        "after_b": reminder_tally(),
    }


for name, race in sorted(globals().items()):
    if name.startswith("race_") and callable(race):
        print(f"RACE {name[5:]} {json.dumps(race())}", flush=True)
print("RACES DONE", flush=True)
