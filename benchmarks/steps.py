"""The measured steps of ``run.py``, each run in a process of its own.

A worker opens the database, does its step and prints one JSON line: wall time,
SQL queries (Odoo's cursor count; statements for the SQL twins), rows, rows per
second and the process's peak resident memory before and after the step.
"""

import json
import os
import time
from datetime import datetime, timedelta

from lxml import etree

from . import checks, seed, twins
from .common import Meter, environment

SPECIALISTS = 5
REGISTER_BATCH = 2000


def run_worker(args, addons_path):
    extra = json.loads(os.environ.get("BENCH_EXTRA") or "{}")
    with environment(args.database, addons_path) as env:
        result = WORKERS[args.worker](env, args, **extra)
    print(json.dumps(result, default=str))
    return 0


def _params(env, args):
    today = args.today
    ref = env.ref
    return {
        "today": today,
        "asof": today - timedelta(days=1),
        "horizon": (today + _months(12)),
        "window_end": today + timedelta(days=60),
        "team": ref("insurance_renewal.crm_team_renewals").id,
        "first_stage": ref("insurance_renewal.crm_stage_to_remind").id,
        "won_stage": ref("insurance_renewal.crm_stage_collected").id,
        "reason_waived": ref("insurance_renewal.lost_reason_waived").id,
        "reason_lost_contact": ref("insurance_renewal.lost_reason_lost_contact").id,
        "reason_other": ref("insurance_renewal.lost_reason_other").id,
        "note_subtype": ref("mail.mt_note").id,
        "author": ref("base.partner_root").id,
        "state_field": env["ir.model.fields"]._get("insurance.policy", "state").id,
        "stage_field": env["ir.model.fields"]._get("crm.lead", "stage_id").id,
        "lead_model": env["ir.model"]._get("crm.lead").id,
        "call_type": ref("mail.mail_activity_data_call").id,
    }


def _months(count):
    from dateutil.relativedelta import relativedelta

    return relativedelta(months=count)


# Building the template ------------------------------------------------------


def seed_worker(env, args):
    from odoo import Command

    products = env["insurance.product"].create(
        [{"name": f"Bench product {n}", "code": f"BENCH{n}"} for n in range(2)]
    )
    group = env.ref("insurance_renewal.group_insurance_renewal_user")
    specialists = env["res.users"].create(
        [
            {
                "name": f"续期专员 {n}",
                "login": f"bench_specialist_{n}",
                "password": f"bench_specialist_{n}",
                "lang": "zh_CN",
                "tz": "Asia/Shanghai",
                "group_ids": [Command.link(group.id)],
            }
            for n in range(SPECIALISTS)
        ]
    )
    env.ref("insurance_renewal.crm_team_renewals").member_ids |= specialists
    env["res.users"].create(
        {
            "name": "销售 bench",
            "login": "bench_salesman",
            "password": "bench_salesman",
            "lang": "zh_CN",
            "tz": "Asia/Shanghai",
            "group_ids": [Command.link(env.ref("sales_team.group_sale_salesman").id)],
        }
    )
    env.cr.commit()
    values = {
        "policies": args.policies,
        "products": products.ids,
        "specialists": specialists.ids,
        "company": env.company.id,
        "currency": env.company.currency_id.id,
        "today": args.today,
        "asof": args.today - timedelta(days=1),
    }
    with Meter(env.cr) as meter:
        seed.seed_portfolio(env.cr, values)
    env.cr.execute("SELECT count(*) FROM insurance_premium_line")
    return meter.report(rows=env.cr.fetchone()[0])


def _run_clock(env, day):
    env.invalidate_all()
    with Meter(env.cr) as meter:
        env["insurance.premium.clock"].with_context(
            clock_today=day
        )._cron_daily_premium_clock()
    env.invalidate_all()
    return meter


def settle_worker(env, args):
    """The addon's clock on the seed's own day: it must change no instalment and no
    policy (the seed is what the clock leaves), and it opens the cases."""
    before = checks.snapshot(env.cr)
    meter = _run_clock(env, args.today - timedelta(days=1))
    after = checks.snapshot(env.cr)
    env.cr.execute(
        "SELECT count(*) FROM crm_lead WHERE insurance_policy_id IS NOT NULL"
    )
    return meter.report(
        cases=env.cr.fetchone()[0],
        seed_vs_clock={
            table: checks.diff(before[table], after[table])
            for table in ("instalments", "policies", "partners")
        },
    )


