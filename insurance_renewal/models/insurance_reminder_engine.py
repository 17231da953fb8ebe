import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from email.utils import formataddr

import phonenumbers
import pytz
from lxml import html
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL, plaintext2html

from ..lib import reminders, schedule

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
# A formal demand in these states stands: no second one for the same instalment
# and due date (a deferred premium's new due date may be demanded again).
LIVE_DEMAND_STATES = ("claimed", "queued", "sent")
# Policies of one payer due within this many days share one message.
BUNDLE_WINDOW_PARAM = "insurance_renewal.bundle_window_days"
DEFAULT_BUNDLE_WINDOW_DAYS = 7
# Between the bodies of a batch rendered in one go (an ASCII record separator).
RENDER_SPLIT = "\x1e"
# What a send that reaches no one is reported as, and by which channel.
UNREACHABLE = {"no_email": "email", "invalid_phone": "sms"}


def _group_by_value(mapping):
    """``{key: value}`` -> ``{value: [keys]}``."""
    groups = defaultdict(list)
    for key, value in mapping.items():
        groups[value].append(key)
    return groups


class InsuranceReminderEngine(models.AbstractModel):
    """The reminder engine: finds the plan steps due to each payer, claims them in
    the reminder log (once per step and instalment, whoever runs it) and queues
    their emails and SMS, or gives the specialist a to-do, a batch of payers at a
    time. Every write of a batch is set-based: its cost does not grow with the
    number of messages."""

    _name = "insurance.reminder.engine"
    _description = "Renewal Reminder Engine"

    @api.model
    def _company_today(self):
        tz = pytz.timezone(self.env.company.partner_id.tz or "Asia/Shanghai")
        return pytz.utc.localize(datetime.now()).astimezone(tz).date()

    # The run -----------------------------------------------------------------

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
        counts = self._run_payer_batches(today, batch_payers)
        retrying = self.env["insurance.batch.runner"]._run_retrying_on_concurrency
        counts["fallback_calls"] = retrying(self._fall_back_on_failures)
        self._wake_up_queues()
        _logger.info("Renewal reminders: %s", dict(counts))
        return counts

    @api.model
    def _run_payer_batches(self, today, batch_payers):
        """Remind the payers with steps due, ``batch_payers`` at a time, each batch
        committed. (With queue_job, ``insurance_renewal_queue`` makes each batch a
        job instead.)"""
        contact_time = self._is_contact_time()
        retrying = self.env["insurance.batch.runner"]._run_retrying_on_concurrency
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
        return counts

    @api.model
    def _remind_next_payers(self, today, after_payer, limit, contact_time):
        """Remind the next ``limit`` payers with steps due after ``after_payer``;
        return their ids and what was sent."""
        payers = self._payers_with_due_steps(today, after_payer, limit)
        return payers, self._remind_payers(today, payers, contact_time)

    @api.model
    def _remind_payers(self, today, payer_ids, contact_time):
        """Remind these payers of the steps due to them. Payers another worker is
        reminding right now are left to it."""
        claimed = self._claim_payers(payer_ids)
        if not claimed:
            return Counter()
        pairs = self._due_steps(today, claimed)
        upcoming = self._due_steps(today, claimed, until=self._bundle_until(today))
        demanded = self._demanded_line_ids(upcoming)
        weekly = self._messages_this_week_by_partner(claimed)
        counts = Counter()
        sends = []
        payers = self.env["res.partner"].browse(claimed)
        for payer in payers.filtered(lambda p: p.id in pairs):
            payer_sends, payer_counts = self._remind_payer(
                payer,
                pairs[payer.id],
                contact_time,
                upcoming=upcoming[payer.id],
                demanded=demanded,
                weekly=weekly,
            )
            sends += payer_sends
            counts += payer_counts
        return counts + self._carry_out(sends)

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

    # What is due -------------------------------------------------------------

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
                      AND g.due_date = l.due_date
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
        # Records taken from the recordsets share their prefetching: a field read
        # on one instalment is read for the whole batch.
        line_of = {line.id: line for line in lines}
        step_of = {step.id: step for step in steps}
        pairs = defaultdict(list)
        for payer_id, line_id, step_id in rows:
            pairs[payer_id].append((line_of[line_id], step_of[step_id]))
        return pairs

    @api.model
    def _demanded_line_ids(self, pairs_by_payer):
        """Return the ids of these instalments that already have a formal demand
        for their current due date."""
        lines = self.env["insurance.premium.line"].browse(
            {line.id for pairs in pairs_by_payer.values() for line, _step in pairs}
        )
        if not lines:
            return set()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT g.premium_line_id FROM insurance_reminder_log g
                  JOIN insurance_premium_line l ON l.id = g.premium_line_id
                 WHERE g.channel = 'demand' AND g.state IN %s
                   AND g.premium_line_id IN %s AND g.due_date = l.due_date
                """,
                LIVE_DEMAND_STATES,
                tuple(lines.ids),
            )
        )
        return {row[0] for row in rows} | set(lines.filtered("demand_date").ids)

    # One payer's plan --------------------------------------------------------

    def _remind_payer(
        self, payer, pairs, contact_time, upcoming=(), demanded=(), weekly=None
    ):
        """Decide what this payer gets: the latest step per instalment, one message
        per step and channel for all their policies due within the bundling window
        (household bundling), and no second formal demand. Return the sends, each
        ``(payer, pairs, channel, skip_reason)``, and what was deferred. Nothing is
        written here: ``_carry_out`` does it for the whole batch."""
        weekly = Counter() if weekly is None else weekly
        counts = Counter()
        latest = {}
        for line, step in pairs:
            current = latest.get(line)
            if not current or self._step_day(line, step) > self._step_day(
                line, current
            ):
                latest[line] = step
        sends = [
            (payer, [(line, step)], step.channel, "superseded")
            for line, step in pairs
            if latest[line] != step
        ]
        repeated = [
            (line, step)
            for line, step in latest.items()
            if step.channel == "demand" and line.id in demanded
        ]
        if repeated:
            sends.append((payer, repeated, "demand", "already_demanded"))
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
            reason = self._blocked_reason(payer, channel, weekly)
            if not reason and channel in ("email", "sms"):
                weekly[payer.id] += 1
            sends.append((payer, [(line, step) for line in lines], channel, reason))
        return sends, counts

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

    def _blocked_reason(self, payer, channel, weekly):
        """Why this payer cannot get a message by this channel now, if so;
        ``weekly`` counts the messages they got this week, this run's included."""
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
            weekly[payer.id], self.env.company.renewal_weekly_contact_cap
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
    def _messages_this_week_by_partner(self, partner_ids):
        """Messages that reached or are on their way to these customers in 7 days:
        one bundled message counts once; skipped and failed attempts not at all;
        a customer care mailing (review, greeting) counts once per mailing."""
        counts = Counter()
        if not partner_ids:
            return counts
        self.env["insurance.renewal.activity"].flush_model()
        self.env["insurance.reminder.log"].flush_model()
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

    # Claiming ----------------------------------------------------------------

    @api.model
    def _claim(self, payer, pairs, step_channel, state="claimed"):
        """Take these (line, step) pairs of one payer for this run, unless another
        run did: return their logs."""
        return self._claim_pairs([(payer, pairs, step_channel, state)])[0]

    @api.model
    def _claim_pairs(self, groups):
        """Take the (line, step) pairs of each ``(payer, pairs, channel, state)``
        group for this run, unless another run did: a failed one is taken back
        for another attempt, a new one inserted; the database's unique indexes
        decide, so nothing is ever sent twice. Return each group's logs, in
        order; two statements for the whole batch."""
        logs = self.env["insurance.reminder.log"]
        logs.flush_model()
        # Bundles are recordsets of their own: read what the rows need for all.
        self.env["insurance.premium.line"].browse(
            {
                line.id
                for _payer, pairs, _channel, _state in groups
                for line, _step in pairs
            }
        ).policy_id.fetch(["company_id"])
        retry_keys = [
            (step.id, line.id)
            for _payer, pairs, _channel, state in groups
            if state == "claimed"
            for line, step in pairs
            if step.id
        ]
        taken = self._claim_failed(retry_keys)
        now = fields.Datetime.now()
        values = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, 1, 1, %s, %s, %s, %s, %s, %s)",
                step.id or None,
                line.id,
                line.due_date,
                line.policy_id.id,
                line.policy_id.company_id.id,
                payer.id,
                state,
                now,
                channel,
                self.env.uid,
                self.env.uid,
                now,
                now,
            )
            for payer, pairs, channel, state in groups
            for line, step in pairs
        ]
        if values:
            rows = self._execute_claim(
                SQL(
                    """
                    INSERT INTO insurance_reminder_log
                        (step_id, premium_line_id, due_date, policy_id, company_id,
                         partner_id, state, bundle_size, attempt_count, date, channel,
                         create_uid, write_uid, create_date, write_date)
                    VALUES %s
                    ON CONFLICT DO NOTHING
                    RETURNING id, step_id, premium_line_id
                    """,
                    SQL(", ").join(values),
                )
            )
            for log_id, step_id, line_id in rows:
                taken.setdefault((step_id, line_id), log_id)
        every = logs.browse(taken.values())
        return [
            logs.browse(
                taken[step.id or None, line.id]
                for line, step in pairs
                if (step.id or None, line.id) in taken
            ).with_prefetch(every._prefetch_ids)
            for _payer, pairs, _channel, _state in groups
        ]

    @api.model
    def _execute_claim(self, query):
        """Run a claim of reminder steps and return its rows. Another worker may
        have claimed the same steps and committed since this transaction's
        snapshot: the claim then fails to serialize, and the batch is retried on a
        fresh snapshot (_run_retrying_on_concurrency), which finds them taken. An
        expected outcome, not a bad query to log."""
        self.env.flush_query(query)
        self.env.cr.execute(query, log_exceptions=False)
        return self.env.cr.fetchall()

    @api.model
    def _claim_failed(self, keys):
        """Take back the failed logs of these (step, line) keys that may be tried
        again; return ``{(step, line): log id}``."""
        if not keys:
            return {}
        rows = self._execute_claim(
            SQL(
                """
                UPDATE insurance_reminder_log g
                   SET state = 'claimed', attempt_count = g.attempt_count + 1,
                       date = %s, failure_reason = NULL, mail_message_id = NULL
                 WHERE (g.step_id, g.premium_line_id) IN %s
                   AND g.state = 'failed' AND g.attempt_count < %s
                   AND g.due_date = (SELECT l.due_date FROM insurance_premium_line l
                                      WHERE l.id = g.premium_line_id)
                   AND NOT (g.channel = 'demand' AND EXISTS (
                       SELECT 1 FROM insurance_reminder_log d
                        WHERE d.premium_line_id = g.premium_line_id
                          AND d.due_date = g.due_date
                          AND d.channel = 'demand' AND d.state IN %s))
                RETURNING g.id, g.step_id, g.premium_line_id
                """,
                fields.Datetime.now(),
                tuple(keys),
                MAX_ATTEMPTS,
                LIVE_DEMAND_STATES,
            )
        )
        self.env["insurance.reminder.log"].invalidate_model()
        return {(step_id, line_id): log_id for log_id, step_id, line_id in rows}

    # Carrying the plan out ---------------------------------------------------

    @api.model
    def _carry_out(self, sends):
        """Claim every send of the batch at once, then skip, queue or hand to the
        specialist by kind, each kind in one go."""
        groups = [
            (
                payer,
                pairs,
                channel,
                "skipped" if reason == "already_demanded" else "claimed",
            )
            for payer, pairs, channel, reason in sends
        ]
        claimed = self._claim_pairs(groups)
        counts = Counter()
        by_channel = defaultdict(list)
        skipped = defaultdict(lambda: self.env["insurance.reminder.log"])
        for (_payer, _pairs, channel, reason), logs in zip(sends, claimed, strict=True):
            if not logs:
                continue
            if reason:
                skipped[reason] |= logs
            else:
                by_channel[channel].append(logs)
        for reason, logs in skipped.items():
            counts += self._skip(logs, reason)
        for channel, bundles in by_channel.items():
            counts += self._deliver(bundles, channel)
        return counts

    @api.model
    def _skip(self, logs, reason):
        logs.write({"state": "skipped", "skip_reason": reason})
        if reason in UNREACHABLE:
            self._report_unreachable(logs, reason)
        return Counter({f"skipped_{reason}": len(logs)})

    @api.model
    def _deliver(self, bundles, channel):
        """Send each bundle (the claimed logs one message covers: same payer, step
        and channel): a message is queued, and its logs follow what becomes of it;
        a call or a letter is a to-do for the specialist."""
        if channel in ("phone", "letter"):
            self._mark_logs(bundles, "todo")
            self._schedule_todos(bundles, channel)
            return Counter({f"todo_{channel}": sum(len(logs) for logs in bundles)})
        if channel == "sms":
            messages = self._queue_sms(bundles)
        else:
            messages = self._queue_emails(bundles, channel)
        self._mark_logs(bundles, "queued", messages)
        return Counter({f"queued_{channel}": sum(len(logs) for logs in bundles)})

    @api.model
    def _deliver_one(self, logs):
        """Send the message of these logs now (a formal demand issued by hand)."""
        reason = self._blocked_reason(logs.partner_id[:1], logs[:1].channel, Counter())
        if reason:
            return self._skip(logs, reason)
        return self._deliver([logs], logs[:1].channel)

    @api.model
    def _mark_logs(self, bundles, state, messages=None):
        """Write each bundle's state, size and message: one statement."""
        rows = [
            SQL(
                "(%s, %s, %s)",
                log.id,
                len(logs),
                messages[index].id if messages else None,
            )
            for index, logs in enumerate(bundles)
            for log in logs
        ]
        self.env.execute_query(
            SQL(
                """
                UPDATE insurance_reminder_log g
                   SET state = %s, bundle_size = v.size,
                       mail_message_id = v.message::int, write_date = %s,
                       write_uid = %s
                  FROM (VALUES %s) AS v(id, size, message)
                 WHERE g.id = v.id
                """,
                state,
                fields.Datetime.now(),
                self.env.uid,
                SQL(", ").join(rows),
            )
        )
        self.env["insurance.reminder.log"].invalidate_model(
            ["state", "bundle_size", "mail_message_id", "write_date", "write_uid"]
        )

    # Messages, in batches ------------------------------------------------------

    @staticmethod
    def _rounds(bundles):
        """Split the bundles (by their index) so that no policy carries two
        messages of one round: a round renders every message in one go, each
        policy listing the instalments of its own bundle."""
        rounds = []
        for index, logs in enumerate(bundles):
            policy = logs._first_policy()
            for taken in rounds:
                if policy not in taken:
                    taken[policy] = index
                    break
            else:
                rounds.append({policy: index})
        return rounds

    def _messages_by_template(self, bundles, template_of, post):
        """Post one message per bundle with ``post(template, policies, bundles)``,
        each template and round in one go; return the messages in bundle order."""
        messages = [None] * len(bundles)
        by_template = defaultdict(list)
        for index, logs in enumerate(bundles):
            by_template[template_of(logs)].append(index)
        for template, indexes in by_template.items():
            for taken in self._rounds([bundles[i] for i in indexes]):
                chosen = [indexes[i] for i in taken.values()]
                policies = self.env["insurance.policy"].union(*taken)
                render = template.with_context(
                    reminder_lines_by_policy=tuple(
                        (policy.id, tuple(bundles[i].premium_line_id.ids))
                        for policy, i in zip(policies, chosen, strict=True)
                    )
                )
                posted = post(render, policies, [bundles[i] for i in chosen])
                for index, message in zip(chosen, posted, strict=True):
                    messages[index] = message
        return messages

    def _message_values(self, policies, bundles, **values):
        author = self.env.user.partner_id
        return [
            {
                "model": policy._name,
                "res_id": policy.id,
                "author_id": author.id,
                "email_from": author.email_formatted,
                "partner_ids": [Command.link(logs.partner_id[:1].id)],
                **{key: value[index] for key, value in values.items()},
            }
            for index, (policy, logs) in enumerate(zip(policies, bundles, strict=True))
        ]

    @api.model
    def _queue_emails(self, bundles, channel):
        if channel == "demand":
            demand = self.env.ref("insurance_renewal.mail_template_renewal_demand")
            return self._messages_by_template(
                bundles, lambda _logs: demand, self._post_emails
            )
        default = self.env.ref("insurance_renewal.mail_template_renewal_reminder")
        return self._messages_by_template(
            bundles,
            lambda logs: logs.step_id.mail_template_id or default,
            self._post_emails,
        )

    @api.model
    def _post_emails(self, template, policies, bundles):
        """Post these emails on their policies and queue them for the mail queue:
        the template rendered once for all, messages, emails and notifications
        each created in one go."""
        subjects = template._render_field("subject", policies.ids, compute_lang=True)
        langs = template._render_lang(policies.ids)
        bodies = self._render_bodies(template, policies, langs)
        reply_to = policies._notify_get_reply_to(
            default=self.env.user.partner_id.email_formatted
        )
        mail_message = self.env["mail.message"].sudo()
        messages = mail_message.create(
            self._message_values(
                policies,
                bundles,
                message_type=["notification"] * len(policies),
                subtype_id=[self.env.ref("mail.mt_comment").id] * len(policies),
                subject=[subjects[policy.id] for policy in policies],
                body=[bodies[policy.id] for policy in policies],
                reply_to=[reply_to[policy.id] for policy in policies],
            )
        )
        mails = (
            self.env["mail.mail"]
            .sudo()
            .create(
                [
                    self._mail_values(
                        policy, message, logs.partner_id[:1], template, lang
                    )
                    for policy, message, logs, lang in zip(
                        policies,
                        messages,
                        bundles,
                        (langs[policy.id] for policy in policies),
                        strict=True,
                    )
                ]
            )
        )
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": message.author_id.id,
                    "mail_message_id": message.id,
                    "mail_mail_id": mail.id,
                    "res_partner_id": mail.recipient_ids[:1].id,
                    "notification_type": "email",
                    "notification_status": "ready",
                    "is_read": True,
                }
                for message, mail in zip(messages, mails, strict=True)
            ]
        )
        return messages

    @api.model
    def _render_bodies(self, template, policies, langs):
        """Render the template's body for every policy, compiled once per
        language: Odoo's renderer compiles a template's QWeb again for every
        record, most of an email's cost."""
        bodies = {}
        for lang, ids in _group_by_value(langs).items():
            translated = template.with_context(lang=lang)
            source = (
                '<div><t t-foreach="reminder_policies" t-as="object">'
                f'{translated.body_html}<t t-out="reminder_split"/></t></div>'
            )
            variables = translated._render_eval_context()
            variables.update(
                reminder_policies=translated.env[policies._name].browse(ids),
                reminder_split=RENDER_SPLIT,
            )
            rendered = (
                self.env["ir.qweb"]
                .with_context(lang=lang)
                ._render(html.fragment_fromstring(source), variables)
            )
            parts = str(rendered)[5:-6].split(RENDER_SPLIT)
            bodies.update(zip(ids, map(Markup, parts), strict=False))
        return translated._render_template_postprocess(policies._name, bodies)

    def _mail_values(self, policy, message, payer, template, lang):
        """The queued email of a message to the payer, in Odoo's notification
        layout as ``message_post`` would have sent it."""
        recipient = {
            "id": payer.id,
            "active": payer.active,
            "email_normalized": payer.email_normalized,
            "name": payer.name,
            "lang": payer.lang,
            "groups": [],
            "notif": "email",
            "share": True,
            "type": "customer",
            "uid": False,
            "ushare": False,
            "is_follower": False,
        }
        policy = policy.with_context(lang=lang)
        body = message.body
        # A reminder tracks no field change: no need to search for any.
        msg_vals = {"tracking_value_ids": []}
        iterator = policy._notify_get_classified_recipients_iterator(
            message, [recipient], msg_vals=msg_vals, force_email_lang=lang
        )
        for _lang, render_values, group in iterator:
            body = policy._notify_by_email_render_layout(
                message, group, msg_vals=msg_vals, render_values=render_values
            )
        headers = {"X-Msg-To-Add": formataddr((payer.name, payer.email_normalized))}
        return {
            "mail_message_id": message.id,
            "references": message.message_id,
            "auto_delete": template.auto_delete,
            "headers": repr(policy._notify_by_email_get_headers(headers=headers)),
            "body_html": body,
            "recipient_ids": [Command.link(payer.id)],
            "is_notification": True,
        }

    @api.model
    def _queue_sms(self, bundles):
        """An email step sent by SMS to a customer who prefers it takes the
        addon's reminder SMS."""
        default = self.env.ref("insurance_renewal.sms_template_renewal_reminder")
        return self._messages_by_template(
            bundles,
            lambda logs: logs.step_id.sms_template_id or default,
            self._post_sms,
        )

    @api.model
    def _post_sms(self, template, policies, bundles):
        """Post these SMS on their policies and queue them for the SMS queue, as
        ``_message_sms`` would, in one go for all."""
        texts = template._render_field("body", policies.ids, compute_lang=True)
        reply_to = policies._notify_get_reply_to(
            default=self.env.user.partner_id.email_formatted
        )
        messages = (
            self.env["mail.message"]
            .sudo()
            .create(
                self._message_values(
                    policies,
                    bundles,
                    message_type=["sms"] * len(policies),
                    subtype_id=[self.env.ref("mail.mt_note").id] * len(policies),
                    body=[plaintext2html(texts[policy.id]) for policy in policies],
                    reply_to=[reply_to[policy.id] for policy in policies],
                )
            )
        )
        sms = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        # The text as rendered: what the customer reads.
                        "body": texts[policy.id],
                        "mail_message_id": message.id,
                        "partner_id": logs.partner_id[:1].id,
                        "number": self._sms_number(logs.partner_id[:1]),
                        "state": "outgoing",
                    }
                    for policy, message, logs in zip(
                        policies, messages, bundles, strict=True
                    )
                ]
            )
        )
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": message.author_id.id,
                    "mail_message_id": message.id,
                    "res_partner_id": text.partner_id.id,
                    "sms_number": text.number,
                    "notification_type": "sms",
                    "sms_id_int": text.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": text.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                }
                for message, text in zip(messages, sms, strict=True)
            ]
        )
        return messages

    @api.model
    def _sms_number(self, payer):
        number = payer.phone_sanitized or payer.phone
        return payer._phone_format(number=number) or number

    # The specialist's to-dos ---------------------------------------------------

    def _todo_values(self, log, activity_type, summary):
        """A to-do on the case the specialist works (else the policy), for who
        works it."""
        record = log._todo_record()
        return {
            "res_model_id": self.env["ir.model"]._get_id(record._name),
            "res_id": record.id,
            "activity_type_id": activity_type.id,
            "summary": summary,
            "user_id": log._todo_assignee().id,
            "date_deadline": activity_type._get_date_deadline(),
            "automated": True,
        }

    @api.model
    def _create_todos(self, values):
        """The nightly run's to-dos, in one go. They are the specialist's daily
        work list (activities, the case kanban), not news: no "assigned to you"
        email for each, which would bury the specialist's inbox every night."""
        activities = self.env["mail.activity"].sudo()
        # The activity team (OCA mail_activity_team) of each specialist and kind
        # of record, looked up once rather than once per to-do.
        teams = {}
        for vals in values:
            key = (vals["user_id"], vals["res_model_id"])
            if key not in teams:
                teams[key] = activities._get_default_team_id(*key).id
            vals["team_id"] = teams[key]
        return activities.with_context(mail_activity_quick_update=True).create(values)

    @api.model
    def _schedule_todos(self, bundles, channel):
        """A call or a letter: one to-do per instalment, in the language of the
        specialist who gets it."""
        logs = self.env["insurance.reminder.log"].union(*bundles)
        # Each to-do goes to its policy's open case: looked up for all at once.
        logs.policy_id.mapped("renewal_lead_id")
        values = []
        for log in logs:
            reader = log._in_assignee_lang()
            if channel == "phone":
                activity_type = log.step_id.activity_type_id or self.env.ref(
                    "mail.mail_activity_data_call"
                )
                summary = reader.env._(
                    "Renewal call: %(step)s", step=reader.step_id.name
                )
            else:
                activity_type = log.step_id.activity_type_id or self.env.ref(
                    "mail.mail_activity_data_todo"
                )
                summary = reader.env._(
                    "Print and post the payment notice of %(line)s",
                    line=reader.premium_line_id.display_name,
                )
            values.append(self._todo_values(log, activity_type, summary))
        logs._link_todos(self._create_todos(values))

    @api.model
    def _fall_back_on_failures(self):
        """Reminders the channel kept refusing, and whose retries are over: the
        specialist calls the customer instead."""
        given_up = self.env["insurance.reminder.log"].search(
            [
                ("state", "=", "failed"),
                ("fallback_done", "=", False),
                "|",
                ("attempt_count", ">=", MAX_ATTEMPTS),
                ("date", "<", fields.Datetime.now() - timedelta(days=CATCH_UP_DAYS)),
            ]
        )
        call = self.env.ref("mail.mail_activity_data_call")
        values = []
        for logs in given_up.grouped("policy_id").values():
            reader = logs[:1]._in_assignee_lang()
            summary = reader.env._(
                "The %(channel)s reminder could not be delivered (%(reason)s): "
                "call the customer.",
                channel=reader._channel_label(),
                reason=logs[:1].failure_reason or "-",
            )
            values.append(self._todo_values(logs[:1], call, summary))
        self._create_todos(values)
        given_up.write({"fallback_done": True})
        return len(given_up)

    @api.model
    def _report_unreachable(self, logs, reason):
        """No way to reach the customer by this channel: say so on the case and ask
        the specialist to repair the contact data, once per policy."""
        entries = []
        for policy_logs in logs.grouped("policy_id").values():
            reader = policy_logs[:1]._in_assignee_lang()
            labels = dict(
                reader._fields["skip_reason"]._description_selection(reader.env)
            )
            entries.append(
                {
                    "policy_id": policy_logs.policy_id.id,
                    "partner_id": policy_logs.partner_id[:1].id,
                    "kind": "reminder",
                    "channel": UNREACHABLE[reason],
                    "outcome": "undeliverable",
                    "note": labels[reason],
                }
            )
            policy_logs.policy_id.with_env(reader.env)._schedule_contact_repair(
                labels[reason]
            )
        self.env["insurance.renewal.activity"].create(entries)
