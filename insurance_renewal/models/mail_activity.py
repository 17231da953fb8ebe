from odoo import api, fields, models
from odoo.exceptions import AccessError

from .insurance_assignment_rule import EVENTS


class MailActivity(models.Model):
    _inherit = "mail.activity"

    insurance_event_code = fields.Selection(
        EVENTS,
        string="Renewal Event",
        readonly=True,
        index="btree_not_null",
        help="The event whose assignment rule handed this work to a team.",
    )
    insurance_rule_id = fields.Many2one(
        "insurance.assignment.rule", string="Assignment Rule", readonly=True
    )

    @api.model_create_multi
    def create(self, vals_list):
        """Give each new to-do the team mail_activity_team would compute for it
        (the first team of its user for its model), looked up once per user and
        model rather than one search per to-do: the nightly jobs create them by
        the hundred."""
        if len(vals_list) > 1:
            teams = {}
            vals_list = [dict(vals) for vals in vals_list]
            for vals in vals_list:
                if "team_id" in vals or "team_user_id" in vals:
                    continue
                model_id = vals.get("res_model_id") or (
                    vals.get("res_model")
                    and self.env["ir.model"]._get_id(vals["res_model"])
                )
                if not model_id:
                    continue
                user_id = vals.get("user_id") or self.env.uid
                if (user_id, model_id) not in teams:
                    teams[user_id, model_id] = self._get_default_team_id(
                        user_id, model_id
                    ).id
                # With a team given, mail_activity_team keeps the user only when
                # it comes as the team's user.
                vals["team_id"] = teams[user_id, model_id]
                if vals.get("user_id"):
                    vals["team_user_id"] = vals["user_id"]
        return super().create(vals_list)

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
        """Tell the policy when a team finishes the work a rule handed it, so
        the policy, its case and any servicing request waiting for that work move
        on (underwriting accepted, finance paid out) and the specialist hears
        of it."""
        team_work = [
            (activity, activity.insurance_event_code)
            for activity in self
            if activity.insurance_event_code and activity.active
        ]
        requests = (
            self.env["insurance.servicing.request"]
            .sudo()
            .search([("team_activity_ids", "in", self.ids)])
        )
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        rules = self.env["insurance.assignment.rule"]
        for activity, event_code in team_work:
            # Marking the activity done was allowed (its team, its assignee, or
            # whoever may write the record); what follows is the addon's own
            # bookkeeping on the policy, which the team member may only read.
            record = self.env[activity.res_model].sudo().browse(activity.res_id)
            policy = rules._policy_of(record.exists())
            if policy:
                policy._on_team_activity_done(activity, event_code)
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

    def action_take_team_work(self):
        """A member of the activity's team takes it from the team's queue."""
        for activity in self:
            if self.env.user not in activity.team_id.member_ids:
                raise AccessError(
                    self.env._(
                        "Only a member of team %(team)s can take this activity.",
                        team=activity.team_id.name or "-",
                    )
                )
        self.write({"user_id": self.env.uid})
        return True
