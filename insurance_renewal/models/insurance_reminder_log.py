import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import phonenumbers
import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..lib import reminders, schedule
from .insurance_reminder_step import REMINDER_CHANNELS

_logger = logging.getLogger(__name__)

# A step missed by longer than this (policy registered late, reminders on hold) is
# not sent any more: the customer gets the next one. A failed one is retried
# within the same days.
CATCH_UP_DAYS = 7
BATCH_PAYERS = 200
# The advisory lock class under which a worker holds the payers it is reminding.
PAYER_LOCK_KEY = 7_130_001
# How often a reminder the channel refused is tried again before a person calls.
MAX_ATTEMPTS = 3
# A formal demand in these states stands: no second one for the same instalment.
LIVE_DEMAND_STATES = ("claimed", "queued", "sent")
# Policies of one payer due within this many days share one message.
BUNDLE_WINDOW_PARAM = "insurance_renewal.bundle_window_days"
DEFAULT_BUNDLE_WINDOW_DAYS = 7
# What Odoo's mail and SMS notifications say of a message, in our words.
NOTIFICATION_TO_STATE = {
    "sent": "sent",
    "pending": "sent",
    "exception": "failed",
    "canceled": "failed",
    "bounce": "bounced",
}


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
        [
            ("claimed", "Being Sent"),
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("bounced", "Bounced"),
            ("skipped", "Skipped"),
        ],
        required=True,
        default="claimed",
        index=True,
        help="Queued: handed to the mail or SMS queue. Sent: the mail server or SMS "
        "provider accepted it. Failed: they refused it; it is tried again, then "
        "the specialist is asked to call.",
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

    _step_line_unique = models.Constraint(
        "UNIQUE(step_id, premium_line_id)",
        "A reminder step is sent once per instalment.",
    )
    _one_live_demand = models.UniqueIndex(
        "(premium_line_id) WHERE channel = 'demand' "
        "AND state IN ('claimed', 'queued', 'sent')",
        "An instalment has one formal demand at a time.",
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
        if day and day > self._company_today():
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

    @api.model
    def _company_today(self):
        tz = pytz.timezone(self.env.company.partner_id.tz or "Asia/Shanghai")
        return pytz.utc.localize(datetime.now()).astimezone(tz).date()

    # The engine -------------------------------------------------------------

    @api.model
    def _cron_send_reminders(self, batch_payers=BATCH_PAYERS):
        """Send every reminder step due today, payer by payer, in batches that are
        committed one by one; report what was sent and skipped, and why."""
        # Messages go to Odoo's mail and SMS queues, never out from this run: a
        # slow or dead mail server cannot stall it, and a run killed mid-way
        # leaves nothing half-sent. The queues' own jobs deliver them.
        return self.with_context(mail_notify_force_send=False)._send_due_reminders(
            batch_payers
        )

    @api.model
    def _send_due_reminders(self, batch_payers):
        today = self._company_today()
        contact_time = self._is_contact_time()
        retrying = self.env["insurance.policy"]._run_retrying_on_concurrency
        counts = Counter()
        last_payer = 0
        while True:
            payers, batch_counts = retrying(
                lambda after=last_payer: self._remind_next_payers(
                    today, after, batch_payers, contact_time
                )
            )
            if not payers:
                break
            counts += batch_counts
            last_payer = payers[-1]
            if not self.env["ir.cron"]._commit_progress(len(payers)):
                break
        counts["fallback_calls"] = retrying(self._fall_back_on_failures)
        self._wake_up_queues()
        _logger.info("Renewal reminders: %s", dict(counts))
        return counts

    @api.model
    def _remind_next_payers(self, today, after_payer, limit, contact_time):
        """Remind the next ``limit`` payers with steps due after ``after_payer``;
        return their ids and what was sent. Payers another worker is reminding
        right now are left to it."""
        payers = self._payers_with_due_steps(today, after_payer, limit)
        claimed = self._claim_payers(payers)
        counts = Counter()
        if not claimed:
            return payers, counts
        pairs = self._due_steps(today, claimed)
        upcoming = self._due_steps(today, claimed, until=self._bundle_until(today))
        demanded = self._demanded_line_ids(upcoming)
        for payer_id, payer_pairs in pairs.items():
            counts += self._remind_payer(
                self.env["res.partner"].browse(payer_id),
                payer_pairs,
                contact_time,
                upcoming=upcoming[payer_id],
                demanded=demanded,
            )
        return payers, counts

    @api.model
    def _claim_payers(self, payer_ids):
        """Return those of these payers no other worker is reminding, each held by
        a transaction-level advisory lock until this batch commits."""
        if not payer_ids:
            return []
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM unnest(%s::int[]) AS id "
                "WHERE pg_try_advisory_xact_lock(%s, id) ORDER BY id",
                list(payer_ids),
                PAYER_LOCK_KEY,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _bundle_until(self, today):
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(BUNDLE_WINDOW_PARAM, DEFAULT_BUNDLE_WINDOW_DAYS)
        )
        return today + timedelta(days=days)

    @api.model
    def _wake_up_queues(self):
        for xmlid in (
            "mail.ir_cron_mail_scheduler_action",
            "sms.ir_cron_sms_scheduler_action",
        ):
            cron = self.env.ref(xmlid, raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()

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

    def _due_steps_sql(self, today, select, extra, until=None):
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
               AND p.reminder_complaint_hold IS NOT TRUE
               AND p.reminder_claim_hold IS NOT TRUE
               AND (s.applies_to_auto_debit OR p.payment_method != 'bank_debit')
               AND (CASE WHEN s.anchor = 'due_date' THEN l.due_date
                         ELSE l.grace_end_date END) + s.offset_days
                   BETWEEN %(oldest)s AND %(until)s
               AND NOT EXISTS (
                   SELECT 1 FROM insurance_reminder_log g
                    WHERE g.step_id = s.id AND g.premium_line_id = l.id
                      AND NOT (g.state = 'failed' AND g.attempt_count < %(attempts)s))
               AND %(extra)s
            """,
            select=select,
            open_states=schedule.OPEN_STATES,
            today=today,
            oldest=today - timedelta(days=CATCH_UP_DAYS),
            until=until or today,
            attempts=MAX_ATTEMPTS,
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
    def _due_steps(self, today, payer_ids, until=None):
        """Return ``{payer_id: [(line, step)]}`` for the steps due to these payers
        (or falling due by ``until``)."""
        query = self._due_steps_sql(
            today,
            SQL("p.payer_id, l.id, s.id"),
            SQL("p.payer_id IN %s ORDER BY p.payer_id, l.id, s.id", tuple(payer_ids)),
            until=until,
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

    @api.model
    def _demanded_line_ids(self, pairs_by_payer):
        """Return the ids of these instalments that already have a formal demand."""
        lines = self.env["insurance.premium.line"].browse(
            {line.id for pairs in pairs_by_payer.values() for line, _step in pairs}
        )
        if not lines:
            return set()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT premium_line_id FROM insurance_reminder_log
                 WHERE channel = 'demand' AND state IN %s AND premium_line_id IN %s
                """,
                LIVE_DEMAND_STATES,
                tuple(lines.ids),
            )
        )
        return {row[0] for row in rows} | set(lines.filtered("demand_date").ids)

    def _remind_payer(self, payer, pairs, contact_time, upcoming=(), demanded=()):
        """Send one payer the steps due: the latest step per instalment, one message
        per step and channel for all their policies due within the bundling window
        (household bundling), and no second formal demand."""
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
        repeated = [
            (line, step)
            for line, step in latest.items()
            if step.channel == "demand" and line.id in demanded
        ]
        counts += self._claim(payer, repeated, "demand", state="skipped")._skip(
            "already_demanded"
        )
        bundles = defaultdict(lambda: self.env["insurance.premium.line"])
        for line, step in latest.items():
            if (line, step) in repeated:
                continue
            channel = reminders.resolve_channel(
                step.channel, payer.renewal_preferred_channel
            )
            if channel in reminders.INTRUSIVE_CHANNELS and not contact_time:
                counts["deferred_quiet_hours"] += 1
                continue
            bundles[step, channel] |= line
        self._join_upcoming(bundles, upcoming, demanded)
        for (step, channel), lines in bundles.items():
            logs = self._claim(payer, [(line, step) for line in lines], channel)
            if logs:
                counts += logs._deliver()
        return counts

    @staticmethod
    def _join_upcoming(bundles, upcoming, demanded):
        """Add to each message the payer's other instalments whose same step falls
        due within the bundling window: they are reminded now, once."""
        bundled = {line for lines in bundles.values() for line in lines}
        for line, step in upcoming:
            if line in bundled or line.id in demanded:
                continue
            for (bundle_step, channel), lines in bundles.items():
                if bundle_step == step:
                    bundles[bundle_step, channel] = lines | line
                    bundled.add(line)
                    break

    @staticmethod
    def _step_day(line, step):
        anchor = line.due_date if step.anchor == "due_date" else line.grace_end_date
        return reminders.step_date(anchor, step.offset_days)

    def _claim(self, payer, pairs, step_channel, state="claimed"):
        """Take these (line, step) pairs for this run, unless another run did: a
        failed one is taken back for another attempt, a new one inserted; the
        database's unique indexes decide, so nothing is ever sent twice."""
        if not pairs:
            return self.browse()
        self.flush_model()
        retried = self._claim_failed(pairs) if state == "claimed" else self.browse()
        now = fields.Datetime.now()
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, 1, 1, %s, %s, %s, %s, %s, %s)",
                step.id or None,
                line.id,
                line.policy_id.id,
                line.policy_id.company_id.id,
                payer.id,
                state,
                now,
                step_channel or step.channel,
                self.env.uid,
                self.env.uid,
                now,
                now,
            )
            for line, step in pairs
        )
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO insurance_reminder_log
                    (step_id, premium_line_id, policy_id, company_id, partner_id,
                     state, bundle_size, attempt_count, date, channel, create_uid,
                     write_uid, create_date, write_date)
                VALUES %s
                ON CONFLICT DO NOTHING
                RETURNING id
                """,
                values,
            )
        )
        return retried | self.browse([row[0] for row in rows])

    def _claim_failed(self, pairs):
        """Take back the failed logs of these pairs that may be tried again."""
        keys = [(step.id, line.id) for line, step in pairs if step.id]
        if not keys:
            return self.browse()
        rows = self.env.execute_query(
            SQL(
                """
                UPDATE insurance_reminder_log g
                   SET state = 'claimed', attempt_count = g.attempt_count + 1,
                       date = %s, failure_reason = NULL, mail_message_id = NULL
                 WHERE (g.step_id, g.premium_line_id) IN %s
                   AND g.state = 'failed' AND g.attempt_count < %s
                   AND NOT (g.channel = 'demand' AND EXISTS (
                       SELECT 1 FROM insurance_reminder_log d
                        WHERE d.premium_line_id = g.premium_line_id
                          AND d.channel = 'demand' AND d.state IN %s))
                RETURNING g.id
                """,
                fields.Datetime.now(),
                tuple(keys),
                MAX_ATTEMPTS,
                LIVE_DEMAND_STATES,
            )
        )
        claimed = self.browse([row[0] for row in rows])
        claimed.invalidate_recordset()
        return claimed

    def _skip(self, reason):
        if self:
            self.write({"state": "skipped", "skip_reason": reason})
        return Counter({f"skipped_{reason}": len(self)})

    def _deliver(self):
        """Send the message these claimed logs share (same payer, step, channel):
        a message is queued, and its logs follow what becomes of it; a call or a
        letter is a to-do for the specialist."""
        payer = self.partner_id[:1]
        reason = self._blocked_reason(payer)
        if reason:
            if reason in ("invalid_phone", "no_email"):
                self._report_unreachable(reason)
            return self._skip(reason)
        channel = self[:1].channel
        message = getattr(self, f"_send_{channel}")()
        if channel in reminders.MESSAGE_CHANNELS + ("demand",):
            self.write(
                {
                    "state": "queued",
                    "mail_message_id": message[:1].id,
                    "bundle_size": len(self),
                }
            )
            return Counter({f"queued_{channel}": len(self)})
        self.write({"state": "sent", "bundle_size": len(self)})
        return Counter({f"sent_{channel}": len(self)})

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
        for logs in self.grouped("mail_message_id").values():
            logs._log_contacts()
        demands = self.filtered(lambda log: log.channel == "demand")
        if demands:
            demands.write(
                {"delivery_state": "sent", "delivered_on": self._company_today()}
            )

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

    @api.model
    def _fall_back_on_failures(self):
        """Reminders the channel kept refusing, and whose retries are over: the
        specialist calls the customer instead."""
        given_up = self.search(
            [
                ("state", "=", "failed"),
                ("fallback_done", "=", False),
                "|",
                ("attempt_count", ">=", MAX_ATTEMPTS),
                ("date", "<", fields.Datetime.now() - timedelta(days=CATCH_UP_DAYS)),
            ]
        )
        for logs in given_up.grouped("policy_id").values():
            reader = logs[:1]._in_assignee_lang()
            logs[:1]._todo(
                self.env.ref("mail.mail_activity_data_call"),
                reader.env._(
                    "The %(channel)s reminder could not be delivered (%(reason)s): "
                    "call the customer.",
                    channel=reader._channel_label(),
                    reason=logs[:1].failure_reason or "-",
                ),
            )
        given_up.write({"fallback_done": True})
        return len(given_up)

    def _channel_label(self):
        return dict(self._fields["channel"]._description_selection(self.env))[
            self.channel
        ]

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
            self._messages_this_week(payer), self.env.company.renewal_weekly_contact_cap
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
    def _messages_this_week(self, partner):
        return self._messages_this_week_by_partner(partner.ids)[partner.id]

    @api.model
    def _messages_this_week_by_partner(self, partner_ids):
        """Messages that reached or are on their way to these customers in 7 days:
        one bundled message counts once; skipped and failed attempts not at all;
        a customer care mailing (review, greeting) counts once per mailing."""
        counts = Counter()
        if not partner_ids:
            return counts
        self.env["insurance.renewal.activity"].flush_model()
        since = fields.Datetime.now() - timedelta(days=7)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, count(DISTINCT coalesce(mail_message_id, -id))
                  FROM insurance_reminder_log
                 WHERE partner_id = ANY(%(partners)s)
                   AND channel IN ('email', 'sms', 'demand')
                   AND state IN ('queued', 'sent') AND date >= %(since)s
                 GROUP BY partner_id
                 UNION ALL
                SELECT partner_id, count(DISTINCT mailing_id)
                  FROM insurance_renewal_activity
                 WHERE partner_id = ANY(%(partners)s) AND kind = 'care'
                   AND mailing_id IS NOT NULL AND date >= %(since)s
                 GROUP BY partner_id
                """,
                partners=list(partner_ids),
                since=since,
            )
        )
        for partner_id, count in rows:
            counts[partner_id] += count
        return counts

    def _first_policy(self):
        return self.policy_id.sorted("id")[:1]

    def _send_email(self):
        template = self.step_id[:1].mail_template_id
        return self._send_mail_template(template)

    def _send_mail_template(self, template):
        policy = self._first_policy().with_context(
            reminder_line_ids=self.premium_line_id.ids, mail_notify_force_send=False
        )
        template = template.with_context(reminder_line_ids=self.premium_line_id.ids)
        return policy.message_post_with_source(
            template,
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.partner_id[:1].ids,
        )

    def _send_sms(self):
        policy = self._first_policy().with_context(
            reminder_line_ids=self.premium_line_id.ids
        )
        # The template renders the policy in its own context: it must be told the
        # instalments too, or a bundled SMS would list (and link) the first only.
        template = self.step_id[:1].sms_template_id.with_context(
            reminder_line_ids=self.premium_line_id.ids
        )
        return policy._message_sms_with_template(
            template=template,
            partner_ids=self.partner_id[:1].ids,
            put_in_queue=True,
        )

    def _send_phone(self):
        for log in self:
            reader = log._in_assignee_lang()
            log._todo(
                log.step_id.activity_type_id
                or self.env.ref("mail.mail_activity_data_call"),
                reader.env._("Renewal call: %(step)s", step=reader.step_id.name),
            )

    def _send_letter(self):
        for log in self:
            reader = log._in_assignee_lang()
            log._todo(
                log.step_id.activity_type_id
                or self.env.ref("mail.mail_activity_data_todo"),
                reader.env._(
                    "Print and post the payment notice of %(line)s",
                    line=reader.premium_line_id.display_name,
                ),
            )

    def _send_demand(self):
        """The formal demand (催告), sent by email: the 30 days run from the day the
        mail server accepts it (see ``_on_sent``), never from a failed attempt."""
        return self._send_mail_template(
            self.env.ref("insurance_renewal.mail_template_renewal_demand")
        )

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

    def _todo(self, activity_type, summary):
        self.ensure_one()
        self._todo_record().activity_schedule(
            activity_type_id=activity_type.id,
            summary=summary,
            user_id=self._todo_assignee().id,
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
        reader = self._in_assignee_lang()
        labels = dict(reader._fields["skip_reason"]._description_selection(reader.env))
        channel = "sms" if reason == "invalid_phone" else "email"
        for policy in self.policy_id.with_env(reader.env):
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
