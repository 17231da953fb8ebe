from odoo import api, fields, models
from odoo.fields import Domain

from ..lib import schedule


class AccountBankingMandate(models.Model):
    _inherit = "account.banking.mandate"

    @api.model_create_multi
    def create(self, vals_list):
        mandates = super().create(vals_list)
        mandates.filtered(lambda m: m.state == "valid")._debit_again_on_new_account()
        return mandates

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") == "valid" or "partner_bank_id" in vals:
            self.filtered(lambda m: m.state == "valid")._debit_again_on_new_account()
        return result

    def _debit_again_on_new_account(self):
        """A payer signed a mandate, or gave it another account: their premiums
        the bank failed to debit and was not to try again (an account to fix, or
        no retry before the grace end) go into the next debit order."""
        if not self:
            return
        # The caller's right to sign or change these mandates was checked by the
        # write; the instalments' next debit day is the addon's to set.
        lines = (
            self.env["insurance.premium.line"]
            .sudo()
            .search(
                Domain("policy_id.payer_id", "in", self.partner_id.ids)
                & Domain("company_id", "in", self.company_id.ids)
                & Domain("payment_method", "=", "bank_debit")
                & Domain("state", "in", schedule.OPEN_STATES)
                & Domain("policy_id.state", "in", ("in_force", "grace"))
                & Domain("amount_residual", ">", 0)
                & Domain("next_debit_date", "=", False)
                & Domain("debit_result_ids", "any", [("outcome", "=", "failed")])
            )
        )
        if not lines:
            return
        lines.write({"next_debit_date": fields.Date.context_today(self)})
        by_policy = lines.grouped("policy_id")
        for policy, premiums in by_policy.items():
            policy._message_log(
                body=self.env._(
                    "New debit mandate of the payer: %(premiums)s, left undebited "
                    "after a failed debit, go into the next debit order.",
                    premiums=", ".join(premiums.mapped("display_name")),
                )
            )

    @api.model
    def _insurance_valid_mandates(self, company, payers):
        """Return {payer: mandate}: the most recently signed valid mandate of each
        payer for ``company``, on one of the payer's bank accounts."""
        mandates = self.search(
            [
                ("partner_id", "in", payers.ids),
                ("state", "=", "valid"),
                ("company_id", "=", company.id),
                ("partner_bank_id", "!=", False),
            ],
            order="signature_date desc, id desc",
        )
        by_payer = {}
        for mandate in mandates:
            by_payer.setdefault(mandate.partner_id, mandate)
        return by_payer
