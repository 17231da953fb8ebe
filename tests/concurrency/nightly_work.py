# Run by `odoo shell` (the script is its stdin): the nightly scheduled actions, each
# called as its ir.cron record calls it (as the superuser) but in batches of BATCH
# records, so that two processes interleave batch by batch, and without the cron
# runner's lock on the job, as two hosts calling them at once would: the daily
# clock too, whose steps build on each other (instalments, then policies, then
# cases), so that two clock runs really run side by side.
# With READY_FILE and GO_FILE set, before each action it says it is ready
# (READY_FILE.<n>) and waits for the go (GO_FILE.<n>), so that two processes start
# each action together.
import os
import time
from pathlib import Path

ACTIONS = (
    ("insurance.premium.clock", "_cron_daily_premium_clock", "batch_size"),
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


for number, (model, method, batch_arg) in enumerate(ACTIONS):
    wait_for_go(number)
    print(f"STARTED {method} AT {time.time()}", flush=True)
    env.cr.rollback()  # noqa: F821 - a fresh snapshot
    getattr(env[model], method)(**{batch_arg: BATCH})  # noqa: F821
    env.cr.commit()  # noqa: F821
    print(f"FINISHED {method} AT {time.time()}", flush=True)
print("NIGHTLY WORK DONE", flush=True)
