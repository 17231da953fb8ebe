from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize

from ..lib import contact, identity

# Who may see a customer's renewal situation.
RENEWAL_GROUPS = "sales_team.group_sale_salesman,account.group_account_invoice"
# Who sees identity and bank card numbers in full, and who sees them masked.
PERSONAL_DATA_GROUP = "insurance_renewal.group_insurance_renewal_personal_data"
MASKED_DATA_GROUPS = (
    "insurance_renewal.group_insurance_renewal_user,account.group_account_invoice"
)
# From the most to the least troubling: the partner shows the worst of its policies.
RENEWAL_STATUS_BY_POLICY_STATE = {
    "lapsed": "lapsed",
    "grace": "grace",
    "in_force": "ok",
    "paid_up": "ok",
    "surrendered": "closed",
    "terminated": "closed",
}
RENEWAL_STATUS_RANK = ["lapsed", "grace", "ok", "closed"]


class ResPartner(models.Model):
    _inherit = "res.partner"

    insurance_policy_ids = fields.One2many(
        "insurance.policy",
        "partner_id",
        string="Insurance Policies",
        groups=RENEWAL_GROUPS,
    )
    renewal_preferred_channel = fields.Selection(
        [("email", "Email"), ("sms", "SMS")],
        string="Preferred Reminder Channel",
        help="Renewal reminders by email or SMS go through this channel instead.",
    )
    insurance_policy_count = fields.Integer(
        string="Policies",
        compute="_compute_insurance_policy_count",
        groups=RENEWAL_GROUPS,
    )
    renewal_status = fields.Selection(
        [
            ("lapsed", "Policy suspended"),
            ("grace", "Premium in grace period"),
            ("ok", "Premiums up to date"),
            ("closed", "No policy in force"),
        ],
        compute="_compute_renewal_status",
        store=True,
        groups=RENEWAL_GROUPS,
        help="The most urgent renewal state among the policies this customer holds.",
    )

    renewal_lead_id = fields.Many2one(
        "crm.lead",
        string="Open Renewal Case",
        compute="_compute_renewal_contact",
        groups=RENEWAL_GROUPS,
    )
    renewal_last_activity_id = fields.Many2one(
        "insurance.renewal.activity",
        string="Last Renewal Contact",
        compute="_compute_renewal_contact",
        groups=RENEWAL_GROUPS,
    )

    identity_number = fields.Char(
        string="Resident Identity Number",
        groups=PERSONAL_DATA_GROUP,
        copy=False,
        index="btree_not_null",
        help="居民身份证号: 18 characters, the last one a check digit or X.",
    )
    identity_number_masked = fields.Char(
        string="Resident Identity Number (masked)",
        compute="_compute_identity_number_masked",
        store=True,
        groups=MASKED_DATA_GROUPS,
        help="The resident identity number with all but its first three and last "
        "four characters hidden.",
    )

    phone_invalid = fields.Boolean(
        string="Invalid Phone",
        readonly=True,
        copy=False,
        help="The phone number as typed is not a valid number: it was kept as it is "
        "and needs repairing.",
    )
    email_invalid = fields.Boolean(
        string="Invalid Email",
        compute="_compute_email_invalid",
        store=True,
        help="The email address is not a valid address.",
    )

    @api.depends("email")
    def _compute_email_invalid(self):
        for partner in self:
            partner.email_invalid = bool(partner.email) and not email_normalize(
                partner.email
            )

    @api.depends("identity_number")
    def _compute_identity_number_masked(self):
        for partner in self:
            partner.identity_number_masked = identity.mask(partner.identity_number)

    def _compute_renewal_contact(self):
        cases = self.env["crm.lead"].search(
            [
                ("partner_id", "in", self.ids),
                ("insurance_policy_id", "!=", False),
                ("won_status", "=", "pending"),
            ],
            order="renewal_risk_score desc",
        )
        contacts = self.env["insurance.renewal.activity"].search(
            [("partner_id", "in", self.ids)], order="date desc"
        )
        for partner in self:
            partner.renewal_lead_id = cases.filtered(
                lambda lead, p=partner: lead.partner_id == p
            )[:1]
            partner.renewal_last_activity_id = contacts.filtered(
                lambda act, p=partner: act.partner_id == p
            )[:1]

    def _compute_insurance_policy_count(self):
        counts = dict(
            self.env["insurance.policy"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.insurance_policy_count = counts.get(partner, 0)

    @api.depends("insurance_policy_ids.state")
    def _compute_renewal_status(self):
        for partner in self:
            statuses = {
                RENEWAL_STATUS_BY_POLICY_STATE.get(state)
                for state in partner.insurance_policy_ids.mapped("state")
            }
            partner.renewal_status = next(
                (status for status in RENEWAL_STATUS_RANK if status in statuses),
                False,
            )

    @api.constrains("identity_number")
    def _check_identity_number(self):
        for partner in self.filtered("identity_number"):
            error = identity.ric_error(partner.identity_number)
            if error:
                raise ValidationError(
                    partner._identity_number_error(error, partner.identity_number)
                )

    def _identity_number_error(self, error, number):
        messages = {
            "length": self.env._(
                "The resident identity number %(number)s of %(partner)s does not "
                "have 18 characters: check that no digit is missing or extra."
            ),
            "format": self.env._(
                "The resident identity number %(number)s of %(partner)s must be 17 "
                "digits followed by a digit or X."
            ),
            "checksum": self.env._(
                "The check digit of the resident identity number %(number)s of "
                "%(partner)s is wrong: a character was probably mistyped."
            ),
            "component": self.env._(
                "The resident identity number %(number)s of %(partner)s holds no "
                "valid birth date: check the 7th to 14th digits."
            ),
        }
        return messages[error] % {
            "number": identity.mask(number),
            "partner": self.display_name,
        }

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalise_identity_vals(vals)
            if "phone" in vals:
                vals.update(self._phone_vals(vals["phone"], self._phone_region(vals)))
        return super().create(vals_list)

    def write(self, vals):
        self._normalise_identity_vals(vals)
        before = {}
        if "identity_number" in vals:
            before = {p: p.sudo().identity_number_masked for p in self}
        result = True
        for partners, partner_vals in self._split_phone_write(vals):
            result = super(ResPartner, partners).write(partner_vals) and result
        if before:
            self._log_identity_number_change(before)
        return result

    def _split_phone_write(self, vals):
        """A phone is read in its customer's country: write it once per country,
        in E.164 where it is valid, as typed and flagged where it is not."""
        if "phone" not in vals:
            return [(self, vals)]
        by_region = defaultdict(self.browse)
        for partner in self:
            by_region[partner._phone_region(vals)] |= partner
        return [
            (partners, {**vals, **self._phone_vals(vals["phone"], region)})
            for region, partners in by_region.items()
        ]

    def _phone_region(self, vals):
        """The customer's country, else the company's, else China."""
        country = self.country_id
        if vals.get("country_id"):
            country = self.env["res.country"].browse(vals["country_id"])
        country = country or self.env.company.country_id
        return country.code or contact.DEFAULT_REGION

    @api.model
    def _phone_vals(self, phone, region):
        number = contact.e164(phone, region)
        return {"phone": number or phone, "phone_invalid": bool(phone) and not number}

    @api.model
    def _normalise_identity_vals(self, vals):
        if vals.get("identity_number"):
            vals["identity_number"] = identity.compact_ric(vals["identity_number"])

    def _log_identity_number_change(self, before):
        """Track the change in the chatter with both values masked: Odoo's own
        tracking would keep the full number in mail.tracking.value."""
        for partner in self:
            old, new = before[partner], partner.sudo().identity_number_masked
            if old != new:
                partner._message_log(
                    body=Markup("<p>%s</p>")
                    % self.env._(
                        "Resident identity number changed: %(old)s → %(new)s",
                        old=old or self.env._("(none)"),
                        new=new or self.env._("(none)"),
                    )
                )

    def action_view_insurance_policies(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_policy_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
