from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import email_normalize

from ..lib import contact, identity, schedule

# Who may see a customer's renewal situation.
RENEWAL_GROUPS = "sales_team.group_sale_salesman,account.group_account_invoice"
# Who sees identity and bank card numbers in full, and who sees them masked.
PERSONAL_DATA_GROUP = "insurance_renewal.group_insurance_renewal_personal_data"
MASKED_DATA_GROUPS = (
    "insurance_renewal.group_insurance_renewal_user,account.group_account_invoice,"
    "insurance_renewal.group_insurance_underwriter,"
    "insurance_renewal.group_insurance_compliance"
)
# From the most to the least troubling: the partner shows the worst of its policies.
RENEWAL_STATUS_BY_POLICY_STATE = {
    "lapsed": "lapsed",
    "grace": "grace",
    "in_force": "ok",
    "paid_up": "ok",
    "surrendered": "closed",
    "terminated": "closed",
}
RENEWAL_STATUS_RANK = ["lapsed", "grace", "ok", "closed"]
RENEWAL_STATUSES = [
    ("lapsed", "Policy suspended"),
    ("grace", "Premium in grace period"),
    ("ok", "Premiums up to date"),
    ("closed", "No policy in force"),
]


def worst_renewal_status(policy_states):
    """The customer's renewal status: the most troubling of their policies'."""
    statuses = {RENEWAL_STATUS_BY_POLICY_STATE.get(state) for state in policy_states}
    return next((status for status in RENEWAL_STATUS_RANK if status in statuses), False)


CONTACT_STATUSES = [
    (contact.OK, "OK"),
    (contact.UNVERIFIED, "Unverified"),
    (contact.INVALID_PHONE, "Invalid phone"),
    (contact.INVALID_EMAIL, "Invalid email"),
    (contact.BOUNCED_EMAIL, "Bounced email"),
    (contact.WRONG_NUMBER, "Wrong number reported"),
    (contact.LOST, "Lost contact"),
]
SPECIALIST_GROUP = "insurance_renewal.group_insurance_renewal_user"


class PendingLogs(list):
    """Log messages gathered to be created in one batch (see
    ``_insurance_gather_logs``). Equal only to itself: Odoo reuses an
    environment whose context is equal, and two batches' lists may be equal
    (both empty) without being the same list."""

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


