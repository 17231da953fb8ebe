import base64

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, format_amount, format_date

from ..lib import bank_files
from .insurance_assignment_rule import text_html

# A refused file names its first errors only: enough to act on, small to show.
MAX_ERRORS = 100
# Files with more rows are imported by a scheduled action, in committed batches
# of this many rows, rather than within the upload request.
IMPORT_BATCH = 2000
IMPORT_BATCH_PARAM = "insurance_renewal.import_batch_rows"
# The receipts a file's Finance to-do names one by one; the suspense queue has all.
TODO_LISTED = 10
# Where the files whose to-do follows a change wait, in the transaction, for the flush.
TODO_PENDING_KEY = "insurance_renewal.bank_file_todo"
# What a file is and how far its import went: written by the import alone (as
# superuser, after its checks), never by hand, not even by finance over RPC.
IMPORT_FIELDS = frozenset(
    {
        "name",
        "kind",
        "checksum",
        "company_id",
        "journal_id",
        "statement_id",
        "row_count",
        "state",
        "imported_rows",
        "data",
        "skipped_count",
    }
)


class InsuranceBankFile(models.Model):
    """One imported bank file: premium receipts or auto-debit results. It remembers
    the file's fingerprint, so the same file is never imported twice. Its
    receipts left in the suspense queue are one to-do for the Finance team, on
    the file."""

    _name = "insurance.bank.file"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Imported Bank File"
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="File Name", required=True, readonly=True)
    kind = fields.Selection(
        [("receipts", "Premium Receipts"), ("debit_results", "Auto-debit Results")],
        required=True,
        readonly=True,
    )
    checksum = fields.Char(required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda s: s.env.company
    )
    journal_id = fields.Many2one(
        "account.journal", string="Bank Journal", readonly=True, check_company=True
    )
    statement_id = fields.Many2one(
        "account.bank.statement",
        string="Bank Statement",
        readonly=True,
        check_company=True,
    )
    statement_line_ids = fields.One2many(
        "account.bank.statement.line", "insurance_file_id", string="Receipts"
    )
    debit_result_ids = fields.One2many(
        "insurance.debit.result", "file_id", string="Debit Results"
    )
    row_count = fields.Integer(string="Rows", readonly=True)
    state = fields.Selection(
        [("importing", "Importing"), ("done", "Imported")],
        required=True,
        default="done",
        readonly=True,
        help="A large file is imported in batches by a scheduled action; each batch "
        "is committed, so a crash loses nothing and a rerun imports nothing twice.",
    )
    imported_rows = fields.Integer(string="Rows Imported", readonly=True)
    # the bank's file as it came: payers' card numbers in full, for finance only
    data = fields.Binary(
        string="File Content",
        attachment=True,
        readonly=True,
        groups="account.group_account_invoice",
    )
    skipped_count = fields.Integer(
        string="Rows Already Imported",
        readonly=True,
        help="Rows of this file found in an earlier file and not imported again.",
    )
    matched_count = fields.Integer(compute="_compute_counts")
    suspense_count = fields.Integer(compute="_compute_counts")

    _checksum_unique = models.Constraint(
        "UNIQUE(kind, checksum, company_id)",
        "This file has already been imported.",
    )

    @api.depends(
        "statement_line_ids.insurance_match_state", "statement_line_ids.is_reconciled"
    )
    def _compute_counts(self):
        """Counted in the database: a file has thousands of receipts."""
        StLine = self.env["account.bank.statement.line"]
        of_files = Domain("insurance_file_id", "in", self.ids)
        matched = dict(
            StLine._read_group(
                of_files & Domain("insurance_match_state", "=", "matched"),
                ["insurance_file_id"],
                ["__count"],
            )
        )
        suspense = dict(
            StLine._read_group(
                of_files & StLine._insurance_suspense_domain(),
                ["insurance_file_id"],
                ["__count"],
            )
        )
        for bank_file in self:
            bank_file.matched_count = matched.get(bank_file, 0)
            bank_file.suspense_count = suspense.get(bank_file, 0)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "A bank file is added by Import Bank File, which checks it, "
                    "never by hand."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and IMPORT_FIELDS & vals.keys():
            raise AccessError(
                self.env._(
                    "An imported bank file is kept as the bank gave it and as it "
                    "was imported: import a new file instead."
                )
            )
        return super().write(vals)

    @api.model
    def _import_file(self, kind, content, filename, journal):
        """Import a whole file or nothing of it; return the new bank file record."""
        self._check_journal(journal)
        checksum = bank_files.file_checksum(content)
        self._check_not_imported(kind, checksum, journal.company_id or self.env.company)
        parse = (
            bank_files.parse_receipts
            if kind == "receipts"
            else bank_files.parse_debit_results
        )
        try:
            rows = parse(content, filename)
        except bank_files.BankFileError as error:
            raise UserError(self._format_errors(filename, error.errors)) from error
        if kind == "receipts":
            self._check_currencies(filename, rows, journal)
        company = journal.company_id or self.env.company
        vals = {
            "name": filename,
            "kind": kind,
            "checksum": checksum,
            "company_id": company.id,
            "journal_id": journal.id,
            "row_count": len(rows),
        }
        batch = self._import_batch_size()
        # no "created" message nor follower: the list says who imported it when;
        # as superuser, the checks above passed (see IMPORT_FIELDS)
        files = self.sudo().with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        )
        if len(rows) > batch:
            vals.update(state="importing", data=base64.b64encode(content))
            bank_file = files.create(vals).with_env(self.env)
            bank_file._start_batched_import()
            return bank_file
        bank_file = files.create(vals).with_env(self.env)
        bank_file._import_batch(rows, bank_file._row_keys(rows))
        return bank_file

    @api.model
    def _check_journal(self, journal):
        """The import writes bank statement lines as superuser (see
        ``_import_receipts``): only into a bank journal the user can read, of a
        company the user works for."""
        journal.check_access("read")
        if journal.type != "bank" or journal.company_id not in self.env.companies:
            raise AccessError(
                self.env._(
                    "Import into a bank journal of your own company, not %(journal)s.",
                    journal=journal.display_name,
                )
            )

    @api.model
    def _check_currencies(self, filename, rows, journal):
        """Refuse a file naming a currency Odoo does not know or has not
        activated, or one that is neither the bank journal's nor one the
        company's premiums are billed in: its amounts could not be placed on any
        invoice. Rows without a currency are in the journal's currency."""
        known = self._currencies(rows)
        company = journal.company_id or self.env.company
        placeable = journal.currency_id | company.currency_id
        placeable |= self._premium_currencies(company)
        errors = []
        for row in rows:
            code = (row["currency"] or "").upper()
            if not code:
                continue
            if code not in known:
                errors.append((row["row"], "currency", "currency", row["currency"]))
            elif known[code] not in placeable:
                errors.append(
                    (
                        row["row"],
                        "currency",
                        "currency_unplaceable",
                        self.env._(
                            "%(code)s is neither the currency of %(journal)s nor one "
                            "the premiums are billed in (%(premiums)s)",
                            code=code,
                            journal=journal.display_name,
                            premiums=", ".join(placeable.mapped("name")),
                        ),
                    )
                )
        if errors:
            raise UserError(self._format_errors(filename, errors))

    @api.model
    def _premium_currencies(self, company):
        groups = self.env["insurance.policy"]._read_group(
            [("company_id", "=", company.id)], ["currency_id"]
        )
        return self.env["res.currency"].union(*(currency for (currency,) in groups))

    @api.model
    def _currencies(self, rows):
        codes = {row["currency"].upper() for row in rows if row.get("currency")}
        if not codes:
            return {}
        found = self.env["res.currency"].search([("name", "in", list(codes))])
        return {currency.name: currency for currency in found}

    def _import_batch_size(self):
        params = self.env["ir.config_parameter"].sudo()
        return int(params.get_param(IMPORT_BATCH_PARAM, IMPORT_BATCH)) or IMPORT_BATCH

    def _row_keys(self, rows):
        if self.kind == "receipts":
            return bank_files.row_keys(rows)
        return bank_files.debit_row_keys(rows)

    def _import_batch(self, rows, keys):
        self.ensure_one()
        if self.kind == "receipts":
            self._import_receipts(rows, keys)
        else:
            self.env["insurance.debit.result"]._import_rows(self, rows, keys)
        self._write_progress({"imported_rows": self.imported_rows + len(rows)})

    def _write_progress(self, vals):
        """Record the import's own progress (``IMPORT_FIELDS``), as superuser:
        the import checked the file and the user's rights to import it."""
        self.sudo().write(vals)

    def _start_batched_import(self):
        """Have this large file imported batch by batch after the upload: by the
        scheduled action here; by queue jobs when ``insurance_renewal_queue`` is
        installed."""
        self.env.ref("insurance_renewal.ir_cron_import_bank_files")._trigger()

    @api.model
    def _batched_import_domain(self):
        """The files the scheduled action goes on importing."""
        return [("state", "=", "importing")]

    @api.model
    def _cron_import_bank_files(self):
        """Import the large files waiting, batch by batch, as the user who uploaded
        them and for their company; each batch is committed."""
        for bank_file in self.search(self._batched_import_domain(), order="id"):
            if not bank_file._as_importer()._import_pending_rows():
                return

    def _as_importer(self):
        """This file as the user who uploaded it, in its company and language:
        later batches are imported with the rights the upload was checked with,
        and write what they tell Finance (the suspense queue's to-dos, the
        compliance flags) in the language the upload would have."""
        self.ensure_one()
        importer = self.create_uid
        return (
            self.with_user(importer)
            .with_company(self.company_id)
            .with_context(lang=importer.lang)
        )

    def _parsed_rows(self):
        self.ensure_one()
        parse = (
            bank_files.parse_receipts
            if self.kind == "receipts"
            else bank_files.parse_debit_results
        )
        rows = parse(base64.b64decode(self.data), self.name)
        return rows, self._row_keys(rows)

    def _import_pending_rows(self):
        """Go on with this file where the last batch stopped; return False when the
        scheduled action's time is up."""
        self.ensure_one()
        rows, keys = self._parsed_rows()
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(rows) - self.imported_rows)
        while self.state == "importing":
            done = self._import_next_batch(rows, keys)
            if not cron._commit_progress(done):
                return False
        return True

    def _import_next_batch(self, rows=None, keys=None):
        """Import the batch of rows after the last one imported, and mark the file
        done after its last batch; return how many rows were imported."""
        self.ensure_one()
        if self.state != "importing":
            return 0
        # The file for this batch's transaction: finance working its receipts
        # meanwhile (which rewrites the file, see _insurance_refresh_finance_todo)
        # waits for the batch and is retried on its result, rather than making
        # the batch fail to serialize at its end.
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM insurance_bank_file WHERE id = %s FOR NO KEY UPDATE",
                self.id,
            )
        )
        if rows is None:
            rows, keys = self._parsed_rows()
        start, batch = self.imported_rows, self._import_batch_size()
        self._import_batch(rows[start : start + batch], keys[start : start + batch])
        if self.imported_rows >= len(rows):
            self._write_progress({"state": "done"})
        return self.imported_rows - start

    @api.model
    def _import_base64(self, kind, data, filename, journal):
        return self._import_file(kind, base64.b64decode(data), filename, journal)

    def _check_not_imported(self, kind, checksum, company):
        earlier = self.search(
            [
                ("kind", "=", kind),
                ("checksum", "=", checksum),
                ("company_id", "=", company.id),
            ],
            limit=1,
        )
        if earlier:
            raise UserError(
                self.env._(
                    "This file was already imported on %(date)s as %(name)s: nothing "
                    "was imported again.",
                    date=fields.Datetime.to_string(earlier.create_date),
                    name=earlier.name,
                )
            )

    def _import_receipts(self, rows, keys):
        """Add the new rows as statement lines of the bank journal and match them.

        Billing users may not write bank statements in Odoo: the import, which only
        finance can run (the model's access rights), writes them as superuser into
        the chosen bank journal of the user's own company (the journal field's
        company check), and only reconciles them with open premium invoices."""
        self.ensure_one()
        StLine = self.env["account.bank.statement.line"].sudo()
        known = set(
            StLine.search(
                [
                    ("journal_id", "=", self.journal_id.id),
                    ("insurance_import_key", "in", keys),
                ]
            ).mapped("insurance_import_key")
        )
        new = [
            (row, key) for row, key in zip(rows, keys, strict=True) if key not in known
        ]
        self._write_progress(
            {"skipped_count": self.skipped_count + len(rows) - len(new)}
        )
        if not new:
            return
        if not self.statement_id:
            statement = (
                self.env["account.bank.statement"]
                .sudo()
                .create({"name": self.name, "journal_id": self.journal_id.id})
            )
            self._write_progress({"statement_id": statement.id})
        currencies = self._currencies(rows)
        # As superuser like the lines (see above): the matcher reads the open
        # premium invoices of the journal's company only.
        self.env["insurance.receipt.matcher"].sudo()._create_matched(
            self.journal_id,
            [self._statement_line_vals(row, key, currencies) for row, key in new],
        )
        # The bank's file gives no closing balance: the statement closes on its
        # lines. Odoo set it from the first batch alone when the statement was
        # created; a later batch would leave it "incomplete" for finance.
        statement = self.statement_id.sudo()
        statement.balance_end_real = statement.balance_end
        self._insurance_refresh_finance_todo()

    def _statement_line_vals(self, row, key, currencies):
        """A receipt in another currency than the bank journal's is booked at the
        journal's amount converted at the receipt's date, and keeps its own
        currency and amount for matching against invoices in that currency."""
        vals = self._statement_line_base_vals(row, key)
        currency = currencies.get((row.get("currency") or "").upper())
        journal_currency = self.journal_id.currency_id or self.company_id.currency_id
        if currency and currency != journal_currency:
            vals.update(
                amount=currency._convert(
                    vals["amount"], journal_currency, self.company_id, row["date"]
                ),
                amount_currency=vals["amount"],
                foreign_currency_id=currency.id,
            )
        return vals

    def _statement_line_base_vals(self, row, key):
        return {
            "statement_id": self.statement_id.id,
            "journal_id": self.journal_id.id,
            "date": row["date"],
            "amount": float(row["amount"]),
            "payment_ref": row["reference"] or row["payer_name"] or "/",
            "partner_name": row["payer_name"] or False,
            "account_number": row["payer_account"] or False,
            "insurance_file_id": self.id,
            "insurance_import_key": key,
            "insurance_file_row": row["row"],
        }

    @api.model
    def _format_errors(self, filename, errors):
        messages = [
            self.env._("%(file)s cannot be imported; nothing of it was:", file=filename)
        ]
        for row, field, code, value in errors[:MAX_ERRORS]:
            messages.append(self._format_error(row, field, code, value))
        if len(errors) > MAX_ERRORS:
            messages.append(
                self.env._(
                    "... and %(count)s more errors: correct these first.",
                    count=len(errors) - MAX_ERRORS,
                )
            )
        return "\n".join(messages)

    @api.model
    def _format_error(self, row, field, code, value):
        texts = {
            bank_files.ERR_EMPTY: self.env._("the file is empty."),
            bank_files.ERR_NO_ROWS: self.env._(
                "the file has a header but no rows: there is nothing to import."
            ),
            bank_files.ERR_COLUMNS: self.env._(
                "the row has %(value)s columns, more than its header: an amount "
                "such as 1,234.50 must be quoted in a CSV file.",
                value=value,
            ),
            bank_files.ERR_DATE_RANGE: self.env._(
                "%(value)s is before 1990 or more than a year ahead.", value=value
            ),
            bank_files.ERR_UNREADABLE: self.env._(
                "the file is neither a CSV nor an XLSX file we can read."
            ),
            bank_files.ERR_MISSING_COLUMN: self.env._("the column is missing."),
            bank_files.ERR_REQUIRED: self.env._("the value is missing."),
            bank_files.ERR_DATE: self.env._(
                "%(value)s is not a date (use YYYY-MM-DD).", value=value
            ),
            bank_files.ERR_AMOUNT: self.env._(
                "%(value)s is not an amount (write it as 1234.50 or 1,234.50, at "
                "most two decimals).",
                value=value,
            ),
            bank_files.ERR_NOT_POSITIVE: self.env._(
                "%(value)s: a receipt must be greater than zero.", value=value
            ),
            bank_files.ERR_DEBIT_NOT_POSITIVE: self.env._(
                "%(value)s: a debited amount must be greater than zero.", value=value
            ),
            bank_files.ERR_RESULT: self.env._(
                "%(value)s is neither success nor failure.", value=value
            ),
            bank_files.ERR_REASON: self.env._(
                "%(value)s is not a known failure reason (insufficient_funds, "
                "account_closed, name_mismatch, wrong_card, other).",
                value=value,
            ),
            bank_files.ERR_TARGET: self.env._(
                "give the policy number or the payment reference."
            ),
            "currency": self.env._(
                "%(value)s is not a currency in use here: ask an accountant to "
                "activate it, or convert the file.",
                value=value,
            ),
            "currency_unplaceable": self.env._(
                "%(value)s: convert the file, or import it into a journal in its "
                "currency.",
                value=value,
            ),
            "not_found": self.env._(
                "%(value)s matches no open premium instalment.", value=value
            ),
        }
        if not row:
            return texts[code]
        if not field:
            return self.env._("Row %(row)s: %(text)s", row=row, text=texts[code])
        return self.env._(
            "Row %(row)s, %(field)s: %(text)s", row=row, field=field, text=texts[code]
        )

    def action_view_statement_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_receipt_action"
        )
        action["domain"] = [("insurance_file_id", "=", self.id)]
        action["context"] = {"search_default_matched": 1}
        return action

    def action_view_unmatched_receipts(self):
        """The suspense queue, on this file's receipts waiting there."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_receipt_action"
        )
        StLine = self.env["account.bank.statement.line"]
        action["name"] = self.env._("Unmatched Receipts of %(file)s", file=self.name)
        action["domain"] = list(
            Domain("insurance_file_id", "=", self.id)
            & StLine._insurance_suspense_domain()
        )
        action["context"] = {}
        return action

    def _insurance_finance_todo_later(self):
        """Receipts of these files entered or left the suspense queue by hand:
        their Finance to-dos follow once, when the transaction is flushed."""
        if not self:
            return
        data = self.env.cr.precommit.data
        pending = data.get(TODO_PENDING_KEY)
        if pending is None:
            pending = data[TODO_PENDING_KEY] = set()
            self.env.cr.precommit.add(self._insurance_refresh_pending_todos)
        pending.update(self.ids)

    def _insurance_refresh_pending_todos(self):
        ids = self.env.cr.precommit.data.pop(TODO_PENDING_KEY, set())
        self.browse(ids)._insurance_refresh_finance_todo()

    def _insurance_refresh_finance_todo(self):
        """Hand the receipts of these files left in the suspense queue to the
        Finance team: one to-do per file, created by the batch that leaves the
        first one there, its note (how many, their total, the first of them)
        brought up to date by each later batch and each receipt worked by
        hand, and marked done when the last one leaves the queue.

        As superuser: the callers (the import, the suspense queue's actions, a
        reconciliation) checked the user's rights to the receipts; the file's
        to-do is the addon's bookkeeping, which the user may not write."""
        files = self.sudo().exists()
        if not files:
            return
        rules = self.env["insurance.assignment.rule"]
        # two transactions working receipts of one file count them in turn
        rules._mark_fired_for_other_workers(files)
        StLine = self.env["account.bank.statement.line"].sudo()
        waiting = StLine._insurance_suspense_domain()
        totals = {
            bank_file.id: (count, amount)
            for bank_file, count, amount in StLine._read_group(
                Domain("insurance_file_id", "in", files.ids) & waiting,
                ["insurance_file_id"],
                ["__count", "amount:sum"],
            )
        }
        open_todos = rules._open_team_activities(files, "receipt_unmatched")
        todos = open_todos.grouped("res_id")
        notes, done = {}, open_todos.browse()
        for bank_file in files:
            count, amount = totals.get(bank_file.id, (0, 0.0))
            todo = todos.get(bank_file.id, open_todos.browse())
            if not count:
                done |= todo
                continue
            note = bank_file._insurance_unmatched_note(count, amount, waiting)
            if not todo:
                notes[bank_file.id] = note
            elif todo.note != text_html(note):
                todo.note = text_html(note)
        if notes:
            rules._fire("receipt_unmatched", files.browse(notes), note=notes)
        if done:
            done.action_feedback(
                feedback=self.env._(
                    "Every receipt of this file left the suspense queue."
                )
            )

    def _insurance_unmatched_note(self, count, amount, waiting):
        """What the Finance team reads on the file's to-do, in the language of
        whoever uploaded the file (as each batch writes it)."""
        self.ensure_one()
        bank_file = self.with_context(lang=self.create_uid.lang or self.env.lang)
        env = bank_file.env
        currency = self.journal_id.currency_id or self.company_id.currency_id
        first = (
            self.env["account.bank.statement.line"]
            .sudo()
            .search(
                Domain("insurance_file_id", "=", self.id) & waiting,
                order="insurance_file_row, id",
                limit=TODO_LISTED,
            )
        )
        text = [
            env._(
                "Receipts of this bank file that match no single premium invoice: "
                "%(count)s, %(total)s in all. Find what they pay under Unmatched "
                "Receipts on the file.",
                count=count,
                total=format_amount(env, amount, currency),
            )
        ]
        text += [
            env._(
                "Row %(row)s: %(amount)s on %(date)s from %(payer)s (%(memo)s)",
                row=line.insurance_file_row,
                amount=format_amount(env, line.amount, line.currency_id),
                date=format_date(env, line.date),
                payer=line.partner_name or line.partner_id.name or "-",
                memo=line.payment_ref or "-",
            )
            for line in first
        ]
        if count > len(first):
            text.append(env._("... and %(count)s more.", count=count - len(first)))
        return "\n".join(text)
