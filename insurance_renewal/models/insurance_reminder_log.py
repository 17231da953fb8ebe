import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import phonenumbers
import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import reminders, schedule
from .insurance_reminder_step import REMINDER_CHANNELS

_logger = logging.getLogger(__name__)

# A step missed by longer than this (policy registered late, reminders on hold) is
# not sent any more: the customer gets the next one.
CATCH_UP_DAYS = 7
BATCH_PAYERS = 200


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
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    state = fields.Selection(
        [("claimed", "Being Sent"), ("sent", "Sent"), ("skipped", "Skipped")],
        required=True,
        default="claimed",
        index=True,
    )
    skip_reason = fields.Selection(
        [
            ("opt_out", "Customer opted out"),
            ("no_email", "No email address"),
            ("invalid_phone", "No valid mobile number"),
            ("weekly_cap", "Weekly contact cap reached"),
            ("superseded", "A later step was due"),
        ]
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

    _step_line_unique = models.Constraint(
        "UNIQUE(step_id, premium_line_id)",
        "A reminder step is sent once per instalment.",
    )

    def write(self, vals):
        result = super().write(vals)
        if vals.get("delivery_state") == "delivered" or "delivered_on" in vals:
            for log in self.filtered(
                lambda g: g.channel == "demand" and g.delivered_on
            ):
                log.premium_line_id.demand_date = log.delivered_on
        return result

    # The engine -------------------------------------------------------------

    @api.model
    def _cron_send_reminders(self, batch_payers=BATCH_PAYERS):
        """Send every reminder step due today, payer by payer, in batches that are
        committed one by one; report what was sent and skipped, and why."""
        today = fields.Date.context_today(self)
        contact_time = self._is_contact_time()
        counts = Counter()
        last_payer = 0
        while payers := self._payers_with_due_steps(today, last_payer, batch_payers):
            pairs = self._due_steps(today, payers)
            for payer_id, payer_pairs in pairs.items():
                counts += self._remind_payer(
                    self.env["res.partner"].browse(payer_id), payer_pairs, contact_time
                )
            last_payer = payers[-1]
            if not self.env["ir.cron"]._commit_progress(len(payers)):
                break
        _logger.info("Renewal reminders: %s", dict(counts))
        return counts

    @api.model
    def _is_contact_time(self):
        company = self.env.company
        tz = pytz.timezone(company.partner_id.tz or "Asia/Shanghai")
        local = pytz.utc.localize(datetime.now()).astimezone(tz)
        return reminders.is_contact_time(
            local.hour + local.minute / 60,
            company.renewal_contact_hour_start,
            company.renewal_contact_hour_end,
        )

    def _due_steps_sql(self, today, select, extra):
        return SQL(
            """
            SELECT %(select)s
              FROM insurance_premium_line l
              JOIN insurance_policy p ON p.id = l.policy_id
              JOIN insurance_product pr ON pr.id = p.product_id
              JOIN insurance_reminder_step s
                ON s.plan_id = pr.reminder_plan_id AND s.active
             WHERE l.state IN %(open_states)s
               AND p.state IN ('in_force', 'grace')
               AND (p.reminder_hold_until IS NULL OR p.reminder_hold_until < %(today)s)
               AND (s.applies_to_auto_debit OR p.payment_method != 'bank_debit')
               AND (CASE WHEN s.anchor = 'due_date' THEN l.due_date
                         ELSE l.grace_end_date END) + s.offset_days
                   BETWEEN %(oldest)s AND %(today)s
               AND NOT EXISTS (
                   SELECT 1 FROM insurance_reminder_log g
                    WHERE g.step_id = s.id AND g.premium_line_id = l.id)
               AND %(extra)s
            """,
            select=select,
            open_states=schedule.OPEN_STATES,
            today=today,
            oldest=today - timedelta(days=CATCH_UP_DAYS),
            extra=extra,
        )

    @api.model
    def _payers_with_due_steps(self, today, after_payer, limit):
        self.env.flush_all()
        query = self._due_steps_sql(
            today,
            SQL("DISTINCT p.payer_id"),
            SQL("p.payer_id > %s ORDER BY p.payer_id LIMIT %s", after_payer, limit),
        )
        return [row[0] for row in self.env.execute_query(query)]

    @api.model
    def _due_steps(self, today, payer_ids):
        """Return ``{payer_id: [(line, step)]}`` for the steps due to these payers."""
        query = self._due_steps_sql(
            today,
            SQL("p.payer_id, l.id, s.id"),
            SQL("p.payer_id IN %s ORDER BY p.payer_id, l.id, s.id", tuple(payer_ids)),
        )
        rows = self.env.execute_query(query)
        lines = self.env["insurance.premium.line"].browse({row[1] for row in rows})
        steps = self.env["insurance.reminder.step"].browse({row[2] for row in rows})
        lines.fetch(["policy_id", "due_date", "grace_end_date", "amount_residual"])
        steps.fetch(["anchor", "offset_days", "channel"])
        pairs = defaultdict(list)
        for payer_id, line_id, step_id in rows:
            pairs[payer_id].append((lines.browse(line_id), steps.browse(step_id)))
        return pairs

    def _remind_payer(self, payer, pairs, contact_time):
        """Send one payer the steps due: the latest step per instalment, one message
        per step and channel for all their policies (household bundling)."""
        counts = Counter()
        latest = {}
        for line, step in pairs:
            current = latest.get(line)
            if not current or self._step_day(line, step) > self._step_day(
                line, current
            ):
                latest[line] = step
        superseded = [(line, step) for line, step in pairs if latest[line] != step]
        counts += self._claim(payer, superseded, step_channel=None)._skip("superseded")
        bundles = defaultdict(lambda: self.env["insurance.premium.line"])
        for line, step in latest.items():
            channel = reminders.resolve_channel(
                step.channel, payer.renewal_preferred_channel
            )
            if channel in reminders.INTRUSIVE_CHANNELS and not contact_time:
                counts["deferred_quiet_hours"] += 1
                continue
            bundles[step, channel] |= line
        for (step, channel), lines in bundles.items():
            logs = self._claim(payer, [(line, step) for line in lines], channel)
            if logs:
                counts += logs._deliver()
        return counts

    @staticmethod
    def _step_day(line, step):
        anchor = line.due_date if step.anchor == "due_date" else line.grace_end_date
        return reminders.step_date(anchor, step.offset_days)

    def _claim(self, payer, pairs, step_channel):
        """Insert the log rows of these (line, step) pairs unless another run did:
        the unique constraint decides, so nothing is sent twice."""
        if not pairs:
            return self.browse()
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, 'claimed', 1, now() at time zone 'UTC', %s, %s)",
                step.id or None,
                line.id,
                line.policy_id.id,
                line.policy_id.company_id.id,
                payer.id,
                step_channel or step.channel,
                self.env.uid,
            )
            for line, step in pairs
        )
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO insurance_reminder_log
                    (step_id, premium_line_id, policy_id, company_id, partner_id,
                     state, bundle_size, date, channel, create_uid)
                VALUES %s
                ON CONFLICT (step_id, premium_line_id) DO NOTHING
                RETURNING id
                """,
                values,
            )
        )
        return self.browse([row[0] for row in rows])

    def _skip(self, reason):
        if self:
            self.write({"state": "skipped", "skip_reason": reason})
        return Counter({f"skipped_{reason}": len(self)})

    def _deliver(self):
        """Send the message these claimed logs share (same payer, step, channel)."""
        payer = self.partner_id[:1]
        reason = self._blocked_reason(payer)
        if reason:
            if reason in ("invalid_phone", "no_email"):
                self._report_unreachable(reason)
            return self._skip(reason)
        sender = getattr(self, f"_send_{self[:1].channel}")
        sender()
        self.write({"state": "sent", "bundle_size": len(self)})
        if self[:1].channel in ("email", "sms", "demand"):
            self._log_contacts()
        return Counter({f"sent_{self[:1].channel}": len(self)})

    def _blocked_reason(self, payer):
        channel = self[:1].channel
        if channel in ("email", "demand"):
            if not payer.email:
                return "no_email"
            if payer.is_blacklisted:
                return "opt_out"
        if channel == "sms":
            if not self._valid_mobile(payer):
                return "invalid_phone"
            if payer.phone_sanitized_blacklisted:
                return "opt_out"
        if channel in ("email", "sms") and reminders.over_weekly_cap(
            self._contacts_this_week(payer), self.env.company.renewal_weekly_contact_cap
        ):
            return "weekly_cap"
        return False

    @api.model
    def _valid_mobile(self, partner):
        number = partner.phone_sanitized or partner.phone
        if not number:
            return False
        try:
            parsed = phonenumbers.parse(number, "CN")
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(
            parsed
        ) in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )

    @api.model
    def _contacts_this_week(self, partner):
        """Messages (not instalments) already sent to this customer in 7 days."""
        week_ago = fields.Datetime.now() - timedelta(days=7)
        return self.env["insurance.renewal.activity"].search_count(
            [
                ("partner_id", "=", partner.id),
                ("kind", "in", ("reminder", "demand")),
                ("date", ">=", week_ago),
            ]
        )

    def _first_policy(self):
        return self.policy_id.sorted("id")[:1]

    def _send_email(self):
        template = self.step_id[:1].mail_template_id
        self._send_mail_template(template)

    def _send_mail_template(self, template):
        policy = self._first_policy().with_context(
            reminder_line_ids=self.premium_line_id.ids
        )
        template = template.with_context(reminder_line_ids=self.premium_line_id.ids)
        policy.message_post_with_source(
            template,
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.partner_id[:1].ids,
        )

    def _send_sms(self):
        policy = self._first_policy().with_context(
            reminder_line_ids=self.premium_line_id.ids
        )
        policy._message_sms_with_template(
            template=self.step_id[:1].sms_template_id,
            partner_ids=self.partner_id[:1].ids,
        )

    def _send_phone(self):
        for log in self:
            log._todo(
                log.step_id.activity_type_id
                or self.env.ref("mail.mail_activity_data_call"),
                self.env._("Renewal call: %(step)s", step=log.step_id.name),
            )

    def _send_letter(self):
        for log in self:
            log._todo(
                log.step_id.activity_type_id
                or self.env.ref("mail.mail_activity_data_todo"),
                self.env._(
                    "Print and post the payment notice of %(line)s",
                    line=log.premium_line_id.display_name,
                ),
            )

    def _send_demand(self):
        """The formal demand (催告), sent by email: the 30 days run from today."""
        self._send_mail_template(
            self.env.ref("insurance_renewal.mail_template_renewal_demand")
        )
        today = fields.Date.context_today(self)
        self.write({"delivery_state": "sent", "delivered_on": today})

    def _todo(self, activity_type, summary):
        self.ensure_one()
        record = self.policy_id.renewal_lead_id or self.policy_id
        record.activity_schedule(
            activity_type_id=activity_type.id,
            summary=summary,
            user_id=(
                record.user_id
                if record._name == "crm.lead"
                else self.policy_id.specialist_id
            ).id
            or self.env.uid,
        )

    def _log_contacts(self):
        kind = "demand" if self[:1].channel == "demand" else "reminder"
        channel = "email" if kind == "demand" else self[:1].channel
        self.env["insurance.renewal.activity"].create(
            [
                {
                    "policy_id": policy.id,
                    "partner_id": self.partner_id[:1].id,
                    "kind": kind,
                    "channel": channel,
                    "outcome": "sent",
                    "reminder_step_ids": self.filtered(
                        lambda g, p=policy: g.policy_id == p
                    ).step_id.ids,
                }
                for policy in self.policy_id
            ]
        )

    def _report_unreachable(self, reason):
        """No way to reach the customer by this channel: say so on the case and ask
        the specialist to repair the contact data."""
        labels = dict(self._fields["skip_reason"]._description_selection(self.env))
        channel = "sms" if reason == "invalid_phone" else "email"
        for policy in self.policy_id:
            self.env["insurance.renewal.activity"].create(
                {
                    "policy_id": policy.id,
                    "partner_id": self.partner_id[:1].id,
                    "kind": "reminder",
                    "channel": channel,
                    "outcome": "undeliverable",
                    "note": labels[reason],
                }
            )
            policy._schedule_contact_repair(labels[reason])
