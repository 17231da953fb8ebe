import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain

MATCH_RULES = [
    ("reference", "Payment Reference"),
    ("policy", "Policy Number in Memo"),
    ("payer_amount", "Payer and Amount"),
    ("manual", "By Hand"),
]
# The matching states of a receipt left for finance in the suspense queue.
SUSPENSE_STATES = ("ambiguous", "one_candidate", "unmatched")


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

    def unlink(self):
        # receipts deleted from the suspense queue leave their file's to-do
        bank_files = self.insurance_file_id
        result = super().unlink()
        bank_files._insurance_finance_todo_later()
        return result

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
        self.insurance_file_id._insurance_finance_todo_later()
        return True

    def _insurance_check_finance_access(self):
        """Refuse unless the current user is finance and sees this receipt in a
        company it works for, and the receipt waits in the suspense queue (or
        was taken out of it as no premium): what allows the suspense queue's
        actions to write bank entries as superuser. The company's other bank
        lines are the accountants' to reconcile."""
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
        if self.insurance_match_state not in (*SUSPENSE_STATES, "not_premium"):
            raise AccessError(
                self.env._(
                    "%(line)s is not a premium receipt of the suspense queue: "
                    "an accountant reconciles it.",
                    line=self.payment_ref or self.display_name,
                )
            )

    @staticmethod
    def _insurance_queue_state(candidates):
        if len(candidates) > 1:
            return "ambiguous"
        return "one_candidate" if candidates else "unmatched"

    @api.model
    def _insurance_suspense_domain(self):
        """The receipts waiting in the suspense queue for finance: matched to no
        single premium invoice, not reconciled by hand, not taken out as no
        premium (the queue's default filter and the bank file's count)."""
        return Domain("insurance_match_state", "in", SUSPENSE_STATES) & Domain(
            "is_reconciled", "=", False
        )

    @api.model
    def _insurance_receipts_reconciled(self, moves):
        """Journal entries ``moves`` were just reconciled (the suspense queue's
        form, or Odoo's own reconciliation): the bank files whose receipts in
        the suspense queue they are bring their Finance to-do up to date when
        the transaction is flushed. (A receipt whose counterpart left the
        suspense account stays reconciled for Odoo, even when that
        reconciliation is undone.) As superuser: a search by the entries' ids
        only, whoever reconciled."""
        if not moves:
            return
        receipts = self.sudo().search(
            [
                ("move_id", "in", moves.ids),
                ("insurance_file_id", "!=", False),
                ("insurance_match_state", "in", SUSPENSE_STATES),
            ]
        )
        receipts.insurance_file_id._insurance_finance_todo_later()

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
        vals = self._insurance_payer_flag_vals(
            policy, self.partner_name, self.account_number
        )
        if vals:
            self.write(vals)

    @api.model
    def _insurance_payer_flag_vals(self, policy, payer_name, payer_account):
        """The compliance flag of a receipt from ``payer_name`` or
        ``payer_account`` paying ``policy``: empty when it comes from the payer
        or the holder, by name or by bank account."""
        people = policy.payer_id | policy.partner_id
        names = {_clean(name) for name in people.mapped("name")}
        accounts = {_clean(acc) for acc in people.bank_ids.mapped("acc_number")}
        by_account = payer_account and _clean(payer_account) in accounts
        by_name = payer_name and _clean(payer_name) in names
        if not (payer_account or payer_name) or by_account or by_name:
            return {}
        return {
            "insurance_compliance_flag": True,
            "insurance_compliance_reason": self.env._(
                "Paid by %(payer)s, who is neither the payer nor the holder "
                "of policy %(policy)s.",
                payer=payer_name or payer_account,
                policy=", ".join(policy.mapped("name")),
            ),
        }


def _clean(text):
    return re.sub(r"\s", "", text or "").upper()