def contacts_worker(env, args):
    with Meter(env.cr) as meter:
        env.cr.execute(seed.CONTACTS_SQL, {"asof": args.today - timedelta(days=1)})
    return meter.report(rows=env.cr.rowcount)


def _settle_seeded_contacts(env, day):
    """The contacts were inserted in SQL, behind the ORM: tell the fact flow the
    cases they changed, as logging each contact would have, and let it refresh
    them (the clock refreshes only the cases whose facts changed)."""
    env.cr.execute(
        "SELECT DISTINCT lead_id FROM insurance_renewal_activity"
        " WHERE lead_id IS NOT NULL"
    )
    cases = env["crm.lead"].browse([row[0] for row in env.cr.fetchall()])
    flow = env["insurance.fact.flow"].with_context(clock_today=day)
    flow._touch_cases(cases)
    flow._propagate()
    env.cr.commit()


def settle_check_worker(env, args):
    """Settle the contacts into the cases, then rerun the same day: nothing moves."""
    day = args.today - timedelta(days=1)
    _settle_seeded_contacts(env, day)
    first = _run_clock(env, day)
    env.cr.commit()
    before = checks.snapshot(env.cr)
    second = _run_clock(env, day)
    after = checks.snapshot(env.cr)
    return {
        "settle": first.report(),
        "rerun": second.report(),
        "rerun_changes": {
            table: checks.diff(before[table], after[table]) for table in before
        },
    }


def describe_worker(env, args):
    counts = {}
    for label, sql in (
        ("policies", "SELECT state, count(*) FROM insurance_policy GROUP BY 1"),
        (
            "instalments",
            "SELECT state, count(*) FROM insurance_premium_line GROUP BY 1",
        ),
        (
            "cases",
            (
                "SELECT won_status, count(*) FROM crm_lead "
                "WHERE insurance_policy_id IS NOT NULL GROUP BY 1"
            ),
        ),
        (
            "contacts",
            "SELECT kind, count(*) FROM insurance_renewal_activity GROUP BY 1",
        ),
        (
            "frequencies",
            "SELECT payment_frequency, count(*) FROM insurance_policy GROUP BY 1",
        ),
    ):
        env.cr.execute(sql)
        counts[label] = dict(env.cr.fetchall())
    return counts


# The clock ----------------------------------------------------------------


def _profile_clock_steps(env):
    """Time and count the queries of each step of the addon's clock (its batch
    runner is wrapped here, the addon is not changed)."""
    profile = {}
    runner_class = type(env["insurance.batch.runner"])
    original = runner_class._process_in_batches

    def timed(self, model, domain, process, batch_size):
        start, queries = time.perf_counter(), self.env.cr.sql_log_count
        try:
            return original(self, model, domain, process, batch_size)
        finally:
            step = profile.setdefault(process.__name__, {"seconds": 0, "queries": 0})
            step["seconds"] = round(step["seconds"] + time.perf_counter() - start, 3)
            step["queries"] += self.env.cr.sql_log_count - queries

    runner_class._process_in_batches = timed
    return profile


def _count_statements(cr):
    """Count the statements the cursor runs by verb and table."""
    counts = {}
    original = cr.execute

    def execute(query, params=None, log_exceptions=True):
        text = str(query.code if hasattr(query, "code") else query).lstrip()
        words = text.replace('"', " ").split()
        verb = words[0].upper() if words else "?"
        table = next(
            (
                words[i + 1]
                for i, word in enumerate(words[:-1])
                if word.upper() in ("FROM", "INTO", "UPDATE")
            ),
            "?",
        )
        key = f"{verb} {table}"
        counts[key] = counts.get(key, 0) + 1
        return original(query, params, log_exceptions)

    cr.execute = execute
    return counts


