import re
from collections import defaultdict

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..lib import bank_files

MATCH_RULES = [
    ("reference", "Payment Reference"),
    ("policy", "Policy Number in Memo"),
    ("payer_amount", "Payer and Amount"),
    ("manual", "By Hand"),
]


class AccountBankStatementLine(models.Model):
    _name = "account.bank.statement.line"
    _inherit = ["account.bank.statement.line", "insurance.card.number.mixin"]
    # the payer's card number as the bank's file gave it
    _insurance_card_fields = ("account_number",)

    insurance_file_id = fields.Many2one(
        "insurance.bank.file",
        string="Imported From",
        readonly=True,
        index=True,
        check_company=True,
    )
    insurance_file_row = fields.Integer(string="File Row", readonly=True)
    insurance_import_key = fields.Char(
        readonly=True, index="btree_not_null", copy=False
    )
    insurance_match_state = fields.Selection(
        [
            ("matched", "Matched"),
            ("ambiguous", "Several Candidates"),
            ("one_candidate", "One Candidate to Check"),
            ("unmatched", "No Candidate"),
            ("not_premium", "Not a Premium"),
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
        check_company=True,
    )
    insurance_invoice_id = fields.Many2one(
        "account.move",
        string="Premium Invoice",
        readonly=True,
        check_company=True,
        help="The (oldest) premium invoice this receipt was reconciled with.",
    )
    insurance_not_premium_reason = fields.Char(
        string="Not a Premium Because",
        readonly=True,
        help="Why finance took this receipt out of the suspense queue.",
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
            "context": {"default_st_line_id": self.id},
        }

    def action_insurance_return_to_queue(self):
        """Put receipts marked as no premium back into the suspense queue."""
        for st_line in self:
            st_line._insurance_check_finance_access()
            # Writes only the addon's queue fields, after the check above.
            st_line.sudo().write(
                {
                    "insurance_match_state": st_line._insurance_queue_state(
                        st_line.insurance_candidate_ids
                    ),
                    "insurance_not_premium_reason": False,
                }
            )
        return True

    def _insurance_check_finance_access(self):
        """Refuse unless the current user is finance and sees this receipt in a
        company it works for: what allows the suspense queue's actions to write
        bank entries as superuser."""
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(
                self.env._("Only finance users reconcile premium receipts.")
            )
        self.check_access("read")
        if self.company_id not in self.env.companies:
            raise AccessError(
                self.env._(
                    "Receipt %(line)s belongs to %(company)s, which you do not "
                    "work for.",
                    line=self.payment_ref,
                    company=self.company_id.name,
                )
            )
        if self.is_reconciled:
            raise UserError(
                self.env._(
                    "Receipt %(line)s is already reconciled.", line=self.payment_ref
                )
            )

    @staticmethod
    def _insurance_queue_state(candidates):
        if len(candidates) > 1:
            return "ambiguous"
        return "one_candidate" if candidates else "unmatched"

    def _insurance_match(self):
        """Match receipts with open premium invoices: by payment reference, then by
        the policy number in the memo, then by payer and exact amount. Reconcile
        what matches one invoice; queue the rest with its candidates."""
        index = _MatchIndex(self)
        queued = self.browse()
        for st_line in self:
            rule, invoices = index.candidates(st_line)
            if rule and len(invoices) == 1:
                st_line._insurance_reconcile(invoices, rule)
            else:
                st_line.write(
                    {
                        "insurance_match_state": self._insurance_queue_state(invoices),
                        "insurance_candidate_ids": [fields.Command.set(invoices.ids)],
                    }
                )
                queued |= st_line
        queued._insurance_hand_to_finance()

    def _insurance_hand_to_finance(self):
        """Each receipt left in the suspense queue is work for the Finance team,
        on its journal entry."""
        notes = {
            st_line.move_id.id: self.env._(
                "Receipt of %(amount)s on %(date)s from %(payer)s (%(memo)s) matches "
                "no single premium invoice: find what it pays in the suspense queue.",
                amount=st_line.amount,
                date=st_line.date,
                payer=st_line.partner_name or st_line.partner_id.name or "-",
                memo=st_line.payment_ref or "-",
            )
            for st_line in self
        }
        self.env["insurance.assignment.rule"]._fire(
            "receipt_unmatched", self.move_id, note=notes
        )

    def _insurance_reconcile(self, invoices, rule):
        """Reconcile the receipt with ``invoices``, oldest due first; what it pays
        beyond them stays on the payer's receivable as an outstanding credit."""
        self.ensure_one()
        invoices = invoices.sorted(lambda inv: (inv.invoice_date_due, inv.id))
        payer = invoices[:1].partner_id
        if not self.partner_id:
            self.partner_id = payer
        _liquidity, suspense, _other = self._seek_for_lines()
        for invoice in invoices:
            receivable = invoice.line_ids.filtered(
                lambda aml: (
                    aml.account_type == "asset_receivable" and not aml.reconciled
                )
            )
            suspense.write(
                {"account_id": receivable.account_id.id, "partner_id": payer.id}
            )
            (suspense + receivable).reconcile()
        self.write(
            {
                "insurance_match_state": "matched",
                "insurance_match_rule": rule,
                "insurance_invoice_id": invoices[:1].id,
                "insurance_candidate_ids": [fields.Command.set(invoices.ids)],
            }
        )
        self._insurance_check_payer(invoices.insurance_policy_id)

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
                        policy=", ".join(policy.mapped("name")),
                    ),
                }
            )


