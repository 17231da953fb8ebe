import logging
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..lib import reminders

_logger = logging.getLogger(__name__)

# The policies a greeting is logged on: every one the customer still holds.
GREETING_POLICY_STATES = ("in_force", "grace", "lapsed", "paid_up")

# A care message left our hands: taken by the mail server (then perhaps opened or
# answered) or by the SMS provider.
REACHED_TRACE_STATUSES = ("sent", "open", "reply", "pending")


class MailingMailing(models.Model):
    """Customer care (保单检视, holiday greetings) as Odoo email and SMS marketing:
    sent to a renewal segment within the reminders' opt-outs, contact hours and
    weekly cap, each send logged as a contact on the customer's policies."""

    _inherit = "mailing.mailing"

    renewal_care_kind = fields.Selection(
        [("review", "Policy Review"), ("greeting", "Holiday Greeting")],
        string="Customer Care",
        index=True,
        help="A customer care mailing: it skips customers who reached the weekly "
        "contact cap, sends SMS only within contact hours, and logs a contact on "
        "each recipient's policies.",
    )
    renewal_segment_id = fields.Many2one(
        "insurance.customer.segment",
        help="Only customers of this segment receive the mailing.",
    )
    renewal_review_date = fields.Date(
        string="Anniversary",
        readonly=True,
        copy=False,
        help="The policy anniversary this review mailing was prepared for.",
    )
    renewal_template_id = fields.Many2one(
        "mailing.mailing",
        string="Prepared From",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )

    _one_review_per_template_and_day = models.UniqueIndex(
        "(renewal_template_id, renewal_review_date) "
        "WHERE renewal_review_date IS NOT NULL",
        "An anniversary review is prepared once per template and day.",
    )

    def _get_recipients_domain(self):
        domain = super()._get_recipients_domain()
        if self.renewal_segment_id and self.mailing_model_real == "res.partner":
            domain &= Domain("renewal_segment_ids", "in", self.renewal_segment_id.ids)
        return domain

    def _action_send_mail(self, res_ids=None):
        care = self.filtered(
            lambda m: m.renewal_care_kind and m.mailing_model_real == "res.partner"
        )
        result = super(MailingMailing, self - care)._action_send_mail(res_ids=res_ids)
        reminder_engine = self.env["insurance.reminder.engine"]
        for mailing in care:
            if mailing.mailing_type == "sms" and not reminder_engine._is_contact_time():
                mailing._wait_for_contact_hours()
                continue
            # Customer care never reaches a customer who opted out, as reminders.
            mailing.use_exclusion_list = True
            recipients = res_ids or mailing._get_remaining_recipients()
            capped = mailing._cancel_over_weekly_cap(recipients)
            sendable = [res_id for res_id in recipients if res_id not in capped]
            if sendable:
                super(MailingMailing, mailing)._action_send_mail(res_ids=sendable)
            else:
                mailing.write({"state": "done", "sent_date": fields.Datetime.now()})
            mailing._log_care_contacts()
        return result

    def _wait_for_contact_hours(self):
        """An SMS mailing outside contact hours stays in the queue; the queue runs
        again when contact hours start in the company's time zone."""
        company = self.env.company
        tz = pytz.timezone(company.partner_id.tz or "Asia/Shanghai")
        local = pytz.utc.localize(datetime.now()).astimezone(tz)
        start = company.renewal_contact_hour_start
        day = local.date() + timedelta(
            days=int(local.hour + local.minute / 60 >= start)
        )
        opening = tz.localize(
            datetime.combine(day, time(int(start), round(start % 1 * 60)))
        )
        _logger.info("Care SMS mailing %s waits for contact hours (%s)", self, opening)
        self.env.ref("mass_mailing.ir_cron_mass_mailing_queue")._trigger(
            opening.astimezone(pytz.utc).replace(tzinfo=None)
        )

    def _cancel_over_weekly_cap(self, partner_ids):
        """Record the customers who reached the weekly contact cap as cancelled
        recipients of this mailing (so it never retries them) and return their ids."""
        cap = self.env.company.renewal_weekly_contact_cap
        counts = self.env["insurance.reminder.engine"]._messages_this_week_by_partner(
            partner_ids
        )
        capped = [
            pid for pid in partner_ids if reminders.over_weekly_cap(counts[pid], cap)
        ]
        partners = self.env["res.partner"].browse(capped)
        self.env["mailing.trace"].create(
            [
                {
                    "mass_mailing_id": self.id,
                    "model": "res.partner",
                    "res_id": partner.id,
                    "trace_type": "sms" if self.mailing_type == "sms" else "mail",
                    "trace_status": "cancel",
                    "failure_type": "renewal_weekly_cap",
                    "email": partner.email_normalized or partner.email,
                    **(
                        {"sms_number": partner.phone_sanitized or partner.phone}
                        if self.mailing_type == "sms"
                        else {}
                    ),
                }
                for partner in partners
            ]
        )
        return set(capped)

    def _log_care_contacts(self):
        """One contact per customer reached (the mail server or SMS provider took
        the message: a queued, failed or bounced one is no contact) and per policy
        it was about; a customer already logged for this mailing is not logged
        again."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT t.res_id
                  FROM mailing_trace t
                 WHERE t.mass_mailing_id = %(mailing)s AND t.model = 'res.partner'
                   AND t.trace_status IN %(reached)s
                   AND NOT EXISTS (
                       SELECT 1 FROM insurance_renewal_activity a
                        WHERE a.mailing_id = %(mailing)s AND a.partner_id = t.res_id)
                """,
                mailing=self.id,
                reached=REACHED_TRACE_STATUSES,
            )
        )
        policies = self._care_policies([row[0] for row in rows])
        channel = "sms" if self.mailing_type == "sms" else "email"
        # Whoever may send this mailing (email marketing rights) has the send
        # recorded on the customers' policies: the log is the addon's own record of
        # what left, not a contact that user could log by hand.
        self.env["insurance.renewal.activity"].sudo().create(
            [
                {
                    "policy_id": policy.id,
                    "partner_id": policy.partner_id.id,
                    "kind": "care",
                    "channel": channel,
                    "outcome": "sent",
                    "mailing_id": self.id,
                    "note": self.subject,
                }
                for policy in policies
            ]
        )

    def _log_care_undelivered(self, partner_ids):
        """The customers whose care message was taken (its contact logged as
        sent), then bounced or failed: an entry per policy saying it was not
        delivered, once. As superuser, as the sent ones: the addon's record of
        what became of its message."""
        contacts = self.env["insurance.renewal.activity"].sudo()
        logged = contacts.search(
            [
                ("mailing_id", "=", self.id),
                ("partner_id", "in", partner_ids),
                ("outcome", "in", ("sent", "undeliverable")),
            ]
        )
        undelivered = {
            (contact.policy_id, contact.partner_id)
            for contact in logged
            if contact.outcome == "undeliverable"
        }
        contacts.create(
            [
                {
                    "policy_id": contact.policy_id.id,
                    "partner_id": contact.partner_id.id,
                    "kind": "care",
                    "channel": contact.channel,
                    "outcome": "undeliverable",
                    "mailing_id": self.id,
                    "note": self.subject,
                }
                for contact in logged
                if contact.outcome == "sent"
                and (contact.policy_id, contact.partner_id) not in undelivered
            ]
        )

    def _care_policies(self, partner_ids):
        """The policies of these holders that this mailing is about: those whose
        anniversary it reviews, else every policy they still hold."""
        if not partner_ids:
            return self.env["insurance.policy"]
        policies = self.env["insurance.policy"].sudo()
        if self.renewal_review_date:
            policies = policies.browse(
                self.env["insurance.policy"]._anniversary_policy_ids(
                    self.renewal_review_date
                )
            )
            return policies.filtered(lambda p: p.partner_id.id in set(partner_ids))
        return policies.search(
            [
                ("partner_id", "in", partner_ids),
                ("state", "in", GREETING_POLICY_STATES),
            ]
        )

    # The anniversary review --------------------------------------------------

    @api.model
    def _cron_prepare_policy_reviews(self):
        """Prepare and queue today's policy review mailing from each review template,
        to the holders of the policies whose anniversary is today. Rerun the same
        day, it finds the mailing already prepared and does nothing."""
        today = self.env["insurance.reminder.engine"]._company_today()
        policy_ids = self.env["insurance.policy"]._anniversary_policy_ids(today)
        if not policy_ids:
            return self.browse()
        partner_ids = sorted(
            set(self.env["insurance.policy"].sudo().browse(policy_ids).partner_id.ids)
        )
        templates = self.search(
            [
                ("renewal_care_kind", "=", "review"),
                ("renewal_review_date", "=", False),
                ("renewal_template_id", "=", False),
            ]
        )
        prepared = self.search(
            [
                ("renewal_template_id", "in", templates.ids),
                ("renewal_review_date", "=", today),
            ]
        ).renewal_template_id
        mailings = self.browse()
        for template in templates - prepared:
            mailings |= template.copy(
                {
                    "renewal_template_id": template.id,
                    "renewal_review_date": today,
                    "mailing_domain": repr([("id", "in", partner_ids)]),
                    "schedule_type": "now",
                }
            )
        mailings.action_put_in_queue()
        return mailings
