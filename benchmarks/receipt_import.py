"""Benchmark the import of a bank file of premium receipts beside COPY and SQL.

Usage (with Odoo's interpreter, on a copy of a ``run.py`` template database):

    python benchmarks/receipt_import.py --database h15c_imp --rows 10000

It issues the premium invoices of up to ``--invoices`` open instalments (not
measured), then writes a CSV bank file of ``--rows`` receipts: one per open invoice,
two in three naming its payment reference and the others its policy number, the
rest from strangers, matching nothing (they go to the suspense queue). On that
committed state it runs two twins, each in a transaction rolled back after it:
a COPY of the same rows into a table matched in SQL (reference, then policy
number), and the fair twin (``receipt_twin.py``): hand-written set-based SQL
making the import's state changes (statement lines, journal entries and items,
reconciliations, invoices, instalments, policies, cases, Finance to-dos), whose
end state is checksummed by the same function as the import's. It then imports
the file as a finance user, as the scheduled action does, and prints and writes
seconds, SQL queries, rows per second and peak memory of the three, how many
receipts each matched, the ratios, whether the fair twin's end state equals the
import's (and the first difference of each part that does not), the rows of
Odoo's side tables (chatter, to-dos, notifications) each side wrote, and the CPU
seconds of the import in Odoo's process. ``--trace-memory`` adds the import's
peak Python memory (tracemalloc slows it about four times); ``--query-log FILE``
writes its queries counted by statement shape and by the function that ran them.
``--odoo-floor`` also times Odoo's own ``create`` of the same statement lines
(no matching, no reconciliation; rolled back): the least any import through
Odoo's accounting costs.
"""

import collections
import contextlib
import hashlib
import io
import os
import re
import sys
import threading
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import checks, common, receipt_twin
from benchmarks.steps import _params as clock_params

HEADER = "date,amount,payer name,memo"
# The texts the import writes for Finance (``insurance.bank.file``).
TODO_HEAD = (
    "Receipts of this bank file that match no single premium invoice: "
    "%(count)s, %(total)s in all. Find what they pay under Unmatched Receipts on "
    "the file."
)
TODO_ROW = "Row %(row)s: %(amount)s on %(date)s from %(payer)s (%(memo)s)"
TODO_MORE = "... and %(count)s more."
FLAG = (
    "Paid by %(payer)s, who is neither the payer nor the holder of policy %(policy)s."
)

TWIN_SQL = [
    """CREATE TEMP TABLE bench_receipt (
           row serial, date date, amount numeric, payer_name text, memo text,
           key text, invoice_id int, rule text)""",
    None,  # the COPY
    """UPDATE bench_receipt r SET key = regexp_replace(upper(r.memo), %s, '', 'g')""",
    """UPDATE bench_receipt r SET invoice_id = m.id, rule = 'reference'
         FROM account_move m
        WHERE m.insurance_reference_key = r.key AND m.move_type = 'out_invoice'
          AND m.state = 'posted' AND m.payment_state IN ('not_paid', 'partial')""",
    """UPDATE bench_receipt r SET invoice_id = x.id, rule = 'policy'
         FROM (SELECT DISTINCT ON (p.id) p.id AS policy_id, m.id,
                      regexp_replace(upper(p.name), %s, '', 'g') AS key
                 FROM insurance_policy p
                 JOIN account_move m ON m.insurance_policy_id = p.id
                WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
                  AND m.payment_state IN ('not_paid', 'partial')
                ORDER BY p.id, m.invoice_date_due, m.id) x
        WHERE r.invoice_id IS NULL AND x.key = r.key""",
]


def parse_args():
    parser = common.parser(__doc__)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=date(2026, 1, 5),
        help="the clock's day the invoices are issued on",
    )
    parser.add_argument("--output", default=None)
    parser.add_argument(
        "--todo-lang",
        default=None,
        help="the language the fair twin writes Finance's to-dos, flags and the "
        "invoices' tracked payment states in (default: the importing user's, as "
        "the addon does since h18r; en_US for a large file and the code before, "
        "whose scheduled batches wrote English)",
    )
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="measure the import's peak Python memory with tracemalloc (slows "
        "its Python part several times; resident memory is measured anyway)",
    )
    parser.add_argument(
        "--query-log",
        default=None,
        help="write here the import's queries counted by statement shape and by "
        "the Odoo or addon function that ran them (slows the run)",
    )
    parser.add_argument(
        "--odoo-floor",
        action="store_true",
        help="also time Odoo's own create of the same statement lines (no "
        "matching, no reconciliation), rolled back: the least an import through "
        "Odoo's accounting costs",
    )
    return parser.parse_args()


