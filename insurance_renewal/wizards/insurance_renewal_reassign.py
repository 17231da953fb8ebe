from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..models.crm_lead import OPEN_CASE


class InsuranceRenewalReassign(models.TransientModel):
    _name = "insurance.renewal.reassign"
    _description = "Reassign a Renewal Portfolio"

    mode = fields.Selection(
        [
            ("specialist", "All work of a renewal specialist"),
            ("orphan", "Orphan policies of a departed agent"),
        ],
        required=True,
        default="specialist",
    )
    from_user_id = fields.Many2one(
        "res.users",
        string="From",
        required=True,
        context={"active_test": False},
        help="The specialist whose work moves, or the agent who left.",
    )
    to_specialist_id = fields.Many2one(
        "res.users",
        string="New Renewal Specialist",
        domain=lambda self: (
            "[('share', '=', False), ('company_ids', 'in', allowed_company_ids), "
            "('all_group_ids', 'in', %s)]"
            % self.env.ref("insurance_renewal.group_insurance_renewal_user").id
        ),
    )
    to_agent_id = fields.Many2one(
        "res.users",
        string="New Agent",
        domain="[('share', '=', False), ('company_ids', 'in', allowed_company_ids)]",
        help="Takes over the orphan policies.",
    )
    policy_count = fields.Integer(compute="_compute_counts")
    case_count = fields.Integer(compute="_compute_counts")

    def _policy_domain(self):
        field = "specialist_id" if self.mode == "specialist" else "user_id"
        return Domain(field, "=", self.from_user_id.id) & Domain(
            "state", "not in", ("surrendered", "terminated")
        )

    @api.depends("mode", "from_user_id")
    def _compute_counts(self):
        """Live on screen: the counts follow the choices before anything moves."""
        for wizard in self:
            policies = self.env["insurance.policy"].search(wizard._policy_domain())
            wizard.policy_count = len(policies)
            wizard.case_count = len(wizard._open_cases(policies))

    def _open_cases(self, policies):
        domain = OPEN_CASE & Domain("insurance_policy_id", "in", policies.ids)
        if self.mode == "specialist":
            domain |= (
                OPEN_CASE
                & Domain("user_id", "=", self.from_user_id.id)
                & Domain("insurance_policy_id", "!=", False)
            )
        return self.env["crm.lead"].search(domain)

    def _check_can_take_over(self, policies):
        """The new specialist must work renewals in every company of the
        portfolio, and the new agent be an employee of them."""
        specialist_group = "insurance_renewal.group_insurance_renewal_user"
        for user, label in (
            (self.to_specialist_id, self.env._("specialist")),
            (self.to_agent_id, self.env._("agent")),
        ):
            if not user:
                continue
            missing = policies.company_id - user.company_ids
            if user.share or missing:
                raise UserError(
                    self.env._(
                        "%(user)s cannot take over as %(role)s: they do not work for "
                        "%(companies)s.",
                        user=user.name,
                        role=label,
                        companies=", ".join(missing.mapped("name")) or "-",
                    )
                )
        if self.to_specialist_id and not self.to_specialist_id.has_group(
            specialist_group
        ):
            raise UserError(
                self.env._(
                    "%(user)s is not a renewal specialist.",
                    user=self.to_specialist_id.name,
                )
            )

    def action_reassign(self):
        self.ensure_one()
        if not (self.to_specialist_id or self.to_agent_id):
            raise UserError(
                self.env._(
                    "Choose who takes over: a new specialist, a new agent, or both."
                )
            )
        policies = self.env["insurance.policy"].search(self._policy_domain())
        self._check_can_take_over(policies)
        cases = self._open_cases(policies)
        policy_vals = {}
        if self.to_specialist_id:
            policy_vals["specialist_id"] = self.to_specialist_id.id
            cases.write({"user_id": self.to_specialist_id.id})
        if self.to_agent_id and self.mode == "orphan":
            policy_vals["user_id"] = self.to_agent_id.id
        policies.write(policy_vals)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(policies)s policies and %(cases)s open cases reassigned.",
                    policies=len(policies),
                    cases=len(cases),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