def _clean(text):
    return re.sub(r"\s", "", text or "").upper()


class _MatchIndex:
    """Open premium invoices, read once for a batch of receipts of one company.

    References and policy numbers are compared normalised on both sides (case,
    spaces, dashes, full-width characters): see ``bank_files.memo_keys``."""

    def __init__(self, st_lines):
        env = st_lines.env
        company = st_lines.company_id[:1]
        keys = set()
        for st_line in st_lines:
            keys |= bank_files.memo_keys(st_line.payment_ref)
        open_domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("insurance_policy_id", "!=", False),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "=", company.id),
        ]
        Move = env["account.move"]
        self.by_reference = defaultdict(lambda: Move)
        for invoice in Move.search(
            [*open_domain, ("insurance_reference_key", "in", list(keys))]
        ):
            self.by_reference[invoice.insurance_reference_key] |= invoice
        self.policy_by_key = env["insurance.bank.file"]._policies_by_key(company, keys)
        policies = env["insurance.policy"].union(*self.policy_by_key.values())
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
            ],
            order="invoice_date_due, id",
        )

    def candidates(self, st_line):
        """Return (rule, invoices): the rule that found the one invoice to pay, or
        (False, candidates) when none did. Invoices paid by an earlier receipt of
        the batch are no longer candidates."""
        rule, invoices = self._candidates(st_line)
        still_open = invoices.filtered(
            lambda inv: inv.payment_state in ("not_paid", "partial")
        )
        return (rule if still_open == invoices else False), still_open

    def _candidates(self, st_line):
        keys = bank_files.memo_keys(st_line.payment_ref)
        by_reference = st_line.env["account.move"]
        for key in keys:
            by_reference |= self.by_reference.get(key, by_reference.browse())
        by_reference = self._open(by_reference)
        if by_reference:
            return ("reference" if len(by_reference) == 1 else False), by_reference
        policies = {
            self.policy_by_key[key] for key in keys if key in self.policy_by_key
        }
        if policies:
            return self._by_policy(st_line, policies)
        return self._by_payer(st_line)

    def _by_policy(self, st_line, policies):
        """The memo names a policy: pay its oldest open invoice when the receipt
        covers it (a surplus stays on the payer's account), else the one invoice
        of exactly the receipt's amount."""
        invoices = self._open(
            self.open_invoices.filtered(lambda inv: inv.insurance_policy_id in policies)
        )
        if len(policies) > 1 or not invoices:
            return False, invoices
        amount = _amount_in(st_line, invoices[:1])
        currency = invoices[:1].currency_id
        if currency.compare_amounts(amount, invoices[:1].amount_residual) >= 0:
            return "policy", invoices[:1]
        exact = invoices.filtered(
            lambda inv: currency.compare_amounts(inv.amount_residual, amount) == 0
        )
        if len(exact) == 1:
            return "policy", exact
        return False, invoices

    def _by_payer(self, st_line):
        payers = self._payers(st_line)
        invoices = self._open(
            self.open_invoices.filtered(lambda inv: inv.partner_id in payers)
        )
        exact = invoices.filtered(
            lambda inv: (
                inv.currency_id.compare_amounts(
                    inv.amount_residual, _amount_in(st_line, inv)
                )
                == 0
            )
        )
        if len(exact) == 1:
            return "payer_amount", exact
        return False, exact or invoices

    @staticmethod
    def _open(invoices):
        return invoices.filtered(
            lambda inv: inv.payment_state in ("not_paid", "partial")
        ).sorted(lambda inv: (inv.invoice_date_due, inv.id))

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


def _amount_in(st_line, invoice):
    """The receipt's amount in the invoice's currency, at the receipt's date."""
    currency = st_line.foreign_currency_id or st_line.currency_id
    amount = st_line.amount_currency if st_line.foreign_currency_id else st_line.amount
    if currency == invoice.currency_id:
        return amount
    return currency._convert(
        amount, invoice.currency_id, st_line.company_id, st_line.date
    )
