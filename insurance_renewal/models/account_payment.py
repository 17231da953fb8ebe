from odoo import models
from odoo.exceptions import UserError
from odoo.tools import format_amount


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def action_post(self):
        """Posting the payout of a servicing request completes it: finance paid
        the holder, and the specialist who asked is told. Posting the refund of a
        reinstatement not granted settles the payments it gives back."""
        self._insurance_check_servicing_payments()
        result = super().action_post()
        # The caller posted these payments (account's own rights checked that);
        # the requests they pay out are the addon's bookkeeping, read as superuser.
        requests = (
            self.env["insurance.servicing.request"]
            .sudo()
            .search([("payment_id", "in", self.ids), ("state", "=", "approved")])
        )
        requests._on_payout_confirmed()
        refunded = (
            self.env["insurance.servicing.request"]
            .sudo()
            .search([("refund_payment_id", "in", self.ids)])
        )
        for request in refunded:
            request._reconcile_refund()
        return result

    def _insurance_check_servicing_payments(self):
        """A servicing request's payout (or refund) is posted as the request
        prepared it: finance checks the draft, it does not send the money to
        someone else, nor more of it, while the request says the holder was
        paid what was asked."""
        # As superuser: the requests are found by these payments' ids only.
        requests = (
            self.env["insurance.servicing.request"]
            .sudo()
            .search(
                [
                    "|",
                    ("payment_id", "in", self.ids),
                    ("refund_payment_id", "in", self.ids),
                ]
            )
        )
        for request in requests:
            policy = request.policy_id
            expected = [
                (request.payment_id, policy.partner_id, request.payout_amount),
                # a refund prepared before its amount was kept: not compared
                (
                    request.refund_payment_id,
                    policy.payer_id,
                    request.refund_amount or None,
                ),
            ]
            for payment, partner, amount in expected:
                if payment not in self:
                    continue
                bank_owner = payment.partner_bank_id.partner_id.commercial_partner_id
                if (
                    payment.partner_id != partner
                    or payment.currency_id != policy.currency_id
                    or payment.payment_type != "outbound"
                    or (bank_owner and bank_owner != partner.commercial_partner_id)
                    or (
                        amount is not None
                        and policy.currency_id.compare_amounts(payment.amount, amount)
                    )
                ):
                    raise UserError(
                        self.env._(
                            "%(payment)s no longer matches %(request)s, which pays "
                            "%(amount)s to %(partner)s: correct the payment before "
                            "posting it.",
                            payment=payment.display_name,
                            request=request.display_name,
                            amount=format_amount(
                                self.env,
                                payment.amount if amount is None else amount,
                                policy.currency_id,
                            ),
                            partner=partner.name,
                        )
                    )
