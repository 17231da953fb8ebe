from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from ..lib import identity
from .res_partner import MASKED_DATA_GROUPS

# The columns that hold the full account number.
NUMBER_FIELDS = ("acc_number", "sanitized_acc_number")


class ResPartnerBank(models.Model):
    _name = "res.partner.bank"
    _inherit = ["res.partner.bank", "insurance.card.number.mixin"]
    _insurance_card_fields = NUMBER_FIELDS

    # Odoo's own tracking would keep the full card number in mail.tracking.value:
    # changes are tracked masked on the holder instead (its Bank Accounts).
    acc_number = fields.Char(tracking=False)
    acc_number_masked = fields.Char(
        string="Account Number (masked)",
        compute="_compute_acc_number_masked",
        store=True,
        groups=MASKED_DATA_GROUPS,
    )

    acc_number_display = fields.Char(
        string="Bank Account Number",
        compute="_compute_acc_number_display",
        inverse="_inverse_acc_number_display",
        help="The account number, masked unless you belong to Personal Data. Type a "
        "new number in full to change it.",
    )

    @api.depends("acc_number")
    def _compute_acc_number_masked(self):
        for account in self:
            account.acc_number_masked = identity.mask_card(account.acc_number)

    def _numbers_hidden(self):
        """The accounts of ``self`` whose number the current user sees masked:
        customers' accounts, to everyone outside Personal Data; the companies'
        own accounts stay readable (invoices print them)."""
        if not self._insurance_cards_masked():
            return self.browse()
        companies = self._company_partners()
        return self.filtered(lambda account: account.partner_id not in companies)

    def _company_partners(self):
        return self.env["res.company"].sudo().search([]).partner_id

    def _insurance_cards_hidden(self):
        return self._numbers_hidden()

    @api.model
    def _insurance_mask(self, number):
        """Renewal, finance, underwriting and compliance users see a customer's
        card with its first and last four digits; anyone else (sales, customer
        service) sees none of its digits."""
        if self.env.user.has_groups(MASKED_DATA_GROUPS):
            return identity.mask_card(number)
        return identity.MASK * len(identity.compact_card(number) or number)

    @api.model
    def _insurance_card_like_domain(self, condition):
        """A partial number typed in a search or a dropdown matches the masked
        number of a customer's account (the digits this user sees), and the full
        number of a company's own account."""
        company = Domain("partner_id", "in", self._company_partners().ids)
        if not self.env.user.has_groups(MASKED_DATA_GROUPS):
            return company & condition  # no digit of a customer's card shown
        masked = condition.operator, condition.value
        # sudo: the masked number is what this user sees anyway; their own
        # access to the accounts is applied by the search this domain joins
        matches = self.sudo()._search([("acc_number_masked", *masked)])
        return Domain("id", "in", matches) | (company & condition)

    @api.depends_context("uid")
    @api.depends("acc_number")
    def _compute_acc_number_display(self):
        hidden = self._numbers_hidden()
        for account in self:
            account.acc_number_display = (
                self._insurance_mask(account.acc_number)
                if account in hidden
                else account.acc_number
            )

    def _inverse_acc_number_display(self):
        for account in self:
            number = account.acc_number_display
            if number and identity.MASK not in number and number != account.acc_number:
                account.acc_number = number

    @api.depends_context("uid")
    def _compute_display_name(self):
        """Odoo's screens (the partner's bank tags, payments, the chatter) name
        an account by this: masked as the number itself."""
        result = super()._compute_display_name()
        for account in self._numbers_hidden().filtered("acc_number"):
            account.display_name = account.display_name.replace(
                account.acc_number, self._insurance_mask(account.acc_number)
            )
        return result

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
        for vals in vals_list:
            # typed in Odoo's form by a user who sees numbers masked
            if vals.get("acc_number_display") and not vals.get("acc_number"):
                vals["acc_number"] = vals.pop("acc_number_display")
        self._insurance_known_numbers(vals.get("acc_number") for vals in vals_list)
        # Odoo's account logs "Bank Account created" on each holder, one
        # message at a time: gathered and created at once here.
        gathering, pending = self.env["res.partner"]._insurance_gather_logs()
        creating = self.with_env(gathering.env).with_context(
            insurance_no_archived_copy=self._insurance_no_archived_copy(vals_list)
        )
        accounts = super(ResPartnerBank, creating).create(vals_list)
        self.env["res.partner"]._insurance_create_logs(pending)
        accounts = accounts.with_env(self.env)
        accounts.partner_id._insurance_track_bank_accounts()
        return accounts

    def _insurance_no_archived_copy(self, vals_list):
        """The (holder, number) pairs of ``vals_list`` without an archived
        account, found in one search. Odoo's account then looks for an archived
        copy of each new account again, one search each (a renewal import
        creates thousands of cards): ``search`` answers those from this set.
        Empty when one has an archived copy: Odoo's own check then refuses it."""
        pairs = {
            (vals["partner_id"], vals["acc_number"])
            for vals in vals_list
            if vals.get("partner_id") and vals.get("acc_number")
        }
        if len(pairs) < 2:
            return frozenset()
        archived = self.search(
            [
                ("active", "=", False),
                ("partner_id", "in", list({partner for partner, _n in pairs})),
                ("acc_number", "in", list({number for _p, number in pairs})),
            ]
        )
        found = {(account.partner_id.id, account.acc_number) for account in archived}
        return frozenset() if found & pairs else frozenset(pairs)

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        """See ``_insurance_no_archived_copy``: Odoo's search for the archived
        copy of an account being created, already made for the whole batch."""
        known = self.env.context.get("insurance_no_archived_copy")
        plain = not (offset or limit or order)
        if known and plain and _archived_copy_pair(domain) in known:
            return self.browse()
        return super().search(domain, offset=offset, limit=limit, order=order)

    def write(self, vals):
        if not {"acc_number", "partner_id"} & vals.keys():
            return super().write(vals)
        partners = self.partner_id
        result = super().write(vals)
        (partners | self.partner_id)._insurance_track_bank_accounts()
        return result

    def unlink(self):
        partners = self.partner_id
        result = super().unlink()
        partners._insurance_track_bank_accounts()
        return result


def _archived_copy_pair(domain):
    """The (holder, number) that Odoo's account searches an archived copy of
    when it creates an account (``[("active", "=", False), ("partner_id", "=",
    holder), ("acc_number", "=", number)]``), or None for any other domain."""
    if not isinstance(domain, (list, tuple)) or len(domain) != 3:
        return None
    conditions = {
        item[0]: item[2]
        for item in domain
        if isinstance(item, (list, tuple)) and len(item) == 3 and item[1] == "="
    }
    if conditions.keys() != {"active", "partner_id", "acc_number"}:
        return None
    if conditions["active"] is not False:
        return None
    return conditions["partner_id"], conditions["acc_number"]
