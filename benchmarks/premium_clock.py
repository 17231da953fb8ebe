"""Benchmark the premium schedule and the daily clock at realistic volumes.

Usage (with Odoo's interpreter, on a database where insurance_renewal is installed):

    python benchmarks/premium_clock.py --database bench_renewal --policies 200000

It registers and activates the policies in batches (as a migration would), then runs
the daily clock on the days that move the most instalments, and prints seconds and
SQL query counts for each step. Numbers, not pass/fail: compare them across changes.
"""

import os
import random
import sys
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common

FREQUENCIES = [("annual", 60), ("semiannual", 10), ("quarterly", 15), ("monthly", 15)]
BATCH = 2000


def parse_args():
    parser = common.parser(__doc__)
    parser.add_argument("--policies", type=int, default=200000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--full",
        action="store_true",
        help="also run the clock two and thirteen months later (long at volume)",
    )
    return parser.parse_args()


def policy_values(rng, index, today, product_ids, partner_ids):
    frequency = rng.choices(
        [f for f, _w in FREQUENCIES], weights=[w for _f, w in FREQUENCIES]
    )[0]
    issue_date = today - timedelta(days=rng.randint(30, 3650))
    return {
        "name": f"BENCH{index:08d}",
        "partner_id": rng.choice(partner_ids),
        "product_id": rng.choice(product_ids),
        "issue_date": issue_date,
        "payment_frequency": frequency,
        "premium_amount": rng.choice([800, 1500, 3000, 6000, 12000, 24000]),
        "premium_years": rng.choice([10, 15, 20]),
        # Paid to somewhere between two months ago and a year ahead, never
        # before the policy was issued.
        "paid_to_date": max(issue_date, today + timedelta(days=rng.randint(-60, 365))),
    }


def register_policies(env, args, today):
    rng = random.Random(args.seed)
    products = env["insurance.product"].search([("code", "like", "BENCH")])
    products = products or env["insurance.product"].create(
        [{"name": f"Bench product {n}", "code": f"BENCH{n}"} for n in range(5)]
    )
    partners = env["res.partner"].create(
        [{"name": f"Bench customer {n}"} for n in range(args.policies // 2)]
    )
    Policy = env["insurance.policy"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    with common.Meter(env.cr, f"register + activate {args.policies} policies"):
        for start in range(0, args.policies, BATCH):
            size = min(BATCH, args.policies - start)
            vals = [
                policy_values(rng, start + i, today, products.ids, partners.ids)
                for i in range(size)
            ]
            Policy.create(vals).action_activate()
            env.cr.commit()
            env.invalidate_all()


def run_clock(env, day, label):
    policies = env["insurance.premium.clock"].with_context(clock_today=day)
    with common.Meter(env.cr, label):
        policies._cron_daily_premium_clock()
    env.invalidate_all()


def main():
    args = parse_args()
    today = date.today()
    with common.environment(args.database, args.addons_path) as env:
        env.cr.execute("DELETE FROM crm_lead WHERE insurance_policy_id IS NOT NULL")
        env.cr.execute("DELETE FROM insurance_policy WHERE name LIKE 'BENCH%%'")
        env.cr.commit()
        register_policies(env, args, today)
        lines = env["insurance.premium.line"].search_count([])
        print(f"{'instalments stored':<55} {lines:9d}")
        run_clock(env, today, "daily clock, today (opens the renewal cases)")
        run_clock(env, today, "daily clock, rerun the same day")
        reminders = env["insurance.reminder.engine"]
        with common.Meter(env.cr, "reminders due now (email, SMS, calls, demands)"):
            sent = reminders._cron_send_reminders()
        print(f"{'  reminders by result':<55} {dict(sent)}")
        with common.Meter(env.cr, "reminders, rerun the same hour"):
            reminders._cron_send_reminders()
        if args.full:
            run_clock(env, today + timedelta(days=61), "daily clock, two months later")
            run_clock(env, today + timedelta(days=400), "daily clock, 13 months later")
        for state, count in env["insurance.policy"]._read_group(
            [("name", "like", "BENCH")], ["state"], ["__count"]
        ):
            print(f"  policies {state:<20} {count:9d}")


if __name__ == "__main__":
    main()
