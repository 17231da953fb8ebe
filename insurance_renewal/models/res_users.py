from odoo import api, models

RENEWAL_USER = "insurance_renewal.group_insurance_renewal_user"


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._set_renewal_home_action()
        return users

    def write(self, vals):
        result = super().write(vals)
        if "group_ids" in vals:
            self._set_renewal_home_action()
        return result

    def _set_renewal_home_action(self):
        """A specialist logs in on their renewal cases, unless a home action of
        their own was already chosen."""
        action = self.env.ref("insurance_renewal.crm_lead_renewal_action", False)
        specialists = self.filtered(
            lambda user: not user.action_id and not user.share
        ).filtered(lambda user: user.has_group(RENEWAL_USER))
        if action and specialists:
            specialists.sudo().write({"action_id": action.id})
