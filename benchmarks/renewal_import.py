"""Benchmark the import of the policy administration system's renewal extract.

Usage (with Odoo's interpreter, on a database where insurance_renewal is installed):

    python benchmarks/renewal_import.py --database bench_renewal --rows 10000

It writes a CSV extract of ``--rows`` policies (Chinese headers, every row good:
valid identity numbers, phones, Luhn-valid debit cards, one of five agents), then,
as a renewal specialist: checks the file, imports it in committed batches as the
scheduled action does (new customers, cards and policies, each policy activated),
checks and imports the same file again (nothing changes). It prints seconds, SQL
queries, rows per second and peak Python memory (tracemalloc) of each step.
"""

import base64
import io
import os
import random
import sys
from datetime import date, timedelta

from stdnum import luhn
from stdnum.cn import ric

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common

HEADER = (
    "保单号,产品代码,投保人,投保人身份证号,投保人手机,电子邮箱,联系地址,开户银行,"
    "银行卡号,生效日期,缴费频率,期缴保费,缴费年期,缴至日,收费方式,现金价值,"
    "保单贷款余额,价值报告日,自动垫交,业务员"
)
# The agents the extract names (salesmen, created when missing).
AGENTS = [f"bench_agent_{n}" for n in range(5)]
FREQUENCIES = {"年交": 12, "半年交": 6, "季交": 3, "月交": 1}


def parse_args():
    parser = common.parser(__doc__)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--agents",
        type=int,
        default=len(AGENTS),
        help="how many agents the extract names (0: no agent, as in the runs "
        "before agents were added)",
    )
    parser.add_argument("--output", default=None)
    parser.add_argument(
        "--no-memory",
        action="store_true",
        help="do not trace Python memory (tracemalloc slows Python code down)",
    )
    return parser.parse_args()


class Meter(common.Meter):
    """Wall time, SQL queries, rows per second and peak Python memory of a step."""

    trace = True

    def __init__(self, cr, label, rows):
        super().__init__(cr, label, rows=rows, trace=self.trace)


def identity_number(rng):
    birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 20000))
    body = f"110105{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")


def card_number(rng):
    body = f"622202{rng.randint(0, 10**9 - 1):09d}"
    return body + luhn.calc_check_digit(body)


