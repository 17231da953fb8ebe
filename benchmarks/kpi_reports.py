"""Benchmark the KPI views and the renewal ledger export at volume.

Usage (with Odoo's interpreter, on a database where insurance_renewal is installed):

    python benchmarks/kpi_reports.py --database bench_kpi --policies 100000

It writes the portfolio straight in SQL (policies issued over five years, every
instalment due so far stored, paid on time, late, after grace or never, and one open
instalment each in the ledger's month), then reads every KPI view as a pivot does and
exports the company's ledger as the admin user, under the record rules. It prints wall
time, SQL queries and the peak Python memory of each step. Numbers, not pass/fail.
"""

import os
import sys
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common

PORTFOLIO_SQL = """
INSERT INTO insurance_policy (name, partner_id, product_id, company_id, currency_id,
    issue_date, payment_frequency, premium_amount, premium_years, annualized_premium,
    payment_method, state, specialist_id, user_id, create_date, write_date)
SELECT 'KPIBENCH' || lpad(n::text, 8, '0'), %(partner)s, %(product)s, %(company)s,
       %(currency)s, %(today)s::date - (365 + n %% 1460),
       CASE WHEN n %% 4 = 0 THEN 'monthly' WHEN n %% 4 = 1 THEN 'quarterly'
            ELSE 'annual' END,
       1000 + (n %% 7) * 1000, 10,
       (1000 + (n %% 7) * 1000) * CASE WHEN n %% 4 = 0 THEN 12 WHEN n %% 4 = 1 THEN 4
                                       ELSE 1 END,
       CASE WHEN n %% 3 = 0 THEN 'online' ELSE 'bank_debit' END,
       CASE WHEN n %% 20 = 0 THEN 'lapsed' ELSE 'in_force' END,
       %(specialist)s, %(specialist)s, now(), now()
  FROM generate_series(1, %(policies)s) AS n
"""

# Every instalment after the first, due from issue up to today: 85%% on time, 8%%
# late in grace, 2%% after grace, 5%% never (lapsed).
LINES_SQL = """
INSERT INTO insurance_premium_line (policy_id, partner_id, product_id, specialist_id,
    payment_method, company_id, currency_id, installment_number, policy_year,
    due_date, grace_end_date, lapse_date, amount, amount_paid, amount_credited,
    amount_residual, state, date_paid)
SELECT p.id, p.partner_id, p.product_id, p.specialist_id, p.payment_method,
       p.company_id, p.currency_id, k + 1, k / per_year + 1, due, due + 60, due + 61,
       p.premium_amount,
       CASE WHEN r < 95 THEN p.premium_amount ELSE 0 END, 0,
       CASE WHEN r < 95 THEN 0 ELSE p.premium_amount END,
       CASE WHEN r < 95 THEN 'paid' ELSE 'lapsed' END,
       CASE WHEN r < 85 THEN due - 3 WHEN r < 93 THEN due + 20
            WHEN r < 95 THEN due + 75 END
  FROM insurance_policy p
 CROSS JOIN LATERAL (SELECT CASE p.payment_frequency WHEN 'monthly' THEN 12
                                 WHEN 'quarterly' THEN 4 ELSE 1 END AS per_year) f
 CROSS JOIN LATERAL generate_series(1, 10 * f.per_year - 1) AS k
 CROSS JOIN LATERAL (SELECT (p.issue_date
                             + make_interval(months => k * 12 / f.per_year))::date
                            AS due,
                            (p.id * 7 + k * 13) %% 100 AS r) d
 WHERE p.name LIKE 'KPIBENCH%%' AND d.due < %(today)s::date - 70
"""

# One open instalment per policy in the ledger's month.
OPEN_SQL = """
INSERT INTO insurance_premium_line (policy_id, partner_id, product_id, specialist_id,
    payment_method, company_id, currency_id, installment_number, policy_year,
    due_date, grace_end_date, lapse_date, amount, amount_paid, amount_credited,
    amount_residual, state)
SELECT p.id, p.partner_id, p.product_id, p.specialist_id, p.payment_method,
       p.company_id, p.currency_id, 1000, 99, %(month)s::date + p.id %% 28,
       %(month)s::date + p.id %% 28 + 60, %(month)s::date + p.id %% 28 + 61,
       p.premium_amount, 0, 0, p.premium_amount, 'due'
  FROM insurance_policy p WHERE p.name LIKE 'KPIBENCH%%'
"""

