from odoo import api, fields, models
from odoo.fields import Domain

from ..lib import schedule

# Who may see a customer's renewal situation.
RENEWAL_GROUPS = "sales_team.group_sale_salesman,account.group_account_invoice"
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
    renewal_segment_ids = fields.Many2many(
        "insurance.customer.segment",
        string="Renewal Segments",
        compute="_compute_renewal_segment_ids",
        search="_search_renewal_segment_ids",
        help="How this customer pays their premiums; use it to target a campaign.",
    )

    def _compute_renewal_segment_ids(self):
        segments = self.env["insurance.customer.segment"].search([])
        members = {segment: segment._partner_ids(self.ids) for segment in segments}
        for partner in self:
            partner.renewal_segment_ids = segments.filtered(
                lambda segment, p=partner: p.id in members[segment]
            )

    def _search_renewal_segment_ids(self, operator, value):
        if operator not in ("in", "not in", "any", "not any"):
            return NotImplemented
        segments = self.env["insurance.customer.segment"]
        if operator in ("any", "not any"):
            segments = segments.search(value)
        else:
            segments = segments.browse(value)
        partner_ids = list(segments._partner_ids())
        return [("id", "not in" if "not" in operator else "in", partner_ids)]

    # The customer overview: one screen of everything the customer owes
    overview_policy_ids = fields.Many2many(
        "insurance.policy",
        string="Policies as Holder or Payer",
        compute="_compute_renewal_overview",
    )
    overview_line_ids = fields.Many2many(
        "insurance.premium.line",
        string="Premiums Due and Overdue",
        compute="_compute_renewal_overview",
    )
    overview_case_ids = fields.Many2many(
        "crm.lead", string="Open Renewal Cases", compute="_compute_renewal_overview"
    )
    overview_activity_ids = fields.Many2many(
        "insurance.renewal.activity",
        string="Last Contacts",
        compute="_compute_renewal_overview",
    )
    overview_currency_id = fields.Many2one(
        "res.currency", compute="_compute_renewal_overview"
    )
    overview_amount_due = fields.Monetary(
        string="Coming Due",
        currency_field="overview_currency_id",
        compute="_compute_renewal_overview",
    )
    overview_amount_overdue = fields.Monetary(
        string="Overdue",
        currency_field="overview_currency_id",
        compute="_compute_renewal_overview",
    )

    def _compute_renewal_overview(self):
        """Premiums overdue (in grace or suspended) and coming due (due today or
        within the case window)."""
        today = self.env["insurance.policy"]._clock_today()
        window_end = self.env["crm.lead"]._renewal_window_end(today)
        for partner in self:
            policies = partner._renewal_overview_policies()
            lines = policies.premium_line_ids.filtered(
                lambda line: (
                    line.state in (schedule.DUE, schedule.GRACE, schedule.LAPSED)
                    or (line.state == schedule.PLANNED and line.due_date <= window_end)
                )
            )
            overdue = lines.filtered(
                lambda line: line.state in (schedule.GRACE, schedule.LAPSED)
            )
            partner.overview_policy_ids = policies
            partner.overview_line_ids = lines.sorted("due_date")
            partner.overview_case_ids = policies.renewal_lead_ids.filtered(
                lambda lead: lead.active and lead.won_status == "pending"
            )
            partner.overview_activity_ids = self.env[
                "insurance.renewal.activity"
            ].search([("policy_id", "in", policies.ids)], limit=10)
            partner.overview_currency_id = (
                policies.currency_id[:1] or self.env.company.currency_id
            )
            partner.overview_amount_overdue = sum(overdue.mapped("amount_residual"))
            partner.overview_amount_due = sum(
                (lines - overdue).mapped("amount_residual")
            )

    def _renewal_overview_policies(self):
        """Policies the customer (or a contact of the same company) holds or pays."""
        self.ensure_one()
        family = Domain("commercial_partner_id", "=", self.commercial_partner_id.id)
        return self.env["insurance.policy"].search(
            Domain("partner_id", "any", family) | Domain("payer_id", "any", family)
        )

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

    def action_open_renewal_overview(self):
        """Everything the customer owes on their policies, in one screen."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Overview"),
            "res_model": "res.partner",
            "res_id": self.commercial_partner_id.id,
            "view_mode": "form",
            "views": [
                (
                    self.env.ref("insurance_renewal.res_partner_view_form_overview").id,
                    "form",
                )
            ],
        }

    def action_view_insurance_policies(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_policy_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