def extract(rows, seed, today, agents=AGENTS):
    rng = random.Random(seed)
    lines = [HEADER]
    for index in range(rows):
        frequency = rng.choice(list(FREQUENCIES))
        issue = today - timedelta(days=rng.randint(400, 3000))
        months = (today.year - issue.year) * 12 + today.month - issue.month + 1
        step = FREQUENCIES[frequency]
        paid_to = issue + timedelta(days=(months // step) * step * 30)
        lines.append(
            ",".join(
                (
                    f"IMP{index:08d}",
                    "BENCH-IMP",
                    f"客户{index:06d}",
                    identity_number(rng),
                    f"139{rng.randint(0, 10**8 - 1):08d}",
                    f"c{index}@example.com",
                    f"上海市浦东新区世纪大道{index}号",
                    "中国工商银行",
                    card_number(rng),
                    issue.isoformat(),
                    frequency,
                    str(rng.choice([800, 1500, 3000, 6000, 12000])),
                    str(rng.choice([10, 15, 20])),
                    max(issue, paid_to).isoformat(),
                    rng.choice(["银行代扣", "柜面", "网银"]),
                    "3500.00",
                    "0",
                    today.isoformat(),
                    rng.choice(["是", "否"]),
                    rng.choice(agents) if agents else "",
                )
            )
        )
    return "\r\n".join(lines).encode("utf-8-sig")


def agents(env):
    """The salesmen the extract names as agents."""
    users = env["res.users"].with_context(active_test=False)
    known = set(users.search([("login", "in", AGENTS)]).mapped("login"))
    salesman = env.ref("sales_team.group_sale_salesman")
    users.create(
        [
            {"name": login, "login": login, "group_ids": [(4, salesman.id)]}
            for login in AGENTS
            if login not in known
        ]
    )


def specialist(env):
    users = env["res.users"].with_context(active_test=False)
    user = users.search([("login", "=", "bench_import")])
    return user or users.create(
        {
            "name": "Bench importer",
            "login": "bench_import",
            "group_ids": [
                (4, env.ref("insurance_renewal.group_insurance_renewal_user").id)
            ],
        }
    )


# The same rows COPYed into a table, then matched with what the database holds:
# policies by number, people by identity number or mobile (the twin of the import).
TWIN_TABLE = f"""CREATE TEMP TABLE bench_extract ({
    ", ".join(f"c{n} text" for n in range(len(HEADER.split(","))))
})"""
TWIN_SQL = [
    """SELECT count(p.id) FROM bench_extract e
         LEFT JOIN insurance_policy p ON p.name = e.c0""",
    """SELECT count(rp.id) FROM bench_extract e
         LEFT JOIN res_partner rp ON rp.identity_number = e.c3""",
    """SELECT count(rp.id) FROM bench_extract e
         LEFT JOIN res_partner rp ON rp.phone_sanitized = '+86' || e.c4""",
]


def twin(env, content, rows):
    """COPY of the same rows plus the matching SQL, rolled back."""
    cr = env.cr
    with Meter(cr, "COPY + matching SQL", rows) as meter:
        cr.execute(TWIN_TABLE)
        cr._obj.copy_expert(
            "COPY bench_extract FROM STDIN WITH (FORMAT csv, HEADER true)",
            io.BytesIO(content.decode("utf-8-sig").encode()),
        )
        for sql in TWIN_SQL:
            cr.execute(sql)
            cr.fetchall()
        meter.statements = 1
    cr.rollback()
    return meter


def run(env, content, rows, label):
    """Check and import the file as a specialist, as the scheduled action does."""
    Import = env["insurance.data.import"].with_user(specialist(env))
    data_import = Import.create(
        {"name": "extract.csv", "data_file": base64.b64encode(content)}
    )
    env.cr.commit()
    with Meter(env.cr, f"{label}: check every row", rows):
        data_import.action_check()
        env.cr.commit()
    print(f"  rows {data_import.row_count}, bad rows {data_import.error_row_count}")
    with Meter(env.cr, f"{label}: import in committed batches", rows) as meter:
        data_import.action_import()
        env.cr.commit()
        data_import._cron_import_renewal_data()
    print(
        f"  created {data_import.created_count}, updated "
        f"{data_import.updated_count}, unchanged {data_import.unchanged_count}"
    )
    return meter


def main():
    args = parse_args()
    Meter.trace = not args.no_memory
    today = date.today()
    with common.environment(args.database, args.addons_path) as env:
        cr = env.cr
        cr.execute(
            "DELETE FROM crm_lead WHERE insurance_policy_id IN "
            "(SELECT id FROM insurance_policy WHERE name LIKE 'IMP%%')"
        )
        cr.execute("DELETE FROM insurance_policy WHERE name LIKE 'IMP%%'")
        # fresh statistics after the deletes of an earlier run, as autovacuum
        # would give them to a database in use
        cr.execute("ANALYZE insurance_policy, insurance_premium_line, res_partner")
        if not env["insurance.product"].search([("code", "=", "BENCH-IMP")]):
            env["insurance.product"].create(
                {"name": "Bench import", "code": "BENCH-IMP"}
            )
        agents(env)
        cr.commit()
        content = extract(args.rows, args.seed, today, AGENTS[: args.agents])
        print(f"extract: {args.rows} rows, {len(content) / 2**20:.1f} MiB")
        sql = twin(env, content, args.rows)
        first = run(env, content, args.rows, "first import")
        again = run(env, content, args.rows, "same file again")
    summary = (
        "| work | addon | COPY + matching SQL | ratio | target |\n"
        "|---|---|---|---|---|\n"
        f"| {args.rows}-row renewal import | {first.seconds:.1f} s, "
        f"{first.query_count} queries, {args.rows / first.seconds:.0f} rows/s, "
        f"peak {first.python_peak_mib or '-'} MiB (Python), "
        f"{first.report()['maxrss_mib']} MiB resident | "
        f"{sql.seconds:.2f} s | {first.seconds / sql.seconds:.0f}x | 5x |"
    )
    print(summary)
    results = {
        "rows": args.rows,
        "sql": sql.report(rows=args.rows),
        "first_import": first.report(rows=args.rows),
        "same_file_again": again.report(rows=args.rows),
    }
    output = args.output or os.path.join(
        common.REPO, "benchmarks", "results", f"{args.database}_renewal_import.json"
    )
    common.write_results(output, results, summary)


if __name__ == "__main__":
    main()
