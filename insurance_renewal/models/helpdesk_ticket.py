from odoo import api, fields, models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    insurance_kind = fields.Selection(
        [("complaint", "Complaint"), ("question", "Renewal Question")],
        string="Renewal Ticket",
        tracking=True,
        help="A complaint holds the policy's automatic reminders until it is resolved.",
    )
    insurance_lead_id = fields.Many2one(
        "crm.lead",
        string="Renewal Case",
        domain=[("insurance_policy_id", "!=", False)],
        index="btree_not_null",
        tracking=True,
        check_company=True,
    )
    insurance_policy_id = fields.Many2one(
        "insurance.policy",
        string="Policy",
        compute="_compute_insurance_policy_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        check_company=True,
    )

    @api.depends("insurance_lead_id")
    def _compute_insurance_policy_id(self):
        for ticket in self:
            ticket.insurance_policy_id = (
                ticket.insurance_lead_id.insurance_policy_id
                or ticket.insurance_policy_id
            )

    @api.onchange("insurance_policy_id")
    def _onchange_insurance_policy_id(self):
        if self.insurance_policy_id and not self.partner_id:
            self.partner_id = self.insurance_policy_id.partner_id

    @api.model_create_multi
    def create(self, vals_list):
        policies = self.env["insurance.policy"]
        for vals in vals_list:
            # A ticket about a policy belongs to the policy's company, so that the
            # policy's renewal team sees it, whoever records it.
            if vals.get("insurance_policy_id") and not vals.get("company_id"):
                policy = policies.browse(vals["insurance_policy_id"])
                vals["company_id"] = policy.company_id.id
        tickets = super().create(vals_list)
        tickets._check_insurance_links()
        complaints = tickets._insurance_open_complaints()
        complaints._insurance_log_hold(held=True)
        self.env["insurance.assignment.rule"]._fire("complaint", complaints)
        return tickets

    def write(self, vals):
        before = self._insurance_open_complaints()
        result = super().write(vals)
        if {"insurance_lead_id", "insurance_policy_id", "company_id"} & vals.keys():
            self._check_insurance_links()
        after = self._insurance_open_complaints()
        (after - before)._insurance_log_hold(held=True)
        self.env["insurance.assignment.rule"]._fire("complaint", after - before)
        (before - after)._insurance_log_hold(held=False)
        return result

    def _check_insurance_links(self):
        """A ticket names only a policy its author may read, and a case and policy
        of the ticket's company: an open complaint holds the policy's reminders, and
        anyone with a ticket form could otherwise hold any policy's by its id."""
        if self.env.su:
            return
        # the policy follows the case; customer service reads policies, not cases
        if self.insurance_policy_id:
            self.insurance_policy_id.check_access("read")
        self._check_company(["insurance_policy_id", "insurance_lead_id"])

    def _insurance_open_complaints(self):
        return self.filtered(
            lambda ticket: (
                ticket.insurance_kind == "complaint"
                and ticket.insurance_policy_id
                and not ticket.closed
                and ticket.active
            )
        )

    def _insurance_log_hold(self, held):
        """Say on the policy why its reminders stop, or that they resume."""
        for ticket in self:
            if held:
                body = self.env._(
                    "Complaint %(ticket)s is open: automatic reminders for this "
                    "policy are held until it is resolved.",
                    ticket=ticket.display_name,
                )
            else:
                body = self.env._(
                    "Complaint %(ticket)s is resolved: automatic reminders for "
                    "this policy resume.",
                    ticket=ticket.display_name,
                )
            # A note of the addon on the policy, which customer service reads
            # but may not write.
            ticket.insurance_policy_id.sudo().message_post(
                body=body, subtype_xmlid="mail.mt_note"
            )