def clock_worker(env, args, rerun=False):
    started = datetime.now()
    profile = _profile_clock_steps(env)
    try:
        statements = _count_statements(env.cr)
    except AttributeError:
        statements = {}
    env.cr.execute(
        "SELECT count(*) FROM insurance_premium_line l JOIN insurance_policy p "
        "ON p.id = l.policy_id WHERE p.state IN ('in_force', 'grace') "
        "AND l.state IN ('planned', 'due', 'grace') AND (l.lapse_date <= %(d)s "
        "OR (l.state IN ('planned', 'due') AND l.due_date < %(d)s) "
        "OR (l.state = 'planned' AND l.due_date = %(d)s))",
        {"d": args.today},
    )
    stale = env.cr.fetchone()[0]
    meter = _run_clock(env, args.today)
    env.cr.commit()
    result = meter.report(stale=stale, **_busy(env, started, args.today))
    result["profile"] = dict(profile)
    result["statements"] = dict(
        sorted(statements.items(), key=lambda item: -item[1])[:25]
    )
    profile.clear()
    if rerun:
        result["rerun"] = _run_clock(env, args.today).report(profile=dict(profile))
    return result


def _busy(env, started, today):
    env.cr.execute(
        "SELECT (SELECT count(*) FROM insurance_premium_line"
        "         WHERE create_date >= %(s)s),"
        " (SELECT count(*) FROM crm_lead WHERE create_date >= %(s)s"
        "    AND insurance_policy_id IS NOT NULL),"
        " (SELECT count(*) FROM insurance_policy WHERE suspension_date = %(t)s),"
        " (SELECT count(*) FROM crm_lead WHERE won_status = 'lost'"
        "    AND write_date >= %(s)s),"
        " (SELECT count(*) FROM mail_message WHERE create_date >= %(s)s),"
        " (SELECT count(*) FROM mail_tracking_value WHERE create_date >= %(s)s)",
        {"s": started, "t": today},
    )
    keys = (
        "lines_created",
        "cases_opened",
        "suspended",
        "cases_lost",
        "messages",
        "tracking",
    )
    return dict(zip(keys, env.cr.fetchone(), strict=True))


def clock_twin_worker(env, args, rerun=False):
    started = datetime.now()
    params = _params(env, args)
    cr = env.cr
    with Meter(cr) as meter:
        meter.statements = twins.clock_twin(cr, params)
        cr.commit()
    result = meter.report(**_busy(env, started, args.today))
    if rerun:
        cr.execute(
            "DROP TABLE IF EXISTS twin_new_lines, twin_target, twin_moved_policies, "
            "twin_policy_before, twin_cases, twin_facts, twin_risk, twin_stage_moves, "
            "twin_contacts, twin_reminded, twin_last, twin_promise, twin_late, "
            "twin_unpaid"
        )
        with Meter(cr) as again:
            again.statements = twins.clock_twin(cr, params)
        result["rerun"] = again.report()
    return result


# The web client's first screens ------------------------------------------------


def _specification(model, arch):
    """The fields a view reads, as the web client asks for them."""
    spec = {}
    root = etree.fromstring(arch)
    for node in root.iter("field"):
        if any(parent.tag == "field" for parent in node.iterancestors()):
            continue
        name = node.get("name")
        field = model._fields.get(name)
        if not field:
            continue
        if field.type in ("many2one", "many2many", "one2many"):
            spec[name] = {"fields": {"display_name": {}}}
        else:
            spec[name] = {}
    return spec


def _first_screen(env, action_xmlid, filters, view_type, read):
    """Load an action's first screen as the web client does: its views, then the
    grouped (kanban) or plain (list) read with the action's context and domain."""
    action = env["ir.actions.act_window"]._for_xml_id(action_xmlid)
    from odoo.tools.safe_eval import safe_eval

    context = {
        **safe_eval(action.get("context") or "{}", {"uid": env.uid, "ref": env.ref})
    }
    context |= {"lang": env.user.lang, "tz": env.user.tz, "uid": env.uid}
    model = env[action["res_model"]].with_context(context)
    domain = safe_eval(action.get("domain") or "[]", {"uid": env.uid}) + filters
    views = [[False, view_type], [False, "search"]]
    if action.get("views"):
        views = [[v, t] for v, t in action["views"] if t == view_type] + [
            [action.get("search_view_id") and action["search_view_id"][0], "search"]
        ]
    result = model.get_views(views, {"action_id": action["id"], "load_filters": True})
    arch = result["views"][view_type]["arch"]
    return read(model, domain, _specification(model, arch), etree.fromstring(arch))


