from collections import defaultdict
from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .insurance_reminder_step import REMINDER_CHANNELS

# What Odoo's mail and SMS notifications say of a message, in our words.
NOTIFICATION_TO_STATE = {
    "sent": "sent",
    "pending": "sent",
    "exception": "failed",
    "canceled": "failed",
    "bounce": "bounced",
}
# Before any step: a contact of another policy or channel carries out none.
NEVER = datetime.min


class InsuranceReminderLog(models.Model):
    """One reminder step for one instalment: claimed, then sent or skipped. The
    database lets a step be claimed once per instalment, whoever runs it."""

    _name = "insurance.reminder.log"
    _description = "Renewal Reminder"
    _order = "date desc, id desc"

    step_id = fields.Many2one(
        "insurance.reminder.step", index=True, ondelete="restrict"
    )
    premium_line_id = fields.Many2one(
        "insurance.premium.line",
        string="Instalment",
        required=True,
        index=True,
        ondelete="cascade",
    )
    policy_id = fields.Many2one(
        related="premium_line_id.policy_id", store=True, index=True
    )
    partner_id = fields.Many2one("res.partner", string="Recipient", index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    channel = fields.Selection(REMINDER_CHANNELS, required=True)
    due_date = fields.Date(
        string="For Due Date",
        readonly=True,
        help="The instalment's due date this reminder was about: a premium deferred "
        "to a new date can be formally demanded again for that date, never twice "
        "for the same one.",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    state = fields.Selection(
        [
            ("claimed", "Being Sent"),
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("bounced", "Bounced"),
            ("skipped", "Skipped"),
            ("todo", "To Do"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="claimed",
        index=True,
        help="Queued: handed to the mail or SMS queue. Sent: the mail server or SMS "
        "provider accepted it. Failed: they refused it; it is tried again, then "
        "the specialist is asked to call. To Do: a call or a letter handed to the "
        "specialist as a to-do; Done once they mark it done or log the contact, "
        "Cancelled if the to-do is cancelled.",
    )
    skip_reason = fields.Selection(
        [
            ("opt_out", "Customer opted out"),
            ("no_email", "No email address"),
            ("invalid_phone", "No valid mobile number"),
            ("weekly_cap", "Weekly contact cap reached"),
            ("superseded", "A later step was due"),
            ("already_demanded", "A formal demand was already issued"),
        ]
    )
    failure_reason = fields.Char(readonly=True)
    attempt_count = fields.Integer(string="Attempts", default=1, readonly=True)
    mail_message_id = fields.Many2one(
        "mail.message",
        string="Message",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    fallback_done = fields.Boolean(
        readonly=True, help="The specialist was asked to call after the failure."
    )
    bundle_size = fields.Integer(
        default=1, help="Policies listed in the same message to this customer."
    )
    delivery_state = fields.Selection(
        [("sent", "Sent"), ("delivered", "Delivered"), ("bounced", "Bounced")],
        help="For a formal demand: the evidence of its delivery.",
    )
    delivered_on = fields.Date(
        help="The day the formal demand reached the customer; the 30 days before "
        "suspension run from it."
    )
    tracking_ref = fields.Char(string="Letter Tracking Number")
    activity_id = fields.Many2one(
        "mail.activity",
        string="To-Do",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The specialist's to-do for a call or a letter step.",
    )

    _step_line_unique = models.Constraint(
        "UNIQUE(step_id, premium_line_id, due_date)",
        "A reminder step is sent once per instalment and due date.",
    )
    _one_live_demand = models.UniqueIndex(
        "(premium_line_id, due_date) WHERE channel = 'demand' "
        "AND state IN ('claimed', 'queued', 'sent')",
        "An instalment has one formal demand per due date.",
    )

    def init(self):
        """Reminders logged before they recorded their due date count for the
        instalment's present one, so none of them is sent again."""
        self.env.cr.execute(
            """
            UPDATE insurance_reminder_log g SET due_date = l.due_date
              FROM insurance_premium_line l
             WHERE g.due_date IS NULL AND l.id = g.premium_line_id
            """
        )

    def write(self, vals):
        if "delivered_on" in vals:
            self._check_delivery_date(vals["delivered_on"])
        result = super().write(vals)
        if vals.get("delivery_state") == "delivered" or "delivered_on" in vals:
            self._apply_demand_dates()
        return result

    def _check_delivery_date(self, delivered_on):
        """A demand's delivery is evidence: recorded once, never in the future; only
        a renewal manager corrects it."""
        day = fields.Date.to_date(delivered_on)
        if any(log.channel != "demand" for log in self):
            raise UserError(self.env._("Only a formal demand has a delivery date."))
        if day and day > self.env["insurance.reminder.engine"]._company_today():
            raise UserError(
                self.env._(
                    "A demand cannot have been delivered on %(date)s, a day still to "
                    "come.",
                    date=day,
                )
            )
        moved = self.filtered(lambda log: log.delivered_on and log.delivered_on != day)
        if moved and not (
            self.env.su
            or self.env.user.has_group(
                "insurance_renewal.group_insurance_renewal_manager"
            )
        ):
            raise UserError(
                self.env._(
                    "The delivery of this demand was already recorded on %(date)s: "
                    "only a renewal manager can correct it.",
                    date=moved[0].delivered_on,
                )
            )

    def _apply_demand_dates(self):
        """The first demand delivered fixes when the policy is suspended: a later
        one never postpones it (Insurance Law art. 36)."""
        for log in self.filtered(
            lambda g: g.channel == "demand" and g.delivered_on and g.state != "bounced"
        ):
            # The caller may write this demand (ACL and rules checked by write):
            # the instalment's demand date follows it, as the addon's own fact.
            line = log.premium_line_id.sudo()
            line.demand_date = min(filter(None, (line.demand_date, log.delivered_on)))

    # What became of the messages ------------------------------------------

    @api.model
    def _follow_notifications(self, notifications):
        """Bring the logs of these messages in line with their notifications: sent
        when the mail server or SMS provider accepted them, failed (with the
        reason) when refused, bounced when they came back."""
        logs = self.search(
            [
                ("mail_message_id", "in", notifications.mail_message_id.ids),
                ("state", "in", ("queued", "sent", "failed")),
            ]
        )
        fates = {
            (note.mail_message_id.id, note.res_partner_id.id): note
            for note in notifications
        }
        by_state = defaultdict(lambda: self.browse())
        reasons = {}
        for log in logs:
            note = fates.get((log.mail_message_id.id, log.partner_id.id))
            state = note and NOTIFICATION_TO_STATE.get(note.notification_status)
            if state and state != log.state:
                by_state[state] |= log
                reasons[log] = (
                    note.mail_mail_id.failure_reason
                    or note.failure_reason
                    or note.failure_type
                    or ""
                )
        for state, group in by_state.items():
            group._set_fate(state, reasons)

    def _set_fate(self, state, reasons):
        if state in ("failed", "bounced"):
            # An SMS the provider accepted (its contact logged as sent), then
            # reported undelivered; an email's bounce is recorded by the bounce
            # itself (``insurance.policy._message_receive_bounce``).
            self.filtered(
                lambda log: log.state == "sent" and log.channel == "sms"
            )._log_undelivered(reasons)
        if state == "failed":
            for reason, logs in self.grouped(lambda log: reasons[log]).items():
                logs.write({"state": "failed", "failure_reason": reason})
            return
        self.write({"state": state})
        if state == "sent":
            self._on_sent()
        elif state == "bounced":
            self._on_bounced()

    def _on_sent(self):
        """The message left: the contact is recorded, and a demand is delivered
        today (the 30 days of art. 36 run from it)."""
        self._log_contacts()
        demands = self.filtered(lambda log: log.channel == "demand")
        if demands:
            today = self.env["insurance.reminder.engine"]._company_today()
            demands.write({"delivery_state": "sent", "delivered_on": today})

    def _on_bounced(self):
        """A demand that never arrived does not shorten the grace period."""
        demands = self.filtered(lambda log: log.channel == "demand")
        demands.write({"delivery_state": "bounced"})
        for log in demands:
            line = log.premium_line_id.sudo()
            if line.demand_date == log.delivered_on:
                line.demand_date = False
        # Logs are claimed in SQL: the partners' cached lists may not hold them.
        self.partner_id.invalidate_recordset(["reminder_log_ids"])
        self.partner_id._schedule_contact_repair()

    def _log_undelivered(self, reasons):
        """The contact history says these messages did not reach the customer
        after all, one entry per policy and message beside the "sent" one: the
        case no longer counts them as reminders that reached the customer."""
        values = [
            {
                "policy_id": policy.id,
                "partner_id": policy_logs.partner_id[:1].id,
                "kind": "reminder",
                "channel": policy_logs[:1].channel,
                "outcome": "undeliverable",
                "note": reasons.get(policy_logs[:1]) or False,
                "reminder_step_ids": policy_logs.step_id.ids,
            }
            for logs in self.grouped("mail_message_id").values()
            for policy, policy_logs in logs.grouped("policy_id").items()
        ]
        self.env["insurance.renewal.activity"].create(values)

    # The specialist's to-dos -------------------------------------------------

    def _link_todos(self, activities):
        """Link each of these logs to its to-do (same order): one statement."""
        rows = [
            SQL("(%s, %s)", log.id, activity.id)
            for log, activity in zip(self, activities, strict=True)
        ]
        self.env.execute_query(
            SQL(
                """
                UPDATE insurance_reminder_log g
                   SET activity_id = v.activity
                  FROM (VALUES %s) AS v(id, activity)
                 WHERE g.id = v.id
                """,
                SQL(", ").join(rows),
            )
        )
        self.invalidate_recordset(["activity_id"])

    @api.model
    def _on_todos_closed(self, activities, state):
        """The specialist marked these to-dos done (or cancelled them): so are
        the call and letter steps waiting for them."""
        # mail.activity checked that the caller may close them; the logs, which
        # people only read, follow as the addon's record of the fact.
        self.sudo().search(
            [("activity_id", "in", activities.ids), ("state", "=", "todo")]
        ).write({"state": state})

    @api.model
    def _on_contacts_logged(self, contacts):
        """A call or a letter logged by the specialist carries out the call or
        letter steps still to do on its policy that were handed over before it
        happened (a contact logged late, from before a step, is not that step)."""
        done = contacts.filtered(lambda contact: contact.kind == "contact")
        if not done:
            return
        # The caller created these contacts (rights checked by create); the
        # logs, which people only read, follow as the addon's record.
        waiting = self.sudo().search(
            [
                ("policy_id", "in", done.policy_id.ids),
                ("channel", "in", done.mapped("channel")),
                ("state", "=", "todo"),
            ]
        )
        last_contact = {}
        for contact in done:
            key = (contact.policy_id, contact.channel)
            last_contact[key] = max(last_contact.get(key, contact.date), contact.date)
        waiting.filtered(
            lambda log: (
                log.date <= last_contact.get((log.policy_id, log.channel), NEVER)
            )
        ).write({"state": "done"})

    def _channel_label(self):
        return dict(self._fields["channel"]._description_selection(self.env))[
            self.channel
        ]

    def _first_policy(self):
        return self.policy_id.sorted("id")[:1]

    def _todo_record(self):
        """The case the specialist works, else the policy."""
        return self.policy_id.renewal_lead_id or self.policy_id

    def _todo_assignee(self):
        record = self._todo_record()
        user = record.user_id if record._name == "crm.lead" else record.specialist_id
        return user or self.env.user

    def _in_assignee_lang(self):
        """These logs in the language of who gets their to-do: a scheduled run
        writes in no one's language."""
        user = self[:1]._todo_assignee()
        lang = user.lang or self.company_id[:1].partner_id.lang or self.env.lang
        return self.with_context(lang=lang)

    def _log_contacts(self):
        """One contact-log entry per policy and message, listing the steps it
        covered: created in one go for every message delivered."""
        values = []
        for logs in self.grouped("mail_message_id").values():
            kind = "demand" if logs[:1].channel == "demand" else "reminder"
            values += [
                {
                    "policy_id": policy.id,
                    "partner_id": logs.partner_id[:1].id,
                    "kind": kind,
                    "channel": "email" if kind == "demand" else logs[:1].channel,
                    "outcome": "sent",
                    "reminder_step_ids": policy_logs.step_id.ids,
                }
                for policy, policy_logs in logs.grouped("policy_id").items()
            ]
        self.env["insurance.renewal.activity"].create(values)