# One logged contact per policy, ten days before its latest renewal premium was due.
CONTACTS_SQL = """
INSERT INTO insurance_renewal_activity (policy_id, partner_id, company_id, kind,
    channel, outcome, reason_id, promised_date, user_id, date)
SELECT p.id, p.partner_id, p.company_id, 'contact',
       (ARRAY['phone', 'sms', 'wechat', 'visit'])[1 + p.id %% 4],
       (ARRAY['reached', 'no_answer', 'promised', 'refused'])[1 + p.id %% 4],
       (SELECT id FROM crm_lost_reason WHERE is_renewal_reason
         ORDER BY id OFFSET p.id %% 5 LIMIT 1),
       CASE WHEN p.id %% 4 = 2 THEN last.due + 5 END,
       p.specialist_id, last.due - 10
  FROM insurance_policy p
 CROSS JOIN LATERAL (SELECT MAX(due_date) AS due FROM insurance_premium_line l
                      WHERE l.policy_id = p.id AND l.installment_number < 1000) last
 WHERE p.name LIKE 'KPIBENCH%%' AND last.due IS NOT NULL
"""


def parse_args():
    parser = common.parser(__doc__)
    parser.add_argument("--policies", type=int, default=100000)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the portfolio of a previous run"
    )
    parser.add_argument(
        "--no-memory",
        action="store_true",
        help="do not trace Python memory (tracemalloc slows Python code down)",
    )
    return parser.parse_args()


class Meter(common.Meter):
    """Wall time, SQL queries and peak Python memory of one step."""

    trace = True
    results = None  # a list collects every step's numbers (benchmarks/run.py)

    def __init__(self, cr, label):
        super().__init__(cr, label, trace=self.trace, results=self.results)


def build_portfolio(env, args, today):
    product = env["insurance.product"].search([("code", "=", "KPIBENCH")]) or env[
        "insurance.product"
    ].create({"name": "KPI bench product", "code": "KPIBENCH"})
    partner = env["res.partner"].create({"name": "=KPI bench customer"})
    values = {
        "partner": partner.id,
        "product": product.id,
        "company": env.company.id,
        "currency": env.company.currency_id.id,
        "specialist": env.ref("base.user_admin").id,
        "today": today,
        "policies": args.policies,
        "month": today.replace(day=1),
    }
    env.cr.execute(
        "DELETE FROM insurance_premium_line WHERE policy_id IN "
        "(SELECT id FROM insurance_policy WHERE name LIKE 'KPIBENCH%%')"
    )
    env.cr.execute(
        "DELETE FROM insurance_renewal_activity WHERE policy_id IN "
        "(SELECT id FROM insurance_policy WHERE name LIKE 'KPIBENCH%%')"
    )
    env.cr.execute("DELETE FROM insurance_policy WHERE name LIKE 'KPIBENCH%%'")
    with Meter(env.cr, f"write {args.policies} policies and instalments in SQL"):
        for sql in (PORTFOLIO_SQL, LINES_SQL, OPEN_SQL, CONTACTS_SQL):
            env.cr.execute(sql, values)
        env.cr.execute(
            "ANALYZE insurance_policy; ANALYZE insurance_premium_line; "
            "ANALYZE insurance_renewal_activity"
        )
    env.cr.commit()
    env.cr.execute("SELECT count(*) FROM insurance_premium_line")
    print(f"{'instalments stored':<50} {env.cr.fetchone()[0]:8d}")


def read_kpis(env):
    reads = [
        ("insurance.kpi.instalment", ["due_date:month"], ["collection_rate:avg"]),
        ("insurance.kpi.instalment", ["grace_end_date:month"], ["success_rate:avg"]),
        (
            "insurance.kpi.lapse",
            ["date_start:month"],
            ["lapse_rate:avg", "reinstatement_rate:avg"],
        ),
        (
            "insurance.kpi.persistency",
            ["issue_date:month", "measure_month"],
            ["persistency_count_rate:avg", "persistency_premium_rate:avg"],
        ),
        ("insurance.kpi.response", ["channel"], ["paid_after_rate:avg"]),
    ]
    for model, groupby, aggregates in reads:
        domain = [("period_type", "=", "month")] if "lapse" in model else []
        with Meter(env.cr, f"{model} by {', '.join(groupby)}"):
            groups = env[model]._read_group(domain, groupby, aggregates)
        print(f"  {len(groups)} groups")
    with Meter(env.cr, "persistency by product and specialist (month 13)"):
        env["insurance.kpi.persistency"]._read_group(
            [("measure_month", "=", "13")],
            ["product_id", "specialist_id"],
            ["persistency_count_rate:avg"],
        )


def export_ledger(env, today):
    wizard = env["insurance.renewal.ledger"].create(
        {
            "scope": "company",
            "date_from": today.replace(day=1),
            "date_to": today.replace(day=28),
        }
    )
    report = env.ref("insurance_renewal.action_report_renewal_ledger_xlsx")
    with Meter(env.cr, "renewal ledger, whole company, xlsx"):
        content, _type = report._render(report.report_name, wizard.ids)
    print(f"  {len(content) / 2**20:.1f} MiB xlsx")


def main():
    args = parse_args()
    today = date.today()
    with common.environment(args.database, args.addons_path) as env:
        Meter.trace = not args.no_memory
        if not args.reuse:
            build_portfolio(env, args, today)
        admin = env(user=env.ref("base.user_admin").id, su=False)
        read_kpis(admin)
        export_ledger(admin, today)


if __name__ == "__main__":
    main()