def _kanban_read(model, domain, spec, root):
    order = root.get("default_order") or None
    progress = root.find("progressbar")
    aggregates = (
        [f"{progress.get('sum_field')}:sum"] if progress.get("sum_field") else []
    )
    groups = model.web_read_group(
        domain,
        ["stage_id"],
        aggregates,
        order=order,
        auto_unfold=True,
        unfold_read_specification=spec,
        unfold_read_default_limit=int(root.get("limit") or 40),
    )
    model.read_progress_bar(
        domain,
        "stage_id",
        {"field": progress.get("field"), "colors": json.loads(progress.get("colors"))},
    )
    return sum(len(group.get("__records", ())) for group in groups["groups"])


def _list_read(model, domain, spec, root):
    result = model.web_search_read(
        domain, spec, limit=80, order=root.get("default_order"), count_limit=10001
    )
    return result["length"]


def _measure_screen(env, user, action, filters, view_type, read, rounds=5):
    """Warm once (the registry caches views), then take the best and the median
    of ``rounds`` loads."""
    user_env = env(user=user.id, su=False)
    _first_screen(user_env, action, filters, view_type, read)
    samples = []
    for _round in range(rounds):
        user_env.invalidate_all()
        with Meter(env.cr) as meter:
            rows = _first_screen(user_env, action, filters, view_type, read)
        samples.append(meter.report(rows=rows))
    samples.sort(key=lambda sample: sample["seconds"])
    return {"median": samples[len(samples) // 2], "best": samples[0]}


def kanban_worker(env, args):
    specialist = env["res.users"].search([("login", "=", "bench_specialist_0")])
    env.cr.execute(
        "SELECT count(*) FROM crm_lead WHERE insurance_policy_id IS NOT NULL "
        "AND active AND won_status = 'pending'"
    )
    open_cases = env.cr.fetchone()[0]
    mine = [("won_status", "=", "pending"), ("user_id", "=", specialist.id)]
    return {
        "open_cases": open_cases,
        "kanban": _measure_screen(
            env,
            specialist,
            "insurance_renewal.crm_lead_renewal_action",
            mine,
            "kanban",
            _kanban_read,
        ),
        "policy_list": _measure_screen(
            env,
            specialist,
            "insurance_renewal.insurance_policy_action",
            [],
            "list",
            _list_read,
        ),
    }


# Ordinary opportunities, as many as the open renewal cases, spread over the
# Sales team's stages, a quarter assigned to the bench salesman.
PIPELINE_LEADS_SQL = """
INSERT INTO crm_lead (name, type, team_id, stage_id, partner_id, user_id, company_id,
    active, won_status, probability, expected_revenue, date_deadline, priority,
    create_date, write_date, date_last_stage_update, create_uid, write_uid)
SELECT 'Opportunity ' || c.id, 'opportunity', %(team)s,
       (%(stages)s::int[])[1 + c.id %% 3], c.partner_id,
       CASE WHEN c.id %% 5 = 0 THEN %(salesman)s ELSE %(others)s END,
       c.company_id, true, 'pending', 10, c.renewal_amount_due, c.renewal_due_date, '0',
       now(), now(), now(), 1, 1
  FROM crm_lead c
 WHERE c.insurance_policy_id IS NOT NULL AND c.active AND c.won_status = 'pending'
"""


def pipeline_worker(env, args):
    salesman = env["res.users"].search([("login", "=", "bench_salesman")])
    stages = env["crm.stage"].search(
        [("renewal_step", "=", False), ("is_won", "=", False)]
    )
    env.cr.execute(
        PIPELINE_LEADS_SQL,
        {
            "team": env.ref("sales_team.team_sales_department").id,
            "stages": stages.ids,
            "salesman": salesman.id,
            "others": env.ref("base.user_admin").id,
        },
    )
    leads = env.cr.rowcount
    env.cr.execute("ANALYZE crm_lead")
    env.cr.commit()
    return {
        "open_leads": leads,
        "kanban": _measure_screen(
            env,
            salesman,
            "crm.crm_lead_action_pipeline",
            [("user_id", "=", salesman.id)],
            "kanban",
            _kanban_read,
        ),
        "lead_list": _measure_screen(
            env,
            salesman,
            "crm.crm_lead_action_pipeline",
            [("user_id", "=", salesman.id)],
            "list",
            _list_read,
        ),
    }


# Reminders -----------------------------------------------------------------------


REMINDER_TABLES = (
    "mail_message",
    "mail_mail",
    "sms_sms",
    "mail_notification",
    "insurance_reminder_log",
    "insurance_renewal_activity",
    "mail_activity",
)


def _reminder_moment(args):
    """10:00 in Shanghai: within contact hours, so SMS go out as well as emails."""
    return datetime.combine(args.today, datetime.min.time()) + timedelta(hours=2)


def _reminders_report(env, meter, before, **more):
    created = {
        table: env.cr.execute(f"SELECT count(*) FROM {table} WHERE id > %s", [last])
        or env.cr.fetchone()[0]
        for table, last in before.items()
    }
    messages = created["mail_mail"] + created["sms_sms"]
    return meter.report(
        rows=messages,
        created=created,
        queries_per_message=round(meter.query_count / messages, 2)
        if messages
        else None,
        **more,
    )


def reminders_worker(env, args):
    from freezegun import freeze_time

    before = _max_ids(env.cr, REMINDER_TABLES)
    with freeze_time(_reminder_moment(args), ignore=["benchmarks"]):
        env.invalidate_all()
        with Meter(env.cr) as meter:
            counts = env["insurance.reminder.engine"]._cron_send_reminders()
    return _reminders_report(env, meter, before, by_result=dict(counts))


def _max_ids(cr, tables):
    result = {}
    for table in tables:
        cr.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")
        result[table] = cr.fetchone()[0]
    return result


def reminders_twin_worker(env, args):
    """The same reminders in hand-written SQL, on a copy of the same database."""
    ref = env.ref
    author = env.user.partner_id
    window = env["insurance.reminder.engine"]._bundle_until(args.today) - args.today
    params = {
        "today": args.today,
        "oldest": args.today - timedelta(days=7),
        "bundle_until": args.today + window,
        "now": _reminder_moment(args),
        "cap": env.company.renewal_weekly_contact_cap,
        "uid": env.uid,
        "author": author.id,
        "email_from": author.email_formatted,
        "comment": ref("mail.mt_comment").id,
        "note": ref("mail.mt_note").id,
        "call": ref("mail.mail_activity_data_call").id,
        "todo": ref("mail.mail_activity_data_todo").id,
        "policy_model": env["ir.model"]._get("insurance.policy").id,
        "lead_model": env["ir.model"]._get("crm.lead").id,
    }
    before = _max_ids(env.cr, REMINDER_TABLES)
    with Meter(env.cr) as meter:
        meter.statements = twins.reminders_twin(env.cr, params)
        env.cr.commit()
    return _reminders_report(env, meter, before)


# Register and activate -------------------------------------------------------------


def _register_values(env, args):
    partners = env["res.partner"].search(
        [("email", "like", "payer%@example.cn")], limit=args.register // 2 + 1
    )
    products = env["insurance.product"].search([("code", "like", "BENCH")])
    return partners, products


def register_worker(env, args):
    partners, products = _register_values(env, args)
    policy_model = env["insurance.policy"].with_context(
        tracking_disable=True, mail_create_nolog=True, clock_today=args.today
    )
    specialist = env["res.users"].search([("login", "=", "bench_specialist_0")])
    with Meter(env.cr) as meter:
        for start in range(0, args.register, REGISTER_BATCH):
            vals = [
                _new_policy(n, args.today, partners, products, specialist)
                for n in range(start, min(start + REGISTER_BATCH, args.register))
            ]
            policy_model.create(vals).action_activate()
            env.cr.commit()
            env.invalidate_all()
    env.cr.execute(
        "SELECT count(*) FROM insurance_premium_line l JOIN insurance_policy p "
        "ON p.id = l.policy_id WHERE p.name LIKE 'RG%%'"
    )
    return meter.report(rows=args.register, instalments=env.cr.fetchone()[0])


def _new_policy(n, today, partners, products, specialist):
    frequency = ("monthly", "monthly", "quarterly", "annual")[n % 4]
    return {
        "name": f"RG{n:08d}",
        "partner_id": partners[n // 2 % len(partners)].id,
        "product_id": products[n % len(products)].id,
        "issue_date": today - timedelta(days=30 + (n * 37) % 2900),
        # registered by a migration: paid up to around today
        "paid_to_date": today - timedelta(days=(n * 13) % 60 - 30),
        "payment_frequency": frequency,
        "premium_amount": 300 + (n % 10) * 100,
        "premium_years": (10, 15, 20)[n % 3],
        "payment_method": "online",
        "specialist_id": specialist.id,
    }


REGISTER_SQL = """
WITH pol AS (
INSERT INTO insurance_policy (name, partner_id, payer_id, product_id, company_id,
    currency_id, issue_date, payment_frequency, premium_amount, premium_years,
    annualized_premium, payment_method, state, specialist_id, active,
    create_date, write_date, create_uid, write_uid)
SELECT 'RG' || lpad(n::text, 8, '0'), pa, pa, pr, %(company)s, %(currency)s,
       %(today)s::date - (30 + (n * 37) %% 2900), freq, 300 + (n %% 10) * 100,
       (ARRAY[10, 15, 20])[1 + n %% 3],
       (300 + (n %% 10) * 100) * CASE freq WHEN 'monthly' THEN 12
                                 WHEN 'quarterly' THEN 4 ELSE 1 END,
       'online', 'in_force', %(specialist)s, true, now(), now(), 1, 1
  FROM generate_series(0, %(count)s - 1) AS n
 CROSS JOIN LATERAL (
     SELECT (%(partners)s::int[])[1 + (n / 2) %% array_length(%(partners)s::int[], 1)]
                AS pa,
            (%(products)s::int[])[1 + n %% array_length(%(products)s::int[], 1)] AS pr,
            (ARRAY['monthly', 'monthly', 'quarterly', 'annual'])[1 + n %% 4] AS freq) v
RETURNING id)
SELECT array_agg(id) FROM pol
"""

# Activation stores instalments from the second premium up to a year ahead (the
# first premium is paid at issue); their state on the day, then the policy's.
REGISTER_LINES_SQL = seed.LINES_SQL.replace(
    "p.name LIKE 'BP%%'",
    "p.id = ANY(%(ids)s) AND d.due >= %(today)s::date - ((substr(p.name, 3)::int * 13)"
    " %% 60 - 30)",
)

# A policy paid beyond the horizon still gets its next premium stored.
REGISTER_FIRST_LINE_SQL = REGISTER_LINES_SQL.replace(
    "AND d.due <= (%(asof)s::date + interval '12 months')::date",
    "AND NOT EXISTS (SELECT 1 FROM insurance_premium_line o WHERE o.policy_id = p.id)"
    " AND k = (SELECT min(j) FROM generate_series(2, f.per_year * p.premium_years) j"
    " WHERE (p.issue_date + make_interval(months => (j - 1) * f.step))::date"
    " >= %(today)s::date - ((substr(p.name, 3)::int * 13) %% 60 - 30))",
).replace("%(asof)s", "%(today)s")

REGISTER_STATES_SQL = """
UPDATE insurance_premium_line l
   SET state = CASE WHEN l.due_date > %(today)s THEN 'planned'
                    WHEN l.due_date = %(today)s THEN 'due'
                    WHEN l.lapse_date > %(today)s THEN 'grace' ELSE 'lapsed' END
 WHERE l.policy_id = ANY(%(ids)s) AND l.due_date >= %(today)s - 70
"""


def register_twin_worker(env, args):
    partners, products = _register_values(env, args)
    specialist = env["res.users"].search([("login", "=", "bench_specialist_0")])
    cr = env.cr
    with Meter(cr) as meter:
        cr.execute(
            REGISTER_SQL,
            {
                "company": env.company.id,
                "currency": env.company.currency_id.id,
                "today": args.today,
                "count": args.register,
                "partners": partners.ids,
                "products": products.ids,
                "specialist": specialist.id,
            },
        )
        ids = cr.fetchone()[0]
        cr.execute(
            REGISTER_LINES_SQL.replace("%(asof)s", "%(today)s"),
            {"ids": ids, "today": args.today},
        )
        cr.execute(REGISTER_FIRST_LINE_SQL, {"ids": ids, "today": args.today})
        cr.execute(REGISTER_STATES_SQL, {"ids": ids, "today": args.today})
        cr.execute(seed.POLICY_SUMMARY_SQL, {"policy_ids": ids})
        cr.execute(seed.PARTNER_STATUS_SQL, {"partner_ids": partners.ids})
        cr.commit()
        meter.statements = 8
    cr.execute(
        "SELECT count(*) FROM insurance_premium_line WHERE policy_id = ANY(%s)", [ids]
    )
    return meter.report(rows=args.register, instalments=cr.fetchone()[0])


# KPIs and the ledger ----------------------------------------------------------


def kpi_worker(env, args):
    from benchmarks import kpi_reports

    admin = env(user=env.ref("base.user_admin").id, su=False)
    kpi_reports.Meter.trace = False
    kpi_reports.Meter.results = []
    with Meter(env.cr) as meter:
        kpi_reports.read_kpis(admin)
    with Meter(env.cr) as ledger:
        kpi_reports.export_ledger(admin, args.today)
    return {
        "kpis": meter.report(),
        "ledger": ledger.report(rows=_ledger_rows(env, args)),
        "steps": kpi_reports.Meter.results,
    }


def _ledger_rows(env, args):
    env.cr.execute(
        "SELECT count(*) FROM insurance_premium_line WHERE due_date BETWEEN %s AND %s",
        [args.today.replace(day=1), args.today.replace(day=28)],
    )
    return env.cr.fetchone()[0]


KPI_TWIN_SQL = [
    (
        "SELECT date_trunc('month', due_date), count(*) FROM insurance_kpi_instalment "
        "GROUP BY 1"
    ),
    (
        "SELECT date_trunc('month', grace_end_date), count(*) "
        "FROM insurance_kpi_instalment GROUP BY 1"
    ),
    (
        "SELECT date_trunc('month', date_start), count(*) FROM insurance_kpi_lapse "
        "WHERE period_type = 'month' GROUP BY 1"
    ),
    (
        "SELECT date_trunc('month', issue_date), measure_month, count(*) "
        "FROM insurance_kpi_persistency GROUP BY 1, 2"
    ),
    "SELECT channel, count(*) FROM insurance_kpi_response GROUP BY 1",
    (
        "SELECT product_id, specialist_id, count(*) FROM insurance_kpi_persistency "
        "WHERE measure_month = '13' GROUP BY 1, 2"
    ),
]

LEDGER_TWIN_SQL = """
SELECT p.name, rp.name, pr.name, l.installment_number, l.due_date, l.grace_end_date,
       l.amount, l.amount_paid, l.amount_residual, l.state, l.date_paid, u.login
  FROM insurance_premium_line l
  JOIN insurance_policy p ON p.id = l.policy_id
  JOIN res_partner rp ON rp.id = p.partner_id
  JOIN insurance_product pr ON pr.id = p.product_id
  LEFT JOIN res_users u ON u.id = p.specialist_id
 WHERE l.due_date BETWEEN %s AND %s
 ORDER BY l.due_date, p.name, l.installment_number
"""


def kpi_twin_worker(env, args):
    import io

    import xlsxwriter

    cr = env.cr
    with Meter(cr) as meter:
        for sql in KPI_TWIN_SQL:
            cr.execute(sql)
            cr.fetchall()
        meter.statements = len(KPI_TWIN_SQL)
    with Meter(cr) as ledger:
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
        sheet = book.add_worksheet()
        named = cr._cnx.cursor("ledger_twin")
        named.execute(
            LEDGER_TWIN_SQL, [args.today.replace(day=1), args.today.replace(day=28)]
        )
        rows = 0
        for row in named:
            sheet.write_row(rows, 0, [str(v) if v is not None else "" for v in row])
            rows += 1
        named.close()
        book.close()
        ledger.statements = 1
    return {"kpis": meter.report(), "ledger": ledger.report(rows=rows)}


WORKERS = {
    "seed": seed_worker,
    "settle": settle_worker,
    "contacts": contacts_worker,
    "settle_check": settle_check_worker,
    "describe": describe_worker,
    "clock": clock_worker,
    "clock_twin": clock_twin_worker,
    "kanban": kanban_worker,
    "pipeline": pipeline_worker,
    "reminders": reminders_worker,
    "reminders_twin": reminders_twin_worker,
    "register": register_worker,
    "register_twin": register_twin_worker,
    "kpi": kpi_worker,
    "kpi_twin": kpi_twin_worker,
}