class QueryLog:
    """Counts a step's queries by statement shape (literals and placeholders
    folded) and by the first function outside Odoo's ORM that ran them."""

    ORM = ("/odoo/orm/", "/odoo/sql_db.py", "/odoo/models.py", "/odoo/fields.py")
    ORM += ("/odoo/api.py", "/odoo/tools/", "/odoo/modules/", "/odoo/service/")

    def __init__(self):
        self.shapes = collections.Counter()
        self.callers = collections.Counter()

    def hook(self, cr, query, params, start, delay):
        shape = re.sub(r"\s+", " ", str(query))
        shape = re.sub(r"'[^']*'|\b\d+\b|%s|%\(\w+\)s", "?", shape)
        shape = re.sub(r"\?(, ?\?)+", "?...", shape)
        self.shapes[shape[:160]] += 1
        self.callers[self._caller()] += 1

    def _caller(self):
        """The first function outside the ORM that ran the query, and the
        addon's innermost function that led there."""
        frame, caller, addon = sys._getframe(2), None, None
        while frame and not addon:
            path = frame.f_code.co_filename
            if caller is None and not any(part in path for part in self.ORM):
                caller = self._name(frame)
            if "/insurance_renewal/" in path:
                addon = self._name(frame)
            frame = frame.f_back
        return caller if caller == addon else f"{caller} <- {addon}"

    @staticmethod
    def _name(frame):
        path = frame.f_code.co_filename
        if "/insurance_renewal/" in path:
            module = "insurance_renewal"
        else:
            module = path.split("/addons/")[-1].split("/")[0]
        return f"{module}: {frame.f_code.co_qualname}"

    @contextlib.contextmanager
    def recording(self):
        thread = threading.current_thread()
        hooks = getattr(thread, "query_hooks", ())
        thread.query_hooks = (*hooks, self.hook)
        try:
            yield self
        finally:
            thread.query_hooks = hooks

    def write(self, path, total_rows):
        with open(path, "w") as out:
            for title, counter in (("shape", self.shapes), ("caller", self.callers)):
                out.write(f"# queries by {title} (per receipt, count)\n")
                out.writelines(
                    f"{count / total_rows:8.2f} {count:7d}  {key}\n"
                    for key, count in counter.most_common()
                )


def issue_invoices(env, args):
    """Issue the invoices of up to ``--invoices`` open instalments, as the nightly
    job does, with the products set up for invoicing."""
    product = env["product.product"].create(
        {"name": "续期保费 bench", "type": "service", "taxes_id": False}
    )
    env["insurance.product"].search([("code", "like", "BENCH")]).write(
        {"premium_product_id": product.id}
    )
    lines = env["insurance.premium.line"].with_context(clock_today=args.today)
    todo = lines.search(lines._to_invoice_domain(args.today), limit=args.invoices)
    for start in range(0, len(todo), 500):
        todo[start : start + 500]._issue_invoices()
        env.cr.commit()
    return len(todo)


