from collections import Counter, defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_date, format_list, is_html_empty
from odoo.tools import mail as tools_mail
from odoo.tools.misc import get_lang

from .insurance_assignment_rule import EVENTS

# The to-dos a digest names one by one, the others counted ("and N more").
DIGEST_NAMED = 20
# Where a digest's reader finds all their to-dos handed over by the addon.
QUEUE_ACTION = "insurance_renewal.mail_activity_team_queue_action"


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

    def unlink(self):
        """A cancelled call or letter to-do: the reminder step was never carried
        out (a done one is archived, not deleted)."""
        self.env["insurance.reminder.log"]._on_todos_closed(self, "cancelled")
        return super().unlink()

    def _insurance_notify_assigned(self):
        """Tell each person once of the to-dos of this batch handed to them: a
        batch (of an import, of the clock, of a bank file) is one unit of work.

        Whoever gets one to-do of the batch gets the notification Odoo gives it
        (``action_notify``'s "assigned to you"; a member of a team that notifies
        its members, mail_activity_team's), made for the batch together; whoever
        gets several gets one digest naming them
        (``_insurance_notify_digest``). Nobody is told of the work they handed
        out themselves."""
        told = self._insurance_told()
        single = self.browse()
        for user, items in told.items():
            if len(items) > 1:
                self._insurance_notify_digest(user, items)
            elif items[0][1]:
                items[0][0]._insurance_notify_team_member(user)
            else:
                single |= items[0][0]
        for model, activities in single.grouped("res_model").items():
            activities._insurance_notify_assigned_on(self.env[model])

    def _insurance_told(self):
        """``{user: [(to-do, team or None)]}``: who is told of which to-dos, as
        Odoo tells the assignee of a to-do (not its creator) and
        mail_activity_team the other members of a team that notifies its
        members (not the assignee, not the creator)."""
        told = defaultdict(list)
        for activity in self.filtered("res_model"):
            user = activity.user_id
            if user and user != self.env.user:
                told[user].append((activity, None))
            team = activity.team_id
            if not team.notify_members:
                continue
            for member in team.member_ids:
                if member not in (user, self.env.user):
                    told[member].append((activity, team))
        return told

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
        body, model_description = activity._insurance_assigned_body()
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

    def _insurance_assigned_body(self):
        """Odoo's "assigned to you" body of this to-do, in the language of its
        environment, and the description of its record's model."""
        model_description = self.env["ir.model"]._get(self.res_model).display_name
        body = self.env["ir.qweb"]._render(
            "mail.message_activity_assigned",
            {
                "activity": self,
                "model_description": model_description,
                "is_html_empty": is_html_empty,
            },
            minimal_qcontext=True,
        )
        return body, model_description

    def _insurance_notify_team_member(self, member):
        """mail_activity_team's ``action_notify_team`` message of this to-do,
        to one member of its team only."""
        activity = self.with_context(lang=member.lang) if member.lang else self
        env = activity.env
        body, model_description = activity._insurance_assigned_body()
        env[activity.res_model].browse(activity.res_id).message_notify(
            partner_ids=member.sudo().partner_id.ids,
            body=body,
            model_description=model_description,
            email_layout_xmlid="mail.mail_notification_layout",
            subject=self.env._(
                "%(activity_name)s: %(summary)s (Team Activity)",
                activity_name=activity.res_name,
                summary=activity.summary or activity.activity_type_id.name,
            ),
            subtitles=[
                self.env._("Activity: %s", activity.activity_type_id.name),
                self.env._("Team: %s", activity.team_id.name),
                self.env._(
                    "Deadline: %s",
                    activity.date_deadline.strftime(get_lang(env).date_format),
                ),
            ],
        )

    @api.model
    def _insurance_notify_digest(self, user, items):
        """One message telling ``user`` of several to-dos of a batch (``items``:
        ``(to-do, team or None)``, the team when told as its member), in their
        language: how many of which kind, the first ``DIGEST_NAMED`` records
        with their links, how many more, and where to find them all. Notified
        as Odoo notifies a user: in their inbox or by email, as they chose."""
        env = self.with_context(lang=user.lang or self.env.lang).env
        activities = self.browse([activity.id for activity, _team in items])
        activities = activities.with_env(env)
        kinds = Counter(activity.activity_type_id.name for activity in activities)
        heading = env._(
            "Dear %(name)s, %(author)s has just assigned you %(count)s to-dos "
            "(%(kinds)s):",
            name=user.name,
            author=env.user.name,
            count=len(items),
            kinds=format_list(
                env,
                [
                    env._("%(kind)s: %(count)s", kind=kind, count=count)
                    for kind, count in kinds.most_common()
                ],
            ),
        )
        ordered = sorted(
            items,
            key=lambda item: (
                item[0].date_deadline,
                item[0].res_name or "",
                item[0].id,
            ),
        )
        lines = [
            self._insurance_digest_line(env, activity, team)
            for activity, team in ordered[:DIGEST_NAMED]
        ]
        body = Markup("<p>%s</p><ul>%s</ul>") % (heading, Markup("").join(lines))
        if len(items) > DIGEST_NAMED:
            body += Markup("<p>%s</p>") % env._(
                "and %(count)s more.", count=len(items) - DIGEST_NAMED
            )
        body += Markup('<p><a href="%s">%s</a></p>') % (
            f"{self.browse().get_base_url()}/odoo/action-{QUEUE_ACTION}",
            env._("See them all in My Team's Queue"),
        )
        self.env["mail.thread"].with_env(env).message_notify(
            partner_ids=user.partner_id.ids,
            subject=env._("%(count)s to-dos assigned to you", count=len(items)),
            body=body,
            email_layout_xmlid="mail.mail_notification_layout",
        )

    @api.model
    def _insurance_digest_line(self, env, activity, team):
        """A to-do of a digest: its record (linked), kind and deadline."""
        record = env[activity.res_model].browse(activity.res_id)
        what = env._(
            "%(kind)s, due %(date)s",
            kind=activity.summary or activity.activity_type_id.name,
            date=format_date(env, activity.date_deadline),
        )
        if team:
            what = env._("%(todo)s (team %(team)s)", todo=what, team=team.name)
        return Markup('<li><a href="%s">%s</a>: %s</li>') % (
            record._notify_get_action_link("view"),
            activity.res_name or "",
            what,
        )

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
        self.env["insurance.reminder.log"]._on_todos_closed(self, "done")
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
