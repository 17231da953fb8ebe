import itertools
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_normalize

from ..lib import policy_files, tabular

# What the import records of its own progress, never a caller: a file with bad rows
# set "Checked" without them would be imported in part.
PROGRESS_FIELDS = frozenset(
    {
        "state",
        "row_count",
        "error_row_count",
        "error_ids",
        "processed_rows",
        "last_row",
        "created_count",
        "updated_count",
        "unchanged_count",
    }
)
# what the form sends back when a new file is chosen (to be checked again): harmless
RESET_VALUES = {"state": "draft", "row_count": 0, "error_row_count": 0}

# Files with more rows are imported by a scheduled action, in committed batches
# of this many rows, rather than within the upload request (the parameter is the
# bank imports' one: one setting for every import).
IMPORT_BATCH = 2000
IMPORT_BATCH_PARAM = "insurance_renewal.import_batch_rows"
# Schedule fields an import may not change on an active policy: they go through a
# renewal manager's correction.
BASIS_FIELDS = (
    ("product_id", "product_code"),
    ("issue_date", "issue_date"),
    ("payment_frequency", "frequency"),
    ("premium_amount", "premium"),
    ("premium_years", "premium_years"),
)
# Policy fields the extract keeps up to date on every import.
REPORTED_FIELDS = (
    "partner_id",
    "insured_id",
    "payer_id",
    "user_id",
    "payment_method",
    "cash_value",
    "loan_balance",
    "cash_value_date",
    "apl_opt_in",
)
TEMPLATES = {
    "policies": "/insurance_renewal/static/templates/renewal_extract_template.xlsx",
    "claims": "/insurance_renewal/static/templates/claims_template.csv",
    "events": "/insurance_renewal/static/templates/policy_changes_template.csv",
}


