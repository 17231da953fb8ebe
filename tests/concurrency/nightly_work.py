# Run by `odoo shell` (the script is its stdin): the nightly scheduled actions, each
# called as its ir.cron record calls it (as the superuser) but in batches of BATCH
# records, so that two processes interleave batch by batch, and without the cron
# runner's lock on the job, as two hosts calling them at once would (but the
# daily clock, below).
# With READY_FILE and GO_FILE set, before each action it says it is ready
# (READY_FILE.<n>) and waits for the go (GO_FILE.<n>), so that two processes start
# each action together.
import os
import time
from pathlib import Path

ACTIONS = (
    ("insurance.policy", "_cron_daily_premium_clock", "batch_size"),
    ("insurance.premium.line", "_cron_issue_premium_invoices", "batch_size"),
    ("insurance.reminder.engine", "_cron_send_reminders", "batch_payers"),
)
BATCH = int(os.environ.get("BATCH") or 20)


def wait_for_go(number):
    if not os.environ.get("READY_FILE"):
        return
    env.cr.rollback()  # noqa: F821 - given by odoo shell; nothing held while waiting
    Path(f"{os.environ['READY_FILE']}.{number}").touch()
    go = Path(f"{os.environ['GO_FILE']}.{number}")
    while not go.exists():
        time.sleep(0.002)


# The daily clock's steps build on each other (instalments, then policies, then
# cases): it is one job, which Odoo's cron runner (and "Run Manually") only ever
# runs once at a time, holding the job's row lock in a cursor of its own while the
# job commits batch after batch. The second process waits for that lock, as a
# second worker does, then runs the clock again (a same-day rerun). The invoices
# and reminders run truly side by side, batch by batch.
ONE_AT_A_TIME = {
    "_cron_daily_premium_clock": "insurance_renewal.ir_cron_daily_premium_clock"
}


def job_lock(method):
    xmlid = ONE_AT_A_TIME.get(method)
    if not xmlid:
        return None
    lock_cr = env.registry.cursor()  # noqa: F821
    lock_cr.execute(
        "SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE",
        [env.ref(xmlid).id],  # noqa: F821
    )
    return lock_cr


for number, (model, method, batch_arg) in enumerate(ACTIONS):
    wait_for_go(number)
    print(f"STARTED {method} AT {time.time()}", flush=True)
    lock_cr = job_lock(method)
    env.cr.rollback()  # noqa: F821 - a snapshot taken after the lock
    getattr(env[model], method)(**{batch_arg: BATCH})  # noqa: F821
    env.cr.commit()  # noqa: F821
    if lock_cr:
        lock_cr.rollback()
        lock_cr.close()
    print(f"FINISHED {method} AT {time.time()}", flush=True)
print("NIGHTLY WORK DONE", flush=True)
