from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import is_html_empty
from odoo.tools import mail as tools_mail
from odoo.tools.misc import get_lang

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

    def _insurance_notify_assigned(self):
        """Odoo's ``action_notify`` for a batch of to-dos created with
        ``mail_activity_quick_update``: each assignee gets the same "assigned to
        you" message and email, but what ``message_notify`` looks up once per
        to-do (the author, the reply-to address, the alias domain and company of
        the record) is looked up once per model, and the messages are created in
        one batch. A batch of policies entering grace fires hundreds of them.
        Team members are notified as mail_activity_team does."""
        to_notify = self.filtered(
            lambda activity: (
                activity.res_model
                and activity.user_id
                and activity.user_id != self.env.user
            )
        )
        for model, activities in to_notify.grouped("res_model").items():
            activities._insurance_notify_assigned_on(self.env[model])
        self.action_notify_team()

    def _insurance_notify_assigned_on(self, model):
        """See ``_insurance_notify_assigned``: the to-dos of ``self``, all on
        records of ``model``."""
        records = model.browse(self.mapped("res_id"))
        author_id, email_from = records._message_compute_author(None, None)
        reply_to = records._notify_get_reply_to(default=email_from, author_id=author_id)
        alias_domains = records._mail_get_alias_domains(
            default_company=self.env.company
        )
        companies = records._mail_get_companies(default=self.env.company)
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        pending = []
        for activity in self:
            message, notify, lang_env = activity._insurance_assigned_message(model)
            record = model.browse(activity.res_id)
            message.update(
                author_id=author_id,
                email_from=email_from,
                subtype_id=subtype_id,
                record_alias_domain_id=alias_domains[record.id].id,
                record_company_id=companies[record.id].id,
                reply_to=reply_to[record.id],
            )
            message.update(record._process_attachments_for_post([], [], message))
            pending.append((record.with_env(lang_env), message, notify))
        created = records._message_create([message for _r, message, _n in pending])
        gather, emails = self.env["mail.thread"]._insurance_gather_emails()
        # each message's recipients, read for all of them at once
        gather["insurance_known_recipients"] = self.env[
            "mail.followers"
        ]._insurance_known_recipients(records, self.user_id.partner_id.ids, subtype_id)
        for new_message, (record, message, notify) in zip(
            created, pending, strict=True
        ):
            # the message was just created without tracked values: Odoo's
            # rendering of its email would search them, one query each
            record.with_context(**gather)._fallback_lang()._notify_thread(
                new_message, {**message, "tracking_value_ids": []}, **notify
            )
        self.env["mail.thread"]._insurance_create_emails(emails)

    def _insurance_assigned_message(self, model):
        """The message values and notification options of Odoo's
        ``action_notify`` (and ``message_notify``) for this to-do, and the
        environment in its assignee's language: the body in that language, the
        subject and subtitles in the language of whoever created the to-do, as
        Odoo's own code does."""
        activity = self
        if activity.user_id.lang:
            activity = activity.with_context(lang=activity.user_id.lang)
        env = activity.env
        model_description = env["ir.model"]._get(model._name).display_name
        body = env["ir.qweb"]._render(
            "mail.message_activity_assigned",
            {
                "activity": activity,
                "model_description": model_description,
                "is_html_empty": is_html_empty,
            },
            minimal_qcontext=True,
        )
        message = {
            "model": model._name,
            "res_id": activity.res_id,
            "body": body,
            "is_internal": True,
            "message_type": "user_notification",
            "subject": self.env._(
                '"%(activity_name)s: %(summary)s" assigned to you',
                activity_name=activity.res_name,
                summary=activity.summary or activity.activity_type_id.name or "",
            ),
            "message_id": tools_mail.generate_tracking_message_id("message-notify"),
            "partner_ids": activity.user_id.partner_id.ids,
            "email_add_signature": True,
            "email_layout_xmlid": "mail.mail_notification_layout",
        }
        notify = {
            "model_description": model_description,
            "subtitles": [
                self.env._(
                    "Activity: %s",
                    activity.activity_type_id.name or self.env._("Todo"),
                ),
                self.env._(
                    "Deadline: %s",
                    activity.date_deadline.strftime(get_lang(env).date_format),
                ),
            ],
            "notify_author_mention": True,
        }
        return message, notify, env

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
