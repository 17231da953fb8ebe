from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib import identity
from .res_partner import MASKED_DATA_GROUPS


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    # Odoo's own tracking would keep the full card number in mail.tracking.value:
    # changes are logged masked on the holder instead (_log_acc_number_change).
    acc_number = fields.Char(tracking=False)
    acc_number_masked = fields.Char(
        string="Account Number (masked)",
        compute="_compute_acc_number_masked",
        store=True,
        groups=MASKED_DATA_GROUPS,
    )

    @api.depends("acc_number")
    def _compute_acc_number_masked(self):
        for account in self:
            account.acc_number_masked = identity.mask_card(account.acc_number)

    @api.constrains("acc_number", "partner_id")
    def _check_premium_debit_card(self):
        """The bank card of a payer who pays premiums by auto-debit must be a
        Chinese bank card number: 16 to 19 digits with a valid Luhn check digit."""
        debit_payers = self._premium_debit_payers()
        for account in self.filtered(lambda a: a.partner_id in debit_payers):
            error = identity.card_error(account.acc_number)
            if error:
                raise ValidationError(account._card_error_message(error))

    def _premium_debit_payers(self):
        return (
            self.env["insurance.policy"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("payer_id", "in", self.partner_id.ids),
                    ("payment_method", "=", "bank_debit"),
                ]
            )
            .payer_id
        )

    def _card_error_message(self, error):
        messages = {
            "format": self.env._(
                "The bank card number %(number)s of %(partner)s, who pays premiums by "
                "auto-debit, must contain digits only."
            ),
            "length": self.env._(
                "The bank card number %(number)s of %(partner)s, who pays premiums by "
                "auto-debit, must have 16 to 19 digits."
            ),
            "checksum": self.env._(
                "The check digit of the bank card number %(number)s of %(partner)s is "
                "wrong (Luhn check): a digit was probably mistyped."
            ),
        }
        return messages[error] % {
            "number": identity.mask_card(self.acc_number),
            "partner": self.partner_id.display_name,
        }

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        accounts.partner_id._insurance_track_bank_accounts()
        return accounts

    def write(self, vals):
        if not {"acc_number", "partner_id"} & vals.keys():
            return super().write(vals)
        partners = self.partner_id
        before = {account: account.sudo().acc_number_masked for account in self}
        result = super().write(vals)
        for account in self:
            old, new = before[account], account.sudo().acc_number_masked
            if old != new:
                account.partner_id._insurance_track_bank_accounts(
                    body=Markup("<p>%s</p>")
                    % self.env._(
                        "Bank account number changed: %(old)s → %(new)s",
                        old=old,
                        new=new,
                    )
                )
        (partners | self.partner_id)._insurance_track_bank_accounts()
        return result

    def unlink(self):
        partners = self.partner_id
        result = super().unlink()
        partners._insurance_track_bank_accounts()
        return result