class InsuranceDataImport(models.Model):
    """A file of the policy administration system: the renewal extract, claims or
    policy changes. It is checked whole before anything is written; every bad row
    is listed with its column and reason. Importing it again changes nothing."""

    _name = "insurance.data.import"
    _description = "Renewal Data Import"
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="File Name")
    kind = fields.Selection(
        [
            (policy_files.POLICIES, "Renewal Extract (Policies)"),
            (policy_files.CLAIMS, "Claims"),
            (policy_files.EVENTS, "Policy Changes"),
        ],
        string="File Kind",
        required=True,
        default=policy_files.POLICIES,
    )
    data_file = fields.Binary(string="File", attachment=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda s: s.env.company
    )
    state = fields.Selection(
        [
            ("draft", "To Check"),
            ("checked", "Checked"),
            ("importing", "Importing"),
            ("done", "Imported"),
        ],
        required=True,
        default="draft",
        readonly=True,
    )
    row_count = fields.Integer(string="Rows", readonly=True)
    error_row_count = fields.Integer(string="Bad Rows", readonly=True)
    valid_row_count = fields.Integer(
        string="Good Rows", compute="_compute_valid_row_count"
    )
    error_ids = fields.One2many(
        "insurance.data.import.error", "import_id", string="Errors", readonly=True
    )
    import_valid_only = fields.Boolean(
        string="Import Only the Good Rows",
        help="Import the good rows of a file that has bad ones; the bad rows stay "
        "listed here, to correct and import again.",
    )
    processed_rows = fields.Integer(string="Rows Done", readonly=True)
    last_row = fields.Integer(
        readonly=True, help="Row of the file the import has reached."
    )
    progress = fields.Float(compute="_compute_progress")
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    unchanged_count = fields.Integer(string="Unchanged", readonly=True)
    template_url = fields.Char(compute="_compute_template_url")

    @api.depends("row_count", "error_row_count")
    def _compute_valid_row_count(self):
        for data_import in self:
            data_import.valid_row_count = (
                data_import.row_count - data_import.error_row_count
            )

    @api.depends("processed_rows", "valid_row_count")
    def _compute_progress(self):
        for data_import in self:
            total = data_import.valid_row_count or 1
            data_import.progress = min(100, 100 * data_import.processed_rows / total)

    @api.depends("kind")
    def _compute_template_url(self):
        for data_import in self:
            data_import.template_url = TEMPLATES[data_import.kind]

    @api.onchange("data_file", "kind")
    def _onchange_file(self):
        self.update(
            {
                "state": "draft",
                "row_count": 0,
                "error_row_count": 0,
                "error_ids": [fields.Command.clear()],
            }
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_progress_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_progress_fields(vals)
        if {"data_file", "kind"} & vals.keys():
            if self.filtered(lambda d: d.state in ("importing", "done")):
                raise UserError(
                    self.env._(
                        "An imported file cannot be replaced: start a new import."
                    )
                )
            # a file checked before is no longer the one to import
            vals = {**vals, "state": "draft", "row_count": 0, "error_row_count": 0}
            self._drop_faults()
        return super().write(vals)

    def _check_progress_fields(self, vals):
        if self.env.su:
            return
        # the form's reset with a new file (or back to To Check): to check again
        resetting = (
            vals.get("state") == "draft" or {"data_file", "kind"} & vals.keys()
        ) and not self.filtered(lambda d: d.state in ("importing", "done"))
        for fname in PROGRESS_FIELDS & vals.keys():
            value = vals[fname]
            if fname == "error_ids":
                harmless = all(command[0] == fields.Command.CLEAR for command in value)
            else:
                harmless = RESET_VALUES.get(fname, object()) == value
            if not (resetting and harmless):
                raise AccessError(
                    self.env._(
                        "The status and progress of an import are recorded by the "
                        "import itself, never by hand (%(field)s).",
                        field=self._fields[fname].get_description(self.env)["string"],
                    )
                )

    def _drop_faults(self):
        """Forget the faults of the last check, as the import alone may: the
        import skips the rows they name, trusting the check for what a row says
        of itself (``_check_batch``). As superuser, after checking that the
        caller may change this import."""
        self.check_access("write")
        self.error_ids.sudo().unlink()

    def _write_progress(self, vals):
        """Record the import's own progress. As superuser, after checking that the
        caller may change this import (its record rules), since the fields are
        closed to callers (``_check_progress_fields``)."""
        self.check_access("write")
        return self.sudo().write(vals)

    # Actions ------------------------------------------------------------------

    def action_check(self):
        """Read every row and list every fault, writing nothing else."""
        self.ensure_one()
        self._check_state("draft", "checked")
        if not self.with_context(bin_size=True).data_file:
            raise UserError(self.env._("Choose the file to import first."))
        self._drop_faults()
        errors, count = [], 0
        seen = set()
        for batch in self._batches(self._read_rows()):
            count += len(batch)
            errors += self._check_batch(batch, seen)
        bad_rows = {error[0] for error in errors}
        self._write_progress(
            {
                "state": "checked",
                "row_count": count,
                "error_row_count": len(bad_rows),
                "error_ids": [
                    fields.Command.create(vals) for vals in self._error_vals(errors)
                ],
            }
        )
        return True

    def action_import(self):
        """Import the checked file: at once when small, else in committed batches
        by the scheduled action, which shows its progress here."""
        self.ensure_one()
        self._check_state("checked")
        if self.error_row_count and not self.import_valid_only:
            raise UserError(
                self.env._(
                    "%(count)s rows of %(file)s are wrong: nothing was imported. "
                    "Correct the file and check it again, or tick Import Only the "
                    "Good Rows.",
                    count=self.error_row_count,
                    file=self.name,
                )
            )
        self._write_progress({"state": "importing"})
        if self.valid_row_count > self._batch_size():
            self._start_batched_import()
            return True
        self._import_pending_rows(commit=False)
        return True

    def action_reset(self):
        """Check the file again, after replacing it or changing its kind."""
        self._check_state("checked")
        self._write_progress({"state": "draft", "error_row_count": 0, "row_count": 0})
        self._drop_faults()
        return True

    def _check_state(self, *states):
        self.check_access("write")
        if self.state not in states:
            raise UserError(
                self.env._(
                    "%(file)s is %(state)s: this step was already done.",
                    file=self.name or "",
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        self.state
                    ],
                )
            )

    # Reading ------------------------------------------------------------------

    def _read_rows(self):
        """The file's rows, streamed; a file without the needed columns is refused
        with every missing column named."""
        content = self._file_content()
        try:
            rows = policy_files.read_rows(content, self.name or "", self.kind)
            first = next(rows, None)
        except tabular.TableError as error:
            raise UserError(self._format_file_errors(error.errors)) from error
        if first is None:
            raise UserError(
                self.env._(
                    "%(file)s has a header but no rows: there is nothing to import.",
                    file=self.name,
                )
            )
        return itertools.chain([first], rows)

    def _file_content(self):
        """The file's bytes, read once from the filestore rather than through the
        field's base64 value, which would hold a second copy of a large file. The
        caller's access to this import was checked by the action that reads it."""
        return self._file_attachment().raw or b""

    def _file_attachment(self):
        """The uploaded file. Dropped once imported: it holds identity and card
        numbers in full, which the import's readers must not download."""
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_field", "=", "data_file"),
                    ("res_id", "=", self.id),
                ],
                limit=1,
            )
        )

    def _batches(self, rows):
        batch_size = self._batch_size()
        while batch := list(itertools.islice(rows, batch_size)):
            yield batch

    def _batch_size(self):
        params = self.env["ir.config_parameter"].sudo()
        return int(params.get_param(IMPORT_BATCH_PARAM, IMPORT_BATCH)) or IMPORT_BATCH

    def _check_batch(self, rows, seen=None, checked=False):
        """Check the rows in place; return their errors. ``seen`` holds the keys of
        the rows before, to find a policy or claim given twice in one file. Rows
        ``checked`` before (the file's check listed their errors) are converted,
        and checked again only against what may have changed in Odoo since."""
        errors = []
        for row in rows:
            errors += policy_files.check_row(row, self.kind, checked)
            if seen is not None and self.kind != policy_files.EVENTS:
                key = policy_files.row_key(row, self.kind)
                if key in seen:
                    column = "policy" if self.kind == "policies" else "claim_number"
                    errors.append((row["row"], column, policy_files.ERR_DUPLICATE, key))
                seen.add(key)
        bad = {error[0] for error in errors}
        errors += getattr(self, f"_check_{self.kind}_in_db")(rows, bad, checked)
        return errors

    def _check_policies_in_db(self, rows, bad, checked=False):
        """What the database says of each row: every row's product, agent and
        email (not again for rows ``checked``: an address does not change in
        Odoo); the schedule of an existing policy only for rows that read
        well."""
        errors = []
        products = self._products(rows)
        agents = self._agents(rows)
        policies = self._policies(rows)
        for row in rows:
            number = row["row"]
            if row["product_code"] and row["product_code"] not in products:
                errors.append((number, "product_code", "product", row["product_code"]))
            if row["agent"] and row["agent"] not in agents:
                errors.append((number, "agent", "agent", row["agent"]))
            email = row["holder_email"]
            if email and not checked and not email_normalize(email):
                errors.append((number, "holder_email", "email", email))
            policy = policies.get(row["policy"])
            if policy and policy.state != "draft" and number not in bad:
                errors += self._basis_errors(row, policy, products)
        return errors

    def _basis_errors(self, row, policy, products):
        """An active policy's schedule is computed from these: the file may not
        change them."""
        file_values = {
            "product_id": products.get(row["product_code"]),
            "issue_date": row["issue_date"],
            "payment_frequency": row["frequency"],
            "premium_amount": float(row["premium"]),
            "premium_years": row["premium_years"],
        }
        return [
            (row["row"], column, "basis", self._basis_text(policy, fname))
            for fname, column in BASIS_FIELDS
            if policy[fname] != file_values[fname]
        ]

    @staticmethod
    def _basis_text(policy, fname):
        if fname == "product_id":
            return policy.product_id.code
        if fname == "payment_frequency":
            return dict(policy._fields[fname]._description_selection(policy.env))[
                policy[fname]
            ]
        return str(policy[fname])

    def _check_claims_in_db(self, rows, bad, checked=False):
        policies = self._policies(rows)
        return [
            (row["row"], "policy", "no_policy", row["policy"])
            for row in rows
            if row["policy"] and row["policy"] not in policies
        ]

    _check_events_in_db = _check_claims_in_db

    def _products(self, rows):
        codes = {row["product_code"] for row in rows}
        products = self.env["insurance.product"].search(
            [("code", "in", list(codes)), ("company_id", "in", [self.company_id.id])]
        )
        return {product.code: product for product in products}

    def _agents(self, rows):
        names = list({row["agent"] for row in rows if row["agent"]})
        if not names:
            return {}
        users = self.env["res.users"].search(
            ["|", ("login", "in", names), ("name", "in", names)]
        )
        found = {user.name: user for user in users}
        found.update({user.login: user for user in users})
        return found

    def _policies(self, rows):
        names = list({row["policy"] for row in rows})
        policies = (
            self.env["insurance.policy"]
            .with_context(active_test=False)
            .search([("name", "in", names), ("company_id", "=", self.company_id.id)])
        )
        return {policy.name: policy for policy in policies}

    # Importing ----------------------------------------------------------------

    def _start_batched_import(self):
        """Have this large file imported batch by batch: by the scheduled action
        here; by queue jobs when ``insurance_renewal_queue`` is installed."""
        self.env.ref("insurance_renewal.ir_cron_import_renewal_data")._trigger()

    def _import_pending_rows(self, commit=True, batches=None):
        """Go on where the last batch stopped; with ``commit``, commit each batch
        (scheduled action) and return False when the action's time is up; with
        ``batches``, stop after that many and return False if rows are left."""
        self.ensure_one()
        bad_rows = set(self.error_ids.mapped("row"))
        rows = (row for row in self._read_rows() if row["row"] > self.last_row)
        cron = self.env["ir.cron"]
        if commit:
            cron._commit_progress(
                remaining=max(self.valid_row_count - self.processed_rows, 0)
            )
        for count, batch in enumerate(self._batches(rows)):
            if batches is not None and count >= batches:
                return False
            errors = self._check_batch(batch, checked=True)
            bad = bad_rows | {error[0] for error in errors}
            good = [row for row in batch if row["row"] not in bad]
            getattr(self, f"_import_{self.kind}")(good)
            self._write_progress(
                {
                    "processed_rows": self.processed_rows + len(good),
                    "last_row": batch[-1]["row"],
                }
            )
            if commit and not cron._commit_progress(len(good)):
                return False
        self._write_progress({"state": "done"})
        self._file_attachment().unlink()
        return True

    @api.model
    def _cron_import_renewal_data(self):
        """Import the large files waiting, batch by batch, as the user who started
        each and for its company."""
        for data_import in self.search(self._batched_import_domain(), order="id"):
            as_importer = data_import.with_user(data_import.create_uid).with_company(
                data_import.company_id
            )
            if not as_importer._import_pending_rows():
                return

    @api.model
    def _batched_import_domain(self):
        """The imports the scheduled action goes on with."""
        return [("state", "=", "importing")]

    def _count(self, created=0, updated=0, unchanged=0):
        self._write_progress(
            {
                "created_count": self.created_count + created,
                "updated_count": self.updated_count + updated,
                "unchanged_count": self.unchanged_count + unchanged,
            }
        )

    def _import_policies(self, rows):
        """Create or update the rows' policies, their people and debit cards."""
        if not rows:
            return
        products = self._products(rows)
        agents = self._agents(rows)
        policies = self._policies(rows)
        people = self.env["insurance.partner.match"]._match(
            rows, policies, self.company_id
        )
        new_vals, updated, unchanged = [], 0, 0
        drafts = self.env["insurance.policy"]
        for row in rows:
            vals = self._policy_vals(row, people, products, agents)
            policy = policies.get(row["policy"])
            if not policy:
                # round-robin at case opening, not the importing user
                new_vals.append({**vals, "specialist_id": False})
                continue
            changed = {
                fname: value
                for fname, value in vals.items()
                if (fname in REPORTED_FIELDS or policy.state == "draft")
                and self._differs(policy, fname, value)
            }
            if changed:
                policy.write(changed)
            if policy.state == "draft":
                drafts |= policy
            if changed or policy.state == "draft":
                updated += 1
            else:
                unchanged += 1
        agent_ids = [vals.pop("user_id", False) for vals in new_vals]
        # the importing user does not follow every policy of the file (as with
        # Odoo's own import); each policy logs its creation
        new = (
            self.env["insurance.policy"]
            .with_context(mail_create_nosubscribe=True)
            .create(new_vals)
            .with_env(self.env)
        )
        self._assign_agents(new, agent_ids)
        # in force in the administration system: in force here too
        (new | drafts).action_activate()
        self._count(created=len(new), updated=updated, unchanged=unchanged)

    @staticmethod
    def _assign_agents(policies, agent_ids):
        """Give the new policies their agents, one write per agent: Odoo makes
        each agent follow their policies in one go, where a creation with the
        agent subscribes (and emails "assigned to you") one policy at a time.
        Nothing to track: the policies were just created."""
        by_agent = defaultdict(list)
        for policy, agent_id in zip(policies, agent_ids, strict=True):
            if agent_id:
                by_agent[agent_id].append(policy.id)
        for agent_id, policy_ids in by_agent.items():
            policies.browse(policy_ids).with_context(
                mail_notrack=True, mail_auto_subscribe_no_notify=True
            ).write({"user_id": agent_id})

    @staticmethod
    def _differs(policy, fname, value):
        current = policy[fname]
        if isinstance(current, models.BaseModel):
            return current.id != value
        if policy._fields[fname].type == "monetary":
            return policy.currency_id.compare_amounts(current, value) != 0
        return current != value

    def _policy_vals(self, row, people, products, agents):
        holder, insured, payer = people[row["row"]]
        vals = {
            "name": row["policy"],
            "company_id": self.company_id.id,
            "product_id": products[row["product_code"]].id,
            "partner_id": holder.id,
            "insured_id": insured.id or None,
            "payer_id": payer.id,
            "user_id": agents[row["agent"]].id if row["agent"] else None,
            "issue_date": row["issue_date"],
            "payment_frequency": row["frequency"],
            "premium_amount": float(row["premium"]),
            "premium_years": row["premium_years"],
            "payment_method": row["payment_method"],
            "cash_value": _float(row["cash_value"]),
            "loan_balance": _float(row["loan_balance"]),
            "cash_value_date": row["values_date"],
            "apl_opt_in": row["apl_opt_in"],
        }
        if row["paid_to_date"]:
            vals["paid_to_date"] = row["paid_to_date"]
        return {fname: value for fname, value in vals.items() if value is not None}

    def _import_claims(self, rows):
        """Create the new claims, update those whose status or amount changed, and
        apply the renewal rules of those now approved or paid."""
        policies = self._policies(rows)
        # The caller may import (access rights checked on this record): claims
        # are reported facts nobody types, hence written as superuser.
        Claim = self.env["insurance.claim"].sudo()
        existing = {
            claim.name: claim
            for claim in Claim.search(
                [
                    ("name", "in", [row["claim_number"] for row in rows]),
                    ("company_id", "=", self.company_id.id),
                ]
            )
        }
        touched = Claim
        new_vals, updated, unchanged = [], 0, 0
        for row in rows:
            vals = {
                "name": row["claim_number"],
                "policy_id": policies[row["policy"]].id,
                "claim_date": row["claim_date"],
                "claim_type": row["claim_type"],
                "amount": _float(row["amount"]) or 0.0,
                "state": row["status"],
                "waiver_of_premium": row["waiver"],
            }
            claim = existing.get(row["claim_number"])
            if not claim:
                new_vals.append(vals)
                continue
            changed = {
                key: value
                for key, value in vals.items()
                if self._differs(claim, key, value)
            }
            if changed:
                claim.write(changed)
                touched |= claim
                updated += 1
            else:
                unchanged += 1
        new = Claim.create(new_vals)
        (new | touched)._apply_rules()
        self._count(created=len(new), updated=updated, unchanged=unchanged)

    def _import_events(self, rows):
        policies = self._policies(rows)
        keys = {policy_files.row_key(row, self.kind): row for row in rows}
        # Reported facts nobody types: written as superuser once the caller's
        # right to import was checked.
        Event = self.env["insurance.policy.event"].sudo()
        known = set(
            Event.search(
                [
                    ("import_key", "in", list(keys)),
                    ("company_id", "=", self.company_id.id),
                ]
            ).mapped("import_key")
        )
        new = Event.create(
            [
                {
                    "policy_id": policies[row["policy"]].id,
                    "event_date": row["event_date"],
                    "event_type": row["event_type"],
                    "description": row["description"],
                    "import_key": key,
                }
                for key, row in keys.items()
                if key not in known
            ]
        )
        self._count(created=len(new), unchanged=len(rows) - len(new))

    # Messages -----------------------------------------------------------------

    def _error_vals(self, errors):
        labels = self._column_labels()
        return [
            {
                "row": row,
                "field": labels.get(field, field),
                "message": self._error_message(code, value),
            }
            for row, field, code, value in sorted(errors, key=lambda e: e[0])
        ]

    def _format_file_errors(self, errors):
        labels = self._column_labels()
        lines = [
            self.env._("%(file)s cannot be imported:", file=self.name or ""),
        ]
        for row, field, code, value in errors:
            text = self._error_message(code, value)
            if field:
                text = self.env._(
                    "row %(row)s, %(column)s: %(text)s",
                    row=row,
                    column=labels.get(field, field),
                    text=text,
                )
            lines.append(text)
        return "\n".join(lines)

    def _error_message(self, code, value):
        texts = {
            tabular.ERR_EMPTY: self.env._("the file is empty."),
            tabular.ERR_UNREADABLE: self.env._(
                "the file is neither a CSV nor an XLSX file we can read."
            ),
            tabular.ERR_MISSING_COLUMN: self.env._(
                "the column is missing (see the template for its header)."
            ),
            tabular.ERR_COLUMNS: self.env._(
                "the row has %(value)s columns, more than its header: an amount such "
                "as 1,234.50 must be quoted in a CSV file."
            ),
            tabular.ERR_REQUIRED: self.env._("the value is missing."),
            tabular.ERR_DATE: self.env._(
                "%(value)s is not a date (write 2025-01-31 or 2025年1月31日)."
            ),
            tabular.ERR_AMOUNT: self.env._(
                "%(value)s is not an amount (write 1234.50 or 1,234.50, at most two "
                "decimals)."
            ),
            policy_files.ERR_NOT_POSITIVE: self.env._(
                "%(value)s: the premium must be greater than zero."
            ),
            policy_files.ERR_NEGATIVE: self.env._("%(value)s cannot be negative."),
            policy_files.ERR_FREQUENCY: self.env._(
                "%(value)s is not a payment frequency (年交, 半年交, 季交, 月交, 趸交)."
            ),
            policy_files.ERR_METHOD: self.env._(
                "%(value)s is not a payment method (银行代扣, 网银, 柜面, 其他)."
            ),
            policy_files.ERR_YES_NO: self.env._("%(value)s is neither 是 nor 否."),
            policy_files.ERR_YEARS: self.env._(
                "%(value)s is not a number of years between 1 and 100."
            ),
            policy_files.ERR_DATE_ORDER: self.env._(
                "%(value)s is before the issue date."
            ),
            policy_files.ERR_ID_NUMBER: self.env._(
                "%(value)s is not a valid resident identity number (18 characters "
                "and a matching check digit)."
            ),
            policy_files.ERR_CARD: self.env._(
                "%(value)s is not a valid bank card number (16 to 19 digits, Luhn "
                "check)."
            ),
            policy_files.ERR_PHONE: self.env._(
                "%(value)s is not a valid phone number."
            ),
            policy_files.ERR_CLAIM_TYPE: self.env._(
                "%(value)s is not a claim type (身故, 全残, 重疾, 医疗, 其他)."
            ),
            policy_files.ERR_STATUS: self.env._(
                "%(value)s is not a claim status (报案, 已结案, 已赔付, 拒赔)."
            ),
            policy_files.ERR_EVENT_TYPE: self.env._(
                "%(value)s is not a kind of policy change (联系方式变更, 地址变更, "
                "银行账户变更, 缴费人变更, 受益人变更, 其他)."
            ),
            policy_files.ERR_DUPLICATE: self.env._(
                "%(value)s is given twice in this file: only the first row counts."
            ),
            "product": self.env._(
                "no insurance product has the code %(value)s in this company."
            ),
            "agent": self.env._("no user has the login or name %(value)s."),
            "email": self.env._("%(value)s is not a valid email address."),
            "basis": self.env._(
                "differs from the active policy (%(value)s in Odoo): its schedule is "
                "computed from it, so a renewal manager corrects it by hand."
            ),
            "no_policy": self.env._("no policy %(value)s in this company."),
        }
        return texts[code] % {"value": value}

    def _column_labels(self):
        return {
            "": "",
            "policy": self.env._("Policy Number"),
            "product_code": self.env._("Product Code"),
            "holder_name": self.env._("Policyholder"),
            "holder_id": self.env._("Policyholder ID Number"),
            "holder_phone": self.env._("Policyholder Phone"),
            "holder_email": self.env._("Email"),
            "holder_address": self.env._("Address"),
            "insured_name": self.env._("Insured"),
            "insured_id": self.env._("Insured ID Number"),
            "payer_name": self.env._("Payer"),
            "payer_id": self.env._("Payer ID Number"),
            "payer_phone": self.env._("Payer Phone"),
            "bank_name": self.env._("Bank"),
            "card_number": self.env._("Card Number"),
            "agent": self.env._("Agent"),
            "issue_date": self.env._("Issue Date"),
            "frequency": self.env._("Payment Frequency"),
            "premium": self.env._("Premium"),
            "premium_years": self.env._("Premium Years"),
            "paid_to_date": self.env._("Paid-to Date"),
            "payment_method": self.env._("Payment Method"),
            "cash_value": self.env._("Cash Value"),
            "loan_balance": self.env._("Loan Balance"),
            "values_date": self.env._("Values Reported On"),
            "apl_opt_in": self.env._("APL Opt-in"),
            "claim_number": self.env._("Claim Number"),
            "claim_date": self.env._("Claim Date"),
            "claim_type": self.env._("Claim Type"),
            "amount": self.env._("Amount"),
            "status": self.env._("Status"),
            "waiver": self.env._("Waiver of Premium"),
            "event_date": self.env._("Change Date"),
            "event_type": self.env._("Change Type"),
            "description": self.env._("Description"),
        }


def _float(amount):
    return None if amount is None else float(amount)