def bank_file(env, args):
    """The receipts: pay by reference, by policy number in the memo, or nothing."""
    invoices = env["account.move"].search(
        [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("insurance_policy_id", "!=", False),
            ("payment_state", "=", "not_paid"),
        ],
        order="id",
    )
    invoices = invoices[: args.rows]
    by_reference = invoices[: len(invoices) * 2 // 3]
    by_policy = invoices[len(invoices) * 2 // 3 :]
    day = args.today + timedelta(days=1)
    lines = [HEADER]
    for invoice in by_reference:
        lines.append(
            f"{day},{invoice.amount_residual},{invoice.partner_id.name},"
            f"{invoice.payment_reference}"
        )
    for invoice in by_policy:
        lines.append(
            f"{day},{invoice.amount_residual},{invoice.partner_id.name},"
            f"保费 {invoice.insurance_policy_id.name}"
        )
    for n in range(args.rows - len(lines) + 1):
        lines.append(f"{day},{100 + n % 900},陌生人{n},转账 {n:06d}")
    return "\n".join(lines).encode(), len(by_reference), len(by_policy)


def finance_user(env):
    from odoo import Command

    return env["res.users"].create(
        {
            "name": "Bench finance",
            "login": "bench_finance",
            "group_ids": [Command.link(env.ref("account.group_account_invoice").id)],
        }
    )


def bank_journal(env):
    return env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
    )


def import_as_finance(env, content, finance, query_log=None, trace=False):
    journal = bank_journal(env)
    recording = query_log.recording() if query_log else contextlib.nullcontext()
    with (
        common.Meter(env.cr, "import (addon)", rows=None, trace=trace) as meter,
        recording,
    ):
        cpu = time.process_time()
        # uploaded by the finance user, in their language, as the web client does
        files = env["insurance.bank.file"].with_user(finance)
        files = files.with_context(lang=finance.lang)
        imported = files._import_file("receipts", content, "bank.csv", journal)
        env.cr.commit()
        # a large file's batches: by the scheduled action, as its worker runs it
        env["insurance.bank.file"]._cron_import_bank_files()
        env.cr.commit()
        cpu = time.process_time() - cpu
    print(f"import (addon): {cpu:.1f} s of CPU in Odoo's process")
    env.invalidate_all()
    matched = imported.statement_line_ids.filtered(
        lambda line: line.insurance_match_state == "matched"
    )
    rules = {}
    for line in matched:
        rules[line.insurance_match_rule] = rules.get(line.insurance_match_rule, 0) + 1
    state, snapshot = end_state(env, imported.id)
    return (
        meter,
        snapshot,
        {
            "entry_numbers_by_row": entry_numbers_by_row(env, imported.id),
            "state": imported.state,
            "matched": len(matched),
            "rules": rules,
            "cpu_seconds": round(cpu, 3),
            "queries_per_receipt": round(
                meter.query_count / len(content.splitlines()[1:]), 2
            ),
            "end_state": state,
        },
    )


END_STATE_QUERIES = {
    "receipts": """
        SELECT l.insurance_file_row, l.insurance_match_state,
               l.insurance_match_rule, i.name, p.name, l.is_reconciled,
               l.insurance_compliance_flag, l.insurance_compliance_reason,
               (SELECT string_agg(c.name, ',' ORDER BY c.name)
                  FROM insurance_st_line_candidate_rel r
                  JOIN account_move c ON c.id = r.move_id
                 WHERE r.st_line_id = l.id),
               (SELECT string_agg(concat_ws(':', a.code_store::text, lp.name,
                                  ml.balance, ml.amount_residual, ml.reconciled),
                                  ',' ORDER BY ml.balance, a.id)
                  FROM account_move_line ml
                  JOIN account_account a ON a.id = ml.account_id
                  LEFT JOIN res_partner lp ON lp.id = ml.partner_id
                 WHERE ml.move_id = l.move_id)
          FROM account_bank_statement_line l
          LEFT JOIN account_move i ON i.id = l.insurance_invoice_id
          LEFT JOIN res_partner p ON p.id = l.partner_id
         WHERE l.insurance_file_id = %(file)s
         ORDER BY l.insurance_file_row""",
    "statement_entries": """
        SELECT l.insurance_file_row, m.state, m.date, m.ref, mp.name,
               c.name, m.amount_total, m.is_manually_modified, m.checked,
               l.payment_ref, l.amount, l.amount_residual, l.partner_name,
               (SELECT string_agg(concat_ws(':', ml.name, ml.date,
                                  ml.date_maturity, mc.name, ml.amount_currency,
                                  ml.analytic_distribution::text,
                                  ml.matching_number IS NOT NULL,
                                  ml.parent_state, ml.display_type),
                                  ',' ORDER BY ml.balance, ml.id)
                  FROM account_move_line ml
                  JOIN res_currency mc ON mc.id = ml.currency_id
                 WHERE ml.move_id = m.id),
               (SELECT count(*) FROM account_analytic_line al
                  JOIN account_move_line ml ON ml.id = al.move_line_id
                 WHERE ml.move_id = m.id)
          FROM account_bank_statement_line l
          JOIN account_move m ON m.id = l.move_id
          LEFT JOIN res_partner mp ON mp.id = m.partner_id
          JOIN res_currency c ON c.id = m.currency_id
         WHERE l.insurance_file_id = %(file)s
         ORDER BY l.insurance_file_row""",
    "invoice_messages": """
        SELECT i.name, m.message_type, s.name->>'en_US', m.author_id, m.body,
               m.is_internal, m.email_add_signature, m.reply_to,
               m.record_alias_domain_id, m.record_company_id, m.email_from,
               p.message_type, p.res_id = m.res_id,
               (SELECT string_agg(concat_ws(':', f.name, v.old_value_char,
                                  v.new_value_char), ',' ORDER BY f.name)
                  FROM mail_tracking_value v
                  JOIN ir_model_fields f ON f.id = v.field_id
                 WHERE v.mail_message_id = m.id)
          FROM mail_message m
          JOIN account_move i ON i.id = m.res_id
          LEFT JOIN mail_message_subtype s ON s.id = m.subtype_id
          LEFT JOIN mail_message p ON p.id = m.parent_id
         WHERE m.model = 'account.move' AND i.move_type = 'out_invoice'
         ORDER BY i.name, m.date, m.message_type, m.body""",
    "invoices": """
        SELECT name, payment_state, amount_residual FROM account_move
         WHERE move_type = 'out_invoice' AND insurance_policy_id IS NOT NULL
         ORDER BY name""",
    "instalments": """
        SELECT p.name, l.installment_number, l.state, l.amount_paid, l.date_paid
          FROM insurance_premium_line l
          JOIN insurance_policy p ON p.id = l.policy_id
         WHERE l.invoice_id IS NOT NULL
         ORDER BY p.name, l.installment_number""",
    "finance_todos": """
        SELECT count(*), count(DISTINCT res_id) FROM mail_activity
         WHERE insurance_event_code = 'receipt_unmatched'""",
    "entry_numbers": """
        SELECT m.name, m.sequence_prefix, m.sequence_number
          FROM account_bank_statement_line l
          JOIN account_move m ON m.id = l.move_id
         WHERE l.insurance_file_id = %(file)s
         ORDER BY m.name""",
    "finance_todo_rows": """
        SELECT a.res_model, a.res_name = f.name, a.activity_type_id, a.summary,
               a.note, a.date_deadline, a.user_id, a.team_id, a.insurance_rule_id,
               a.active
          FROM mail_activity a
          JOIN insurance_bank_file f ON f.id = a.res_id
         WHERE a.insurance_event_code = 'receipt_unmatched'
           AND a.res_model = 'insurance.bank.file' AND f.id = %(file)s
         ORDER BY a.id""",
    "import_keys": """
        SELECT insurance_file_row, insurance_import_key
          FROM account_bank_statement_line
         WHERE insurance_file_id = %(file)s ORDER BY insurance_file_row""",
    "statement": """
        SELECT s.name, s.date, s.balance_start, s.balance_end,
               s.balance_end_real, s.is_complete, f.state, f.row_count,
               f.imported_rows, f.skipped_count
          FROM insurance_bank_file f
          JOIN account_bank_statement s ON s.id = f.statement_id
         WHERE f.id = %(file)s""",
    "full_reconciles": """
        SELECT count(*) FROM account_full_reconcile""",
    "partials": "SELECT count(*), sum(amount) FROM account_partial_reconcile",
    "statement_chatter": """
        SELECT m.message_type, m.body, count(*) FROM mail_message m
          JOIN account_bank_statement_line l ON l.move_id = m.res_id
         WHERE m.model = 'account.move' AND l.insurance_file_id = %(file)s
         GROUP BY 1, 2 ORDER BY 1, 2""",
    "invoice_chatter": """
        SELECT m.message_type, count(*), count(v.id) FROM mail_message m
          JOIN account_move i ON i.id = m.res_id
          LEFT JOIN mail_tracking_value v ON v.mail_message_id = m.id
         WHERE m.model = 'account.move' AND i.move_type = 'out_invoice'
         GROUP BY 1 ORDER BY 1""",
}


def entry_numbers_by_row(env, file_id):
    """Each receipt's entry number, row by row: not compared with the twin (see
    ``end_state``), but between two runs of the import on copies of one database,
    e.g. the code before and after a change to the numbering."""
    env.cr.execute(
        """SELECT string_agg(concat_ws(':', l.insurance_file_row, m.name), ','
                             ORDER BY l.insurance_file_row)
             FROM account_bank_statement_line l
             JOIN account_move m ON m.id = l.move_id
            WHERE l.insurance_file_id = %s""",
        (file_id,),
    )
    text = env.cr.fetchone()[0] or ""
    return hashlib.md5(text.encode()).hexdigest()


def end_state(env, file_id):
    """Checksums of what the import leaves behind, comparable between two copies
    of one database (names, not ids): each receipt's matching, flag, partner and
    journal items, the premium invoices' and instalments' payment, the Finance
    to-dos, the policies, holders and cases. The entries' numbers are compared
    as a set (``entry_numbers``): Odoo numbers a batch's entries in chunks of
    1,000, the last chunk first, which the twin, numbering in file order, does
    not copy."""
    cr = env.cr
    env.flush_all()
    result, rows = {}, {}
    for name, sql in END_STATE_QUERIES.items():
        cr.execute(f"SELECT t::text FROM ({sql}) t", {"file": file_id})
        rows[name] = [row for (row,) in cr.fetchall()]
        text = "|".join(rows[name]) if rows[name] else None
        digest = hashlib.md5(text.encode()).hexdigest() if text else None
        result[name] = f"{len(rows[name])} rows, md5 {digest}"
        if len(rows[name]) <= 5:
            result[name] += f": {text}"
    # policies, holders and cases as the clock's benchmark compares them
    snapshot = checks.snapshot(cr) | rows
    cr.execute(receipt_twin.SIDE_ROWS_SQL)
    snapshot["side_rows"] = dict(cr.fetchall())
    for name in ("policies", "partners", "cases"):
        result[name] = (
            f"{len(snapshot[name])} rows, md5 {checks.checksum(snapshot[name])}"
        )
    return result, snapshot


def twin(env, content):
    """COPY of the same rows into a table, then the matching in SQL."""
    from odoo.addons.insurance_renewal.lib import bank_files

    cr = env.cr
    with common.Meter(cr, "COPY + matching SQL", trace=True) as meter:
        for sql in TWIN_SQL:
            if sql is None:
                cr._obj.copy_expert(
                    "COPY bench_receipt (date, amount, payer_name, memo) "
                    "FROM STDIN WITH (FORMAT csv, HEADER true)",
                    io.BytesIO(content),
                )
            elif "%s" in sql:
                cr.execute(sql, [bank_files.NOT_KEY_CHARS])
            else:
                cr.execute(sql)
        meter.statements = 2  # COPY and the one run outside Odoo's counter
        cr.execute("SELECT rule, count(*) FROM bench_receipt GROUP BY rule")
        rules = dict(cr.fetchall())
        cr.rollback()
    return meter, {"matched": sum(v for k, v in rules.items() if k), "rules": rules}


def odoo_floor(env, content):
    """Odoo's plain ``create`` of the file's statement lines, as Odoo's own
    statement import makes them (one call per batch of the import's size, each
    flushed), without matching, reconciling or anything of the addon's: what
    any import through Odoo's accounting costs at least. Rolled back."""
    import csv

    from odoo.addons.insurance_renewal.models.insurance_bank_file import IMPORT_BATCH

    journal = bank_journal(env)
    rows = list(csv.reader(io.StringIO(content.decode())))[1:]
    vals_list = [
        {
            "journal_id": journal.id,
            "date": day,
            "amount": float(amount),
            "partner_name": payer,
            "payment_ref": memo,
        }
        for day, amount, payer, memo in rows
    ]
    StLine = env["account.bank.statement.line"]
    with common.Meter(env.cr, "Odoo's statement line create", rows=None) as meter:
        cpu = time.process_time()
        for start in range(0, len(vals_list), IMPORT_BATCH):
            StLine.create(vals_list[start : start + IMPORT_BATCH])
            env.flush_all()
        cpu = time.process_time() - cpu
    env.cr.rollback()
    env.invalidate_all()
    print(f"Odoo's statement line create: {meter.seconds:.1f} s, {cpu:.1f} s of CPU")
    return meter, {"cpu_seconds": round(cpu, 3)}


def fair_twin(env, content, finance, args):
    """The import's state changes in hand-written set-based SQL
    (``receipt_twin.py``), on the same committed database, rolled back after its
    end state is read."""
    from odoo.tools.translate import code_translations

    from odoo.addons.insurance_renewal.lib import bank_files
    from odoo.addons.insurance_renewal.models.insurance_bank_file import TODO_LISTED

    journal = bank_journal(env)
    company = journal.company_id
    lang = finance.lang or "en_US"
    account_texts = code_translations.get_python_translations("account", lang)
    created_by = account_texts.get("#Created by: %s", "#Created by: %s")
    # What the import tells Finance, in the language it writes it in.
    todo_lang = args.todo_lang or lang
    texts = code_translations.get_python_translations("insurance_renewal", todo_lang)
    labels = dict(
        env(context={"lang": todo_lang})["account.move"]
        ._fields["payment_state"]
        ._description_selection(env(context={"lang": todo_lang}))
    )
    todo = {text: texts.get(text, text) for text in (TODO_HEAD, TODO_ROW, TODO_MORE)}
    flag = texts.get(FLAG, FLAG)
    params = clock_params(env, argparse_today(date.today())) | {
        "uid": finance.id,
        "author": env.ref("base.partner_root").id,
        "journal": journal.id,
        "company": company.id,
        "currency": (journal.currency_id or company.currency_id).id,
        "code": journal.code,
        "suspense": journal.suspense_account_id.id,
        "bank_account": journal.default_account_id.id,
        "not_key": bank_files.NOT_KEY_CHARS,
        "filename": "bank.csv",
        "checksum": bank_files.file_checksum(content),
        "created_by": created_by % finance.name,
        "paid_subtype": env.ref("account.mt_invoice_paid").id,
        "payment_state_field": env["ir.model.fields"]
        ._get("account.move", "payment_state")
        .id,
        "move_model": env["ir.model"]._get("account.move").id,
        "file_model": env["ir.model"]._get("insurance.bank.file").id,
        "lang": company.partner_id.lang or "en_US",
        "todo_head": todo[TODO_HEAD] % {"count": "%1$s", "total": "%2$s"},
        "todo_row": todo[TODO_ROW]
        % {
            "row": "%1$s",
            "amount": "%2$s",
            "date": "%3$s",
            "payer": "%4$s",
            "memo": "%5$s",
        },
        "todo_more": todo[TODO_MORE] % {"count": "%1$s"},
        "todo_listed": TODO_LISTED,
        "todo_break": "<br>",
        **money_and_date_formats(
            env, todo_lang, journal.currency_id or company.currency_id
        ),
        "flag": flag % {"payer": "%1$s", "policy": "%2$s"},
        "not_paid": labels["not_paid"],
        "partial": labels["partial"],
        "paid": labels["paid"],
    }
    params["paid_author"] = finance.partner_id.id
    cr = env.cr
    with common.Meter(cr, "fair twin (set-based SQL)") as meter:
        statements, rules, slowest = receipt_twin.receipt_twin(cr, content, params)
        meter.statements = 1  # the COPY, outside Odoo's counter
    cr.execute(
        "SELECT id FROM insurance_bank_file WHERE id = "
        "currval('insurance_bank_file_id_seq')"
    )
    state, snapshot = end_state(env, cr.fetchone()[0])
    cr.rollback()
    env.invalidate_all()
    matched = sum(count for rule, count in rules.items() if rule)
    return (
        meter,
        snapshot,
        {
            "matched": matched,
            "rules": rules,
            "statements": statements,
            "slowest_statements": slowest,
            "end_state": state,
        },
    )


def money_and_date_formats(env, lang_code, currency):
    """How Odoo's ``format_amount`` and ``format_date`` write a positive amount
    and a day in ``lang_code``, as PostgreSQL ``to_char`` patterns."""
    lang = env["res.lang"]._get_data(code=lang_code)
    decimals = "." + "0" * currency.decimal_places if currency.decimal_places else ""
    nbsp = "\N{NO-BREAK SPACE}"
    before = currency.position == "before"
    date_pattern = "".join(
        {"%Y": "YYYY", "%m": "MM", "%d": "DD"}.get(token, f'"{token}"')
        for token in re.findall(r"%[Ymd]|[^%]+", lang.date_format)
    )
    return {
        "money_pre": f"{currency.symbol}{nbsp}" if before else "",
        "money_post": "" if before else f"{nbsp}{currency.symbol}",
        "money_pattern": (
            "FM999,999,999,990" if lang.thousands_sep else "FM999999999990"
        )
        + decimals,
        "money_separators": (lang.thousands_sep or ",") + lang.decimal_point,
        "date_pattern": date_pattern,
    }


def argparse_today(today):
    class Args:
        pass

    args = Args()
    args.today = today
    return args


def compare(twin_result, twin_snapshot, addon_result, addon_snapshot):
    """Which parts of the two end states are equal; the first difference of the
    compared tables otherwise."""
    twin_state, addon_state = twin_result["end_state"], addon_result["end_state"]
    result = {}
    for name, value in addon_state.items():
        result[name] = "equal" if twin_state.get(name) == value else "DIFFERENT"
    for name, verdict in result.items():
        if verdict == "equal":
            continue
        if name in ("policies", "partners", "cases"):
            result[name] = checks.diff(twin_snapshot[name], addon_snapshot[name])
            continue
        twin_rows, addon_rows = twin_snapshot[name], addon_snapshot[name]
        differ = [
            (twin_row, addon_row)
            for twin_row, addon_row in zip(twin_rows, addon_rows, strict=False)
            if twin_row != addon_row
        ]
        result[name] = {
            "rows": [len(twin_rows), len(addon_rows)],
            "differ": len(differ),
            "first (twin, addon)": differ[0] if differ else None,
        }
    twin_side, addon_side = twin_snapshot["side_rows"], addon_snapshot["side_rows"]
    result["side rows not written alike (twin, addon)"] = {
        name: [twin_side.get(name, 0), addon_side.get(name, 0)]
        for name in sorted(set(twin_side) | set(addon_side))
        if twin_side.get(name, 0) != addon_side.get(name, 0)
    }
    return result


def main():
    args = parse_args()
    with common.environment(args.database, args.addons_path) as env:
        invoices = issue_invoices(env, args)
        content, by_reference, by_policy = bank_file(env, args)
        finance = finance_user(env)
        env.cr.commit()
        print(
            f"{invoices} invoices issued; file of {args.rows} receipts: "
            f"{by_reference} by reference, {by_policy} by policy number"
        )
        sql, sql_result = twin(env, content)
        fair, fair_snapshot, fair_result = fair_twin(env, content, finance, args)
        floor = odoo_floor(env, content) if args.odoo_floor else None
        query_log = QueryLog() if args.query_log else None
        addon, addon_snapshot, addon_result = import_as_finance(
            env, content, finance, query_log, args.trace_memory
        )
    rows = args.rows
    if query_log:
        query_log.write(args.query_log, rows)
    comparison = compare(fair_result, fair_snapshot, addon_result, addon_snapshot)
    for name, verdict in comparison.items():
        print(f"end state {name}: {verdict}")
    results = {
        "rows": rows,
        "invoices": invoices,
        "addon": addon.report(rows=rows, **addon_result),
        "sql": sql.report(rows=rows, **sql_result),
        "fair_twin": fair.report(rows=rows, **fair_result),
        "end_states_compared": comparison,
        "not_in_the_fair_twin": receipt_twin.NOT_WRITTEN,
    }
    if floor:
        results["odoo_statement_line_create"] = floor[0].report(rows=rows, **floor[1])
    ratio = addon.seconds / sql.seconds
    fair_ratio = addon.seconds / fair.seconds
    equal = all(
        verdict == "equal"
        for name, verdict in comparison.items()
        if not name.startswith("side rows")
    )
    python_peak = (
        f"peak {addon.python_peak_mib} MiB (Python), " if args.trace_memory else ""
    )
    summary = (
        "| work | addon | COPY + matching SQL | ratio | fair twin (same state "
        "changes in SQL) | ratio | end states | target |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| {rows}-row bank receipt import | {addon.seconds:.1f} s "
        f"({addon_result['cpu_seconds']:.1f} s CPU), "
        f"{addon.query_count} queries, {rows / addon.seconds:.0f} rows/s, "
        f"{python_peak}{common.maxrss_mib()} MiB RSS | "
        f"{sql.seconds:.2f} s, {rows / sql.seconds:.0f} rows/s | {ratio:.0f}x | "
        f"{fair.seconds:.2f} s, {fair_result['statements']} statements, "
        f"{rows / fair.seconds:.0f} rows/s | {fair_ratio:.1f}x | "
        f"{'equal' if equal else 'differ: see JSON'} | 5x |"
    )
    if floor:
        summary += (
            f"\n\nOdoo's own create of the same statement lines (no matching, "
            f"rolled back): {floor[0].seconds:.1f} s "
            f"({floor[1]['cpu_seconds']:.1f} s CPU), "
            f"{floor[0].seconds / fair.seconds:.1f}x the fair twin; the import is "
            f"{addon.seconds / floor[0].seconds:.2f}x it."
        )
    print(summary)
    output = args.output or os.path.join(
        common.REPO, "benchmarks", "results", f"{args.database}_receipt_import.json"
    )
    common.write_results(output, results, summary)


if __name__ == "__main__":
    main()
