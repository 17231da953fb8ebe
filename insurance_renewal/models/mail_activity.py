from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def action_feedback_schedule_next(self, feedback=False, attachment_ids=None):
        """A call done on a renewal case offers to log its outcome (reached,
        promised...) before anything else is planned."""
        case = self._renewal_call_case()
        if not case:
            return super().action_feedback_schedule_next(
                feedback=feedback, attachment_ids=attachment_ids
            )
        self.action_feedback(feedback=feedback, attachment_ids=attachment_ids)
        action = case.action_log_renewal_contact()
        action["context"].update(default_channel="phone", default_note=feedback or "")
        return action

    def _action_done(self, feedback=False, attachment_ids=None):
        """Work asked of another team by a servicing request, marked done, moves
        the request on (underwriting accepted, finance paid out)."""
        requests = (
            self.env["insurance.servicing.request"]
            .sudo()
            .search([("team_activity_ids", "in", self.ids)])
        )
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        for request in requests:
            request.with_env(self.env)._on_team_work_done(
                self & request.team_activity_ids
            )
        return result

    def _renewal_call_case(self):
        """Return the renewal case this call activity is about, if it is one."""
        if len(self) != 1 or self.res_model != "crm.lead":
            return self.env["crm.lead"]
        if self.activity_type_id.category != "phonecall":
            return self.env["crm.lead"]
        return self.env["crm.lead"].browse(self.res_id).filtered("insurance_policy_id")
