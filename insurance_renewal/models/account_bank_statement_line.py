import re
from collections import defaultdict

from odoo import fields, models

from ..lib import bank_files

MATCH_RULES = [
    ("reference", "Payment Reference"),
    ("policy", "Policy Number in Memo"),
    ("payer_amount", "Payer and Amount"),
    ("manual", "By Hand"),
]
TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-/_.]*[0-9A-Za-z]|[0-9A-Za-z]")


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    insurance_file_id = fields.Many2one(
        "insurance.bank.file", string="Imported From", readonly=True, index=True
    )
    insurance_file_row = fields.Integer(string="File Row", readonly=True)
    insurance_import_key = fields.Char(
        readonly=True, index="btree_not_null", copy=False
    )
    insurance_match_state = fields.Selection(
        [
            ("matched", "Matched"),
            ("ambiguous", "Several Candidates"),
            ("unmatched", "No Candidate"),
        ],
        string="Premium Matching",
        readonly=True,
        index=True,
    )
    insurance_match_rule = fields.Selection(
        MATCH_RULES, string="Matched By", readonly=True
    )
    insurance_candidate_ids = fields.Many2many(
        "account.move",
        "insurance_st_line_candidate_rel",
        "st_line_id",
        "move_id",
        string="Candidate Invoices",
        readonly=True,
    )
    insurance_invoice_id = fields.Many2one(
        "account.move",
        string="Premium Invoice",
        readonly=True,
        help="The premium invoice this receipt was reconciled with.",
    )
    insurance_compliance_flag = fields.Boolean(
        string="Compliance Review",
        readonly=True,
        index=True,
        help="Paid by someone who is neither the policy's payer nor its holder.",
    )
    insurance_compliance_reason = fields.Char(string="Review Reason", readonly=True)

    _insurance_import_key_unique = models.Constraint(
        "UNIQUE(journal_id, insurance_import_key)",
        "This bank receipt has already been imported into this journal.",
    )

    def action_open_insurance_reconcile(self):
        """Open the form in which finance picks the premium invoice a receipt of
        the suspense queue pays."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reconcile Premium Receipt"),
            "res_model": "insurance.receipt.reconcile",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_st_line_id": self.id,
                "default_invoice_id": self.insurance_candidate_ids[:1].id,
            },
        }

    def _insurance_match(self):
        """Match receipts with open premium invoices: by payment reference, then by
        the policy number in the memo, then by payer and exact amount. Reconcile
        what matches one invoice; queue the rest with its candidates."""
        index = _MatchIndex(self)
        for st_line in self:
            rule, invoices = index.candidates(st_line)
            if rule and len(invoices) == 1:
                st_line._insurance_reconcile(invoices, rule)
            else:
                st_line.write(
                    {
                        "insurance_match_state": "ambiguous"
                        if invoices
                        else "unmatched",
                        "insurance_candidate_ids": [fields.Command.set(invoices.ids)],
                    }
                )

    def _insurance_reconcile(self, invoice, rule):
        self.ensure_one()
        receivable = invoice.line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable" and not aml.reconciled
        )
        if not self.partner_id:
            self.partner_id = invoice.partner_id
        _liquidity, suspense, _other = self._seek_for_lines()
        suspense.write(
            {
                "account_id": receivable.account_id.id,
                "partner_id": invoice.partner_id.id,
            }
        )
        (suspense + receivable).reconcile()
        self.write(
            {
                "insurance_match_state": "matched",
                "insurance_match_rule": rule,
                "insurance_invoice_id": invoice.id,
                "insurance_candidate_ids": [fields.Command.set(invoice.ids)],
            }
        )
        self._insurance_check_payer(invoice.insurance_policy_id)

    def _insurance_check_payer(self, policy):
        """Flag a receipt paid by someone who is neither the payer nor the holder
        (DOMAIN.md red flags); the money stays reconciled."""
        people = policy.payer_id | policy.partner_id
        names = {_clean(name) for name in people.mapped("name")}
        accounts = {_clean(acc) for acc in people.bank_ids.mapped("acc_number")}
        by_account = self.account_number and _clean(self.account_number) in accounts
        by_name = self.partner_name and _clean(self.partner_name) in names
        if (self.account_number or self.partner_name) and not (by_account or by_name):
            self.write(
                {
                    "insurance_compliance_flag": True,
                    "insurance_compliance_reason": self.env._(
                        "Paid by %(payer)s, who is neither the payer nor the holder "
                        "of policy %(policy)s.",
                        payer=self.partner_name or self.account_number,
                        policy=policy.name,
                    ),
                }
            )


def _clean(text):
    return re.sub(r"\s", "", text or "").upper()


class _MatchIndex:
    """Open premium invoices, read once for a batch of receipts."""

    def __init__(self, st_lines):
        env = st_lines.env
        tokens = {
            token
            for st_line in st_lines
            for token in TOKEN.findall(st_line.payment_ref or "")
        }
        open_domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("insurance_policy_id", "!=", False),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "in", st_lines.company_id.ids),
        ]
        Move = env["account.move"]
        self.by_reference = defaultdict(lambda: Move)
        for invoice in Move.search(
            [*open_domain, ("payment_reference", "in", list(tokens))]
        ):
            key = bank_files.normalize_reference(invoice.payment_reference)
            self.by_reference[key] |= invoice
        policies = env["insurance.policy"].search([("name", "in", list(tokens))])
        self.policy_by_name = {policy.name: policy for policy in policies}
        names = {st_line.partner_name for st_line in st_lines if st_line.partner_name}
        accounts = {a for a in st_lines.mapped("account_number") if a}
        partners = env["res.partner"].search(
            [
                "|",
                ("name", "in", list(names)),
                ("bank_ids.acc_number", "in", list(accounts)),
            ]
        )
        self.partners = partners
        self.open_invoices = Move.search(
            [
                *open_domain,
                "|",
                ("insurance_policy_id", "in", policies.ids),
                ("partner_id", "in", partners.ids),
            ]
        )

    def candidates(self, st_line):
        """Return (rule, invoices): the rule that found exactly one invoice, or
        (False, candidates) when none did."""
        rule, invoices = self._candidates(st_line)
        still_open = invoices.filtered(
            lambda inv: inv.payment_state in ("not_paid", "partial")
        )
        return (rule if still_open == invoices else False), still_open

    def _candidates(self, st_line):
        tokens = TOKEN.findall(st_line.payment_ref or "")
        by_reference = st_line.env["account.move"]
        for token in tokens:
            by_reference |= self.by_reference.get(
                bank_files.normalize_reference(token), by_reference.browse()
            )
        if by_reference:
            return ("reference" if len(by_reference) == 1 else False), by_reference
        currency = st_line.currency_id
        policies = [self.policy_by_name[t] for t in tokens if t in self.policy_by_name]
        if policies:
            invoices = self.open_invoices.filtered(
                lambda inv: inv.insurance_policy_id in policies
            )
            exact = invoices.filtered(
                lambda inv: (
                    currency.compare_amounts(inv.amount_residual, st_line.amount) == 0
                )
            )
            if len(exact) == 1 or len(invoices) == 1:
                return "policy", exact or invoices
            return False, invoices
        payers = self._payers(st_line)
        exact = self.open_invoices.filtered(
            lambda inv: (
                inv.partner_id in payers
                and currency.compare_amounts(inv.amount_residual, st_line.amount) == 0
            )
        )
        if len(exact) == 1:
            return "payer_amount", exact
        if exact:
            return False, exact
        return False, self.open_invoices.filtered(lambda inv: inv.partner_id in payers)

    def _payers(self, st_line):
        name = _clean(st_line.partner_name)
        account = _clean(st_line.account_number)
        return self.partners.filtered(
            lambda partner: (
                (name and _clean(partner.name) == name)
                or (
                    account
                    and account
                    in {_clean(a) for a in partner.bank_ids.mapped("acc_number")}
                )
            )
        )
