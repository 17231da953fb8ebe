from odoo import api, models


class AccountBankingMandate(models.Model):
    _inherit = "account.banking.mandate"

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