class ResPartner(models.Model):
    # a renewal import brings hundreds of customers' contact data up to date:
    # their tracking messages are written in batch
    _name = "res.partner"
    _inherit = ["res.partner", "insurance.tracking.batch.mixin"]

    # Where a customer lives matters later (a reminder letter, a change just
    # before a claim): every change of the address is tracked.
    street = fields.Char(tracking=True)
    street2 = fields.Char(tracking=True)
    zip = fields.Char(tracking=True)
    city = fields.Char(tracking=True)
    state_id = fields.Many2one(tracking=True)
    country_id = fields.Many2one(tracking=True)

    insurance_policy_ids = fields.One2many(
        "insurance.policy",
        "partner_id",
        string="Insurance Policies",
        groups=RENEWAL_GROUPS,
    )
    # Leads and meeting attendees copy their partner's email and phone. After
    # each write of a partner's email or phone, Odoo searches them for that
    # partner (twice: before and after the write) unless the partner has a
    # plain inverse of their link. With these, it reads them once for all the
    # partners being worked on: the renewal import writes thousands, each with
    # its own email, one write each. Kept for Odoo's use (administrators only).
    insurance_lead_ids = fields.One2many(
        "crm.lead", "partner_id", string="All Leads", groups="base.group_system"
    )
    insurance_attendee_ids = fields.One2many(
        "calendar.attendee",
        "partner_id",
        string="All Meeting Attendances",
        groups="base.group_system",
    )
    renewal_preferred_channel = fields.Selection(
        [("email", "Email"), ("sms", "SMS")],
        string="Preferred Reminder Channel",
        help="Renewal reminders by email or SMS go through this channel instead.",
    )
    insurance_policy_count = fields.Integer(
        string="Policies",
        compute="_compute_insurance_policy_count",
        groups=RENEWAL_GROUPS,
    )
    renewal_status = fields.Selection(
        RENEWAL_STATUSES,
        string="Renewal Status (All Policies)",
        compute="_compute_renewal_status",
        store=True,
        # Of every policy, whoever may read them: kept for the administrator and
        # the figures; users read ``renewal_status_seen``.
        groups="base.group_system",
        help="The most urgent renewal state among all the policies this customer "
        "holds, in every company.",
    )
    renewal_status_seen = fields.Selection(
        selection=RENEWAL_STATUSES,
        string="Renewal Status",
        compute="_compute_renewal_status_seen",
        search="_search_renewal_status_seen",
        groups=RENEWAL_GROUPS,
        help="The most urgent renewal state among this customer's policies that you "
        "may see: a sales rep's own customers' policies, your companies' policies.",
    )

    renewal_lead_id = fields.Many2one(
        "crm.lead",
        string="Open Renewal Case",
        compute="_compute_renewal_contact",
        groups=RENEWAL_GROUPS,
    )
    renewal_last_activity_id = fields.Many2one(
        "insurance.renewal.activity",
        string="Last Renewal Contact",
        compute="_compute_renewal_contact",
        groups=RENEWAL_GROUPS,
    )
    renewal_segment_ids = fields.Many2many(
        "insurance.customer.segment",
        string="Renewal Segments",
        compute="_compute_renewal_segment_ids",
        search="_search_renewal_segment_ids",
        help="How this customer pays their premiums; use it to target a campaign.",
    )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_renewal_segment_ids(self):
        """From the policies the reader may see (see ``_partner_ids``)."""
        segments = self.env["insurance.customer.segment"].search([])
        members = {segment: segment._partner_ids(self.ids) for segment in segments}
        for partner in self:
            partner.renewal_segment_ids = segments.filtered(
                lambda segment, p=partner: p.id in members[segment]
            )

    def _search_renewal_segment_ids(self, operator, value):
        if operator not in ("in", "not in", "any", "not any"):
            return NotImplemented
        segments = self.env["insurance.customer.segment"]
        if operator in ("any", "not any"):
            segments = segments.search(value)
        else:
            segments = segments.browse(value)
        partner_ids = list(segments._partner_ids())
        return [("id", "not in" if "not" in operator else "in", partner_ids)]

    # The customer overview: one screen of everything the customer owes
    overview_policy_ids = fields.Many2many(
        "insurance.policy",
        string="Policies as Holder or Payer",
        compute="_compute_renewal_overview",
    )
    overview_line_ids = fields.Many2many(
        "insurance.premium.line",
        string="Premiums Due and Overdue",
        compute="_compute_renewal_overview",
    )
    overview_case_ids = fields.Many2many(
        "crm.lead", string="Open Renewal Cases", compute="_compute_renewal_overview"
    )
    overview_activity_ids = fields.Many2many(
        "insurance.renewal.activity",
        string="Last Contacts",
        compute="_compute_renewal_overview",
    )
    overview_currency_id = fields.Many2one(
        "res.currency", compute="_compute_renewal_overview"
    )
    overview_amount_due = fields.Monetary(
        string="Coming Due",
        currency_field="overview_currency_id",
        compute="_compute_renewal_overview",
    )
    overview_amount_overdue = fields.Monetary(
        string="Overdue",
        currency_field="overview_currency_id",
        compute="_compute_renewal_overview",
    )

    def _compute_renewal_overview(self):
        """Premiums overdue (in grace or suspended) and coming due (due today or
        within the case window)."""
        today = self.env["insurance.policy"]._clock_today()
        window_end = self.env["crm.lead"]._renewal_window_end(today)
        # Finance and the other teams see what is owed; the cases and the
        # contact log stay with the users who may read them.
        Contact = self.env["insurance.renewal.activity"]
        sees_cases = self.env["crm.lead"].has_access("read")
        sees_contacts = Contact.has_access("read")
        for partner in self:
            policies = partner._renewal_overview_policies()
            lines = policies.premium_line_ids.filtered(
                lambda line: (
                    line.state in (schedule.DUE, schedule.GRACE, schedule.LAPSED)
                    or (line.state == schedule.PLANNED and line.due_date <= window_end)
                )
            )
            overdue = lines.filtered(
                lambda line: line.state in (schedule.GRACE, schedule.LAPSED)
            )
            partner.overview_policy_ids = policies
            partner.overview_line_ids = lines.sorted("due_date")
            # Storing even no case or contact checks the user's read right on
            # them: the teams without it get the empty lists as superuser.
            shown = partner if sees_cases else partner.sudo()
            shown.overview_case_ids = sees_cases and policies.renewal_lead_ids.filtered(
                lambda lead: lead.active and lead.won_status == "pending"
            )
            shown = partner if sees_contacts else partner.sudo()
            shown.overview_activity_ids = sees_contacts and Contact.search(
                [("policy_id", "in", policies.ids)], limit=10
            )
            partner.overview_currency_id = (
                policies.currency_id[:1] or self.env.company.currency_id
            )
            partner.overview_amount_overdue = sum(overdue.mapped("amount_residual"))
            partner.overview_amount_due = sum(
                (lines - overdue).mapped("amount_residual")
            )

    def _renewal_overview_policies(self):
        """Policies the customer (or a contact of the same company) holds or pays."""
        self.ensure_one()
        family = Domain("commercial_partner_id", "=", self.commercial_partner_id.id)
        return self.env["insurance.policy"].search(
            Domain("partner_id", "any", family) | Domain("payer_id", "any", family)
        )

    identity_number = fields.Char(
        string="Resident Identity Number",
        groups=PERSONAL_DATA_GROUP,
        copy=False,
        index="btree_not_null",
        help="居民身份证号: 18 characters, the last one a check digit or X.",
    )
    identity_number_masked = fields.Char(
        string="Resident Identity Number (masked)",
        compute="_compute_identity_number_masked",
        store=True,
        groups=MASKED_DATA_GROUPS,
        help="The resident identity number with all but its first three and last "
        "four characters hidden.",
    )

    insurance_bank_accounts = fields.Char(
        string="Bank Accounts",
        readonly=True,
        copy=False,
        groups=MASKED_DATA_GROUPS,
        help="The customer's bank accounts, masked. Each change is tracked (masked "
        "too), so that compliance sees how often they change.",
    )
    phone_invalid = fields.Boolean(
        string="Invalid Phone",
        readonly=True,
        copy=False,
        help="The phone number as typed is not a valid number: it was kept as it is "
        "and needs repairing.",
    )
    email_invalid = fields.Boolean(
        string="Invalid Email",
        compute="_compute_email_invalid",
        store=True,
        help="The email address is not a valid address.",
    )

    insurance_payer_policy_ids = fields.One2many(
        "insurance.policy",
        "payer_id",
        string="Policies Paid",
        groups=RENEWAL_GROUPS,
    )
    renewal_activity_ids = fields.One2many(
        "insurance.renewal.activity",
        "partner_id",
        string="Renewal Contacts",
        groups=RENEWAL_GROUPS,
    )
    reminder_log_ids = fields.One2many(
        "insurance.reminder.log",
        "partner_id",
        string="Renewal Reminders",
        groups=RENEWAL_GROUPS,
    )
    contact_status = fields.Selection(
        CONTACT_STATUSES,
        string="Contactability",
        compute="_compute_contact_status",
        store=True,
        index=True,
        groups=RENEWAL_GROUPS,
        help="Whether the renewal team can reach this policyholder or payer: from "
        "the phone and email on file, the contact log (wrong numbers, "
        "undeliverable messages), bounced reminders and the last verification.",
    )
    contact_data_date = fields.Datetime(
        string="Contact Data Changed On",
        readonly=True,
        copy=False,
        groups=RENEWAL_GROUPS,
    )
    contact_verified_date = fields.Datetime(
        string="Contact Data Verified On",
        readonly=True,
        copy=False,
        groups=RENEWAL_GROUPS,
    )
    contact_verified_by_id = fields.Many2one(
        "res.users",
        string="Contact Data Verified By",
        readonly=True,
        copy=False,
        groups=RENEWAL_GROUPS,
    )

    @api.depends("email")
    def _compute_email_invalid(self):
        for partner in self:
            partner.email_invalid = bool(partner.email) and not email_normalize(
                partner.email
            )

    @api.depends(
        "phone",
        "phone_invalid",
        "email",
        "email_invalid",
        "contact_data_date",
        "contact_verified_date",
        "insurance_policy_ids",
        "insurance_payer_policy_ids",
        "renewal_activity_ids.outcome",
        "renewal_activity_ids.kind",
        "renewal_activity_ids.channel",
        "renewal_activity_ids.date",
        "reminder_log_ids.state",
        "reminder_log_ids.date",
        "reminder_log_ids.channel",
    )
    def _compute_contact_status(self):
        # Read the evidence of every partner at once: ``filtered`` in
        # ``_contact_channel_states`` keeps only one partner's contacts for
        # prefetching, one query per partner otherwise.
        self.renewal_activity_ids.fetch(["date", "outcome", "kind", "channel"])
        self.reminder_log_ids.fetch(["state", "date", "channel"])
        for partner in self:
            if partner.insurance_policy_ids or partner.insurance_payer_policy_ids:
                partner.contact_status = contact.contact_status(
                    *partner._contact_channel_states()
                )
            else:
                partner.contact_status = False

    def _contact_channel_states(self):
        """The phone's and the email's state, and whether the data was verified
        since it last changed. Evidence older than the last change or
        verification no longer counts."""
        since = max(
            filter(None, (self.contact_data_date, self.contact_verified_date)),
            default=False,
        )
        contacts = self.renewal_activity_ids.filtered(
            lambda a: not since or a.date > since
        )
        # a bounced SMS refutes the phone, a bounced email or demand the email
        bounced_channels = {
            log.channel
            for log in self.reminder_log_ids
            if log.state == "bounced" and (not since or log.date > since)
        }
        wrong_number = "sms" in bounced_channels or any(
            a.outcome == "wrong_number"
            or (
                a.outcome == "undeliverable"
                and a.kind == "contact"
                and a.channel in ("phone", "sms")
            )
            for a in contacts
        )
        bounced = bool(bounced_channels & {"email", "demand"}) or any(
            a.outcome == "undeliverable"
            and a.kind == "contact"
            and a.channel == "email"
            for a in contacts
        )
        phone = self._channel_state(self.phone, self.phone_invalid, wrong_number)
        email = self._channel_state(self.email, self.email_invalid, bounced)
        verified = bool(self.contact_verified_date) and (
            not self.contact_data_date
            or self.contact_verified_date >= self.contact_data_date
        )
        return phone, email, verified

    @staticmethod
    def _channel_state(value, invalid, refuted):
        if not value:
            return "missing"
        if invalid:
            return "invalid"
        return "refuted" if refuted else "valid"

    @api.depends("identity_number")
    def _compute_identity_number_masked(self):
        for partner in self:
            partner.identity_number_masked = identity.mask(partner.identity_number)

    def _compute_renewal_contact(self):
        cases = self.env["crm.lead"].search(
            [
                ("partner_id", "in", self.ids),
                ("insurance_policy_id", "!=", False),
                ("won_status", "=", "pending"),
            ],
            order="renewal_risk_score desc",
        )
        contacts = self.env["insurance.renewal.activity"].search(
            [("partner_id", "in", self.ids)], order="date desc"
        )
        for partner in self:
            partner.renewal_lead_id = cases.filtered(
                lambda lead, p=partner: lead.partner_id == p
            )[:1]
            partner.renewal_last_activity_id = contacts.filtered(
                lambda act, p=partner: act.partner_id == p
            )[:1]

    def _compute_insurance_policy_count(self):
        counts = dict(
            self.env["insurance.policy"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.insurance_policy_count = counts.get(partner, 0)

    @api.depends("insurance_policy_ids.state")
    def _compute_renewal_status(self):
        for partner in self:
            partner.renewal_status = worst_renewal_status(
                partner.insurance_policy_ids.mapped("state")
            )

    @api.depends_context("uid", "allowed_company_ids")
    @api.depends("insurance_policy_ids.state")
    def _compute_renewal_status_seen(self):
        """From the policies the reader may read (record rules): a sales rep of
        another team or a user of another company is not told that someone else's
        customer lets a premium run into grace."""
        states = self._readable_policy_states(Domain("partner_id", "in", self.ids))
        for partner in self:
            partner.renewal_status_seen = worst_renewal_status(states[partner.id])

    def _search_renewal_status_seen(self, operator, value):
        if operator not in ("in", "="):
            return NotImplemented
        wanted = {value} if operator == "=" else set(value)
        states = self._readable_policy_states(Domain("partner_id", "!=", False))
        return Domain(
            "id",
            "in",
            [
                partner_id
                for partner_id, policy_states in states.items()
                if worst_renewal_status(policy_states) in wanted
            ],
        )

    def _readable_policy_states(self, domain):
        """``{partner id: states of their policies the user may read}``, in one
        grouped query under the user's record rules."""
        states = defaultdict(set)
        policies = self.env["insurance.policy"]
        if not policies.has_access("read"):
            return states
        for partner, state in policies._read_group(domain, ["partner_id", "state"]):
            states[partner.id].add(state)
        return states

    def action_open_renewal_overview(self):
        """Everything the customer owes on their policies, in one screen."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Overview"),
            "res_model": "res.partner",
            "res_id": self.commercial_partner_id.id,
            "view_mode": "form",
            "views": [
                (
                    self.env.ref("insurance_renewal.res_partner_view_form_overview").id,
                    "form",
                )
            ],
        }

    @api.constrains("identity_number")
    def _check_identity_number(self):
        for partner in self.filtered("identity_number"):
            error = identity.ric_error(partner.identity_number)
            if error:
                raise ValidationError(
                    partner._identity_number_error(error, partner.identity_number)
                )

    def _identity_number_error(self, error, number):
        messages = {
            "length": self.env._(
                "The resident identity number %(number)s of %(partner)s does not "
                "have 18 characters: check that no digit is missing or extra."
            ),
            "format": self.env._(
                "The resident identity number %(number)s of %(partner)s must be 17 "
                "digits followed by a digit or X."
            ),
            "checksum": self.env._(
                "The check digit of the resident identity number %(number)s of "
                "%(partner)s is wrong: a character was probably mistyped."
            ),
            "component": self.env._(
                "The resident identity number %(number)s of %(partner)s holds no "
                "valid birth date: check the 7th to 14th digits."
            ),
        }
        return messages[error] % {
            "number": identity.mask(number),
            "partner": self.display_name,
        }

    def _compute_phone_sanitized(self):
        """A phone stored in E.164 and valid (as the addon stores every phone
        it can read) is its own sanitized number, as Odoo's phone_validation
        finds it: not parsed again for every new customer of an import."""
        stored = self.filtered(
            lambda partner: (
                partner.phone
                and partner.phone.startswith("+")
                and contact.e164(partner.phone) == partner.phone
            )
        )
        for partner in stored:
            partner.phone_sanitized = partner.phone
        return super(ResPartner, self - stored)._compute_phone_sanitized()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalise_identity_vals(vals)
            if "phone" in vals:
                vals.update(self._phone_vals(vals["phone"], self._phone_region(vals)))
        return super().create(vals_list)

    def write(self, vals):
        self._normalise_identity_vals(vals)
        before = {}
        if "identity_number" in vals:
            before = {p: p.sudo().identity_number_masked for p in self}
        result = True
        for partners, partner_vals in self._split_phone_write(vals):
            result = super(ResPartner, partners).write(partner_vals) and result
        if before:
            self._log_identity_number_change(before)
        if {"phone", "email"} & vals.keys():
            gathered = self.env.context.get("insurance_contact_changed")
            # a set only server code can pass (a client's context holds none)
            if not isinstance(gathered, set):
                self._contact_data_changed()
            else:
                # the caller writes many partners one by one: it runs
                # _contact_data_changed once for all of them
                gathered.update(self.ids)
        return result

    def _contact_data_changed(self):
        """New phone or email: earlier wrong numbers and bounces no longer count,
        and the data needs verifying again."""
        self.sudo().write({"contact_data_date": fields.Datetime.now()})
        self._schedule_contact_repair()

    def _split_phone_write(self, vals):
        """A phone is read in its customer's country: write it once per country,
        in E.164 where it is valid, as typed and flagged where it is not."""
        if "phone" not in vals:
            return [(self, vals)]
        by_region = defaultdict(self.browse)
        for partner in self:
            by_region[partner._phone_region(vals)] |= partner
        return [
            (partners, {**vals, **self._phone_vals(vals["phone"], region)})
            for region, partners in by_region.items()
        ]

    def _phone_region(self, vals):
        """The customer's country, else the company's, else China."""
        country = self.country_id
        if vals.get("country_id"):
            country = self.env["res.country"].browse(vals["country_id"])
        country = country or self.env.company.country_id
        return country.code or contact.DEFAULT_REGION

    @api.model
    def _phone_vals(self, phone, region):
        number = contact.e164(phone, region)
        return {"phone": number or phone, "phone_invalid": bool(phone) and not number}

    @api.model
    def _normalise_identity_vals(self, vals):
        if vals.get("identity_number"):
            vals["identity_number"] = identity.compact_ric(vals["identity_number"])

    def _log_identity_number_change(self, before):
        """Track the change with both values masked: Odoo's own tracking would
        keep the full number in mail.tracking.value."""
        for partner in self.sudo():
            old, new = before[partner], partner.identity_number_masked
            if old != new:
                partner._insurance_log_masked_change("identity_number_masked", old, new)

    def _insurance_track_bank_accounts(self):
        """Keep the masked list of bank accounts and log each change of it as a
        tracked value, masked: Odoo's own tracking of the number would keep it
        in full. The logs of many partners are created at once."""
        partners = self.sudo().exists()
        changes = {}
        for partner in partners:
            old = partner.insurance_bank_accounts or ""
            new = ", ".join(partner.bank_ids.mapped("acc_number_masked"))
            if old != new:
                partner.write({"insurance_bank_accounts": new})
                changes[partner] = (old, new)
        if changes:
            partners._insurance_log_masked_changes("insurance_bank_accounts", changes)

    def _insurance_log_masked_change(self, fname, old, new):
        """Log a change of a masked field as a tracked value, never in the
        message's body: the chatter shows a tracked value only to who may read
        its field (renewal, finance, underwriting, compliance), the body to
        every follower."""
        self.ensure_one()
        self._insurance_log_masked_changes(fname, {self: (old, new)})

    def _insurance_log_masked_changes(self, fname, changes):
        """``_insurance_log_masked_change`` for many partners: ``changes`` maps
        each partner to its old and new value; one message each, the messages
        and their tracked values each created in one batch."""
        gathering, pending = self._insurance_gather_logs()
        for partner in changes:
            partner.with_env(gathering.env)._message_log()
        messages = self._insurance_create_logs(pending)
        field_info = self.fields_get([fname])[fname]
        Tracking = self.env["mail.tracking.value"]
        # as _message_log does: the caller decided to log this change
        Tracking.sudo().create(
            [
                {
                    **Tracking._create_tracking_values(
                        old, new, fname, field_info, partner
                    ),
                    "mail_message_id": message.id,
                }
                for message, (partner, (old, new)) in zip(
                    messages, changes.items(), strict=True
                )
            ]
        )

    def _insurance_gather_logs(self):
        """``self`` in an environment where the log messages of partners
        (``_message_log``, which Odoo's own code calls once per record) are
        gathered in the returned list instead of created one INSERT at a time;
        ``_insurance_create_logs`` then creates them in one batch."""
        pending = PendingLogs()
        return self.with_context(insurance_pending_logs=pending), pending

    def _insurance_create_logs(self, pending):
        """The messages gathered by ``_insurance_gather_logs``, created as Odoo's
        ``_message_log`` creates them: as the superuser, the caller's right to
        change the records having been checked by the change being logged.
        Stored in one INSERT (``mail.message._insurance_insert_logs``)."""
        logs = self.sudo().with_context(insurance_pending_logs=None)
        messages = logs.env["mail.message"]._insurance_insert_logs(pending)
        return logs._message_create(pending) if messages is None else messages

    def _message_create(self, values_list):
        pending = self.env.context.get("insurance_pending_logs")
        if pending is None or not self.env.su:
            # only the logs are gathered (``_message_log`` creates them as the
            # superuser); a message posted by a user is created at once
            return super()._message_create(values_list)
        # see _insurance_gather_logs: created by the caller with the others
        pending.extend(values_list)
        return self.env["mail.message"]

    def action_verify_contact_data(self):
        """The specialist confirmed the phone and email with the customer."""
        if not self.env.user.has_group(SPECIALIST_GROUP):
            raise AccessError(
                self.env._("Only renewal specialists may verify contact data.")
            )
        invalid = self.filtered(lambda p: p.phone_invalid or p.email_invalid)
        if invalid:
            raise UserError(
                self.env._(
                    "Correct the phone or email of %(partners)s before confirming "
                    "the contact data.",
                    partners=", ".join(invalid.mapped("display_name")),
                )
            )
        now = fields.Datetime.now()
        self.sudo().write(
            {"contact_verified_date": now, "contact_verified_by_id": self.env.uid}
        )
        self._close_contact_repair()
        for partner in self:
            partner._message_log(
                body=self.env._(
                    "Contact data confirmed with the customer by %(user)s.",
                    user=self.env.user.name,
                )
            )
        return True

    def _contact_repair_activities(self):
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.ids),
                    (
                        "activity_type_id",
                        "=",
                        self.env.ref(
                            "insurance_renewal.mail_activity_type_contact_repair"
                        ).id,
                    ),
                ]
            )
        )

    def _schedule_contact_repair(self):
        """One data-repair to-do for each unreachable customer that has none open,
        for the specialist of their policies."""
        unreachable = self.sudo().filtered(
            lambda p: p.contact_status in contact.UNREACHABLE
        )
        pending = unreachable - unreachable.browse(
            unreachable._contact_repair_activities().mapped("res_id")
        )
        specialists = pending._renewal_specialists()
        # Scheduled together for the customers who share a specialist and a
        # note (a few groups even when thousands of policies are activated).
        groups = pending.grouped(
            lambda partner: (
                specialists.get(partner.id) or self.env.uid,
                partner._contact_repair_note(),
            )
        )
        todos = self.env["mail.activity"]
        for (user_id, note), partners in groups.items():
            todos |= partners.with_context(
                mail_activity_quick_update=True
            ).activity_schedule(
                "insurance_renewal.mail_activity_type_contact_repair",
                note=note,
                user_id=user_id,
            )
        # a specialist given several is told once (a digest), not per to-do
        todos._insurance_notify_assigned()

    def _contact_repair_note(self):
        labels = dict(self._fields["contact_status"]._description_selection(self.env))
        return self.env._(
            "Contactability: %(status)s. Find a working phone or email with the "
            "customer, then verify the contact data.",
            status=labels[self.contact_status],
        )

    def _renewal_specialists(self):
        policies = (
            self.env["insurance.policy"]
            .sudo()
            .search(
                [
                    "|",
                    ("partner_id", "in", self.ids),
                    ("payer_id", "in", self.ids),
                    ("specialist_id", "!=", False),
                ]
            )
        )
        return {
            partner.id: policy.specialist_id.id
            for policy in policies
            for partner in policy.partner_id | policy.payer_id
        }

    def _close_contact_repair(self):
        activities = self._contact_repair_activities()
        if activities:
            activities.action_feedback(feedback=self.env._("Contact data verified."))

    def action_view_insurance_policies(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_policy_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
