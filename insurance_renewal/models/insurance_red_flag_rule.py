import re
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import identity

# What a "change of phone, email, address or bank account" is, in Odoo's field
# tracking: the partner's tracked fields, and who holds and pays the policy and
# how (changed by a user or by the renewal data import).
TRACKED_CHANGES = {
    "res.partner": (
        "phone",
        "email",
        "contact_address_inline",
        "insurance_bank_accounts",
    ),
    "insurance.policy": ("payer_id", "partner_id", "payment_method"),
}
# The policy changes the administration system reports (保全) that count too.
REPORTED_CHANGES = ("contact", "address", "bank", "payer", "beneficiary")
CLOSE_RELATIONS = ("self", "spouse", "parent", "child")


class InsuranceRedFlagRule(models.Model):
    """A check compliance runs every night on the policies, with its thresholds."""

    _name = "insurance.red.flag.rule"
    _description = "Red Flag Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    code = fields.Selection(
        [
            ("identity", "Identity Number Invalid or Mismatched"),
            ("payer_relation", "Payer Neither Holder Nor Close Relation"),
            ("unknown_account", "Receipt From an Account Not on File"),
            ("frequent_changes", "Frequent Contact or Bank Changes"),
            ("change_before_exit", "Change Shortly Before a Surrender or Claim"),
        ],
        string="Check",
        required=True,
    )
    change_count = fields.Integer(
        string="Change Limit (N)",
        default=2,
        help="Frequent changes: flag a customer with more than this many changes "
        "of phone, email, address or bank account within the period.",
    )
    period_days = fields.Integer(
        string="Period in Days (M)",
        default=90,
        help="Frequent changes: the period the changes are counted in.",
    )
    days_before_exit = fields.Integer(
        string="Days Before Exit (K)",
        default=30,
        help="Change before a surrender or claim: flag a change of contact or bank "
        "data within this many days before the policy ended.",
    )
    description = fields.Text(translate=True)

    _thresholds_positive = models.Constraint(
        "CHECK(change_count >= 0 AND period_days > 0 AND days_before_exit >= 0)",
        "A red flag rule's thresholds must be positive.",
    )

    # The nightly run -----------------------------------------------------------

    @api.model
    def _cron_detect_red_flags(self, batch_size=1000):
        """Run every active rule on the policies, in committed batches; a hit
        already flagged (open or cleared) is never flagged twice."""
        policies = self.env["insurance.policy"]
        domain = [("state", "!=", "draft")]
        self.env["ir.cron"]._commit_progress(remaining=policies.search_count(domain))
        self.env["insurance.batch.runner"]._process_in_batches(
            policies, domain, self._detect_batch, batch_size
        )

    @api.model
    def _detect_batch(self, policies):
        flags = self.env["insurance.red.flag"]
        for company, company_policies in policies.grouped("company_id").items():
            flags |= self._detect_company_batch(company_policies, company)
        return flags

    @api.model
    def _detect_company_batch(self, policies, company):
        # The evidence is written once for every reader: in the language of the
        # policies' company (not the company of whoever runs the check).
        rules = self.with_context(lang=company.partner_id.lang or self.env.lang).search(
            []
        )
        hits = []
        for rule in rules:
            hits += [
                dict(hit, rule_id=rule.id)
                for hit in getattr(rule, f"_detect_{rule.code}")(policies.sudo())
            ]
        return rules.env["insurance.red.flag"]._raise_flags(hits)

    def _hit(self, policy, partner, key, evidence):
        return {
            "policy_id": policy.id,
            "partner_id": partner.id,
            "key": key,
            "evidence": evidence,
        }

    def _detect_identity(self, policies):
        """An identity number that fails its check, is also another person's,
        or a payer's bank account in another name."""
        hits = []
        people = policies.partner_id | policies.insured_id | policies.payer_id
        numbers = {p: p.identity_number for p in people if p.identity_number}
        namesakes = self._identity_owners(list(numbers.values()))
        for policy in policies:
            for partner in policy.partner_id | policy.insured_id | policy.payer_id:
                number = numbers.get(partner)
                masked = identity.mask(number)
                if number and identity.ric_error(number):
                    hits.append(
                        self._hit(
                            policy,
                            partner,
                            f"invalid:{partner.id}:{masked}",
                            self.env._(
                                "The resident identity number %(number)s of "
                                "%(partner)s does not check out.",
                                number=masked,
                                partner=partner.name,
                            ),
                        )
                    )
                others = {
                    name for name in namesakes.get(number, ()) if name != partner.name
                }
                if number and others:
                    hits.append(
                        self._hit(
                            policy,
                            partner,
                            f"shared:{partner.id}:{masked}",
                            self.env._(
                                "The resident identity number %(number)s of "
                                "%(partner)s is also on file for %(others)s.",
                                number=masked,
                                partner=partner.name,
                                others=", ".join(sorted(others)),
                            ),
                        )
                    )
            hits += self._bank_name_hits(policy)
        return hits

    def _identity_owners(self, numbers):
        partners = (
            self.env["res.partner"]
            .sudo()
            .search_fetch(
                [("identity_number", "in", numbers)], ["identity_number", "name"]
            )
        )
        owners = defaultdict(set)
        for partner in partners:
            owners[partner.identity_number].add(partner.name)
        return owners

    def _bank_name_hits(self, policy):
        payer = policy.payer_id
        return [
            self._hit(
                policy,
                payer,
                f"bank_name:{account.id}:{account.acc_holder_name}",
                self.env._(
                    "The bank account %(account)s of %(payer)s is in the name of "
                    "%(holder)s.",
                    account=account.acc_number_masked,
                    payer=payer.name,
                    holder=account.acc_holder_name,
                ),
            )
            for account in payer.bank_ids
            if account.acc_holder_name
            and _normalised_name(account.acc_holder_name)
            != _normalised_name(payer.name)
        ]

    def _detect_payer_relation(self, policies):
        return [
            self._hit(
                policy,
                policy.payer_id,
                f"payer:{policy.payer_id.id}:{policy.payer_relation or ''}",
                self.env._(
                    "%(payer)s pays the premiums of %(holder)s, declared as: "
                    "%(relation)s.",
                    payer=policy.payer_id.name,
                    holder=policy.partner_id.name,
                    relation=dict(
                        policy._fields["payer_relation"]._description_selection(
                            self.env
                        )
                    ).get(policy.payer_relation)
                    or self.env._("no relation declared"),
                ),
            )
            for policy in policies
            if policy.payer_id != policy.partner_id
            and policy.payer_relation not in CLOSE_RELATIONS
        ]

    def _detect_unknown_account(self, policies):
        """Premium receipts paid from an account that neither the payer nor the
        holder has on file (only where finance imported the receipts)."""
        receipts = (
            self.env["account.bank.statement.line"]
            .sudo()
            .search(
                [
                    ("insurance_invoice_id.insurance_policy_id", "in", policies.ids),
                    ("account_number", "!=", False),
                ]
            )
        )
        hits = []
        for receipt in receipts:
            policy = receipt.insurance_invoice_id.insurance_policy_id
            on_file = {
                _normalised_account(account.acc_number)
                for account in (policy.payer_id | policy.partner_id).bank_ids
            }
            if _normalised_account(receipt.account_number) not in on_file:
                hits.append(
                    self._hit(
                        policy,
                        policy.payer_id,
                        f"receipt:{receipt.id}",
                        self.env._(
                            "Receipt %(receipt)s of %(amount)s on %(date)s came "
                            "from account %(account)s, which is not on file for "
                            "the payer or the holder.",
                            receipt=receipt.payment_ref or receipt.id,
                            amount=receipt.amount,
                            date=receipt.date,
                            account=identity.mask_card(receipt.account_number),
                        ),
                    )
                )
        return hits

    def _detect_frequent_changes(self, policies):
        since = fields.Datetime.now() - timedelta(days=self.period_days)
        changes = self._tracked_changes(policies, since)
        hits = []
        for policy in policies:
            found = changes[policy]
            if len(found) > self.change_count:
                hits.append(
                    self._hit(
                        policy,
                        policy.payer_id,
                        f"changes:{found[-1][1]}",
                        self.env._(
                            "%(count)s changes of phone, email, address or bank "
                            "account in %(days)s days: %(changes)s",
                            count=len(found),
                            days=self.period_days,
                            changes=_describe(found),
                        ),
                    )
                )
        return hits

    def _detect_change_before_exit(self, policies):
        exits = policies._red_flag_exit_dates()
        if not exits:
            return []
        earliest = min(exits.values()) - timedelta(days=self.days_before_exit)
        changes = self._tracked_changes(
            self.env["insurance.policy"].union(*exits),
            fields.Datetime.to_datetime(earliest),
        )
        hits = []
        for policy, exit_date in exits.items():
            start = exit_date - timedelta(days=self.days_before_exit)
            found = [c for c in changes[policy] if start <= c[0].date() <= exit_date]
            if found:
                hits.append(
                    self._hit(
                        policy,
                        policy.payer_id,
                        f"exit:{exit_date}:{found[-1][1]}",
                        self.env._(
                            "Contact or bank data changed within %(days)s days "
                            "before the policy ended on %(date)s: %(changes)s",
                            days=self.days_before_exit,
                            date=exit_date,
                            changes=_describe(found),
                        ),
                    )
                )
        return hits

    def _tracked_changes(self, policies, since):
        """Return ``{policy: [(date, reference, label)]}``, oldest first: the
        changes since ``since`` of the policy's payer and holder and of the
        policy itself (Odoo's field tracking, one change per message), and the
        policy changes the administration system reported, in two queries."""
        by_record = self._tracking_changes(policies, since)
        for policy_id, change in self._reported_changes(policies, since):
            by_record["insurance.policy", policy_id].append(change)
        return {
            policy: sorted(
                by_record["insurance.policy", policy.id]
                + by_record["res.partner", policy.partner_id.id]
                + (
                    by_record["res.partner", policy.payer_id.id]
                    if policy.payer_id != policy.partner_id
                    else []
                )
            )
            for policy in policies
        }

    def _tracking_changes(self, policies, since):
        self.env.flush_all()
        partners = policies.partner_id | policies.payer_id
        rows = self.env.execute_query(
            SQL(
                """
                SELECT m.model, m.res_id, m.id, m.date,
                       string_agg(DISTINCT COALESCE(
                           f.field_description->>%(lang)s,
                           f.field_description->>'en_US'), ', ')
                  FROM mail_tracking_value v
                  JOIN mail_message m ON m.id = v.mail_message_id
                  JOIN ir_model_fields f ON f.id = v.field_id
                 WHERE m.date >= %(since)s
                   AND ((m.model = 'res.partner' AND m.res_id IN %(partners)s
                         AND f.model = 'res.partner' AND f.name IN %(pfields)s)
                     OR (m.model = 'insurance.policy' AND m.res_id IN %(policies)s
                         AND f.model = 'insurance.policy' AND f.name IN %(xfields)s))
                 GROUP BY m.model, m.res_id, m.id, m.date
                """,
                lang=self.env.lang or "en_US",
                since=since,
                partners=tuple(partners.ids) or (0,),
                policies=tuple(policies.ids) or (0,),
                pfields=TRACKED_CHANGES["res.partner"],
                xfields=TRACKED_CHANGES["insurance.policy"],
            )
        )
        by_record = defaultdict(list)
        for model, res_id, message_id, date, labels in rows:
            by_record[model, res_id].append((date, str(message_id), labels))
        return by_record

    def _reported_changes(self, policies, since):
        """``[(policy id, (date, reference, label))]``: the reported changes, on
        the day the administration system made them."""
        events = (
            self.env["insurance.policy.event"]
            .sudo()
            .search_fetch(
                [
                    ("policy_id", "in", policies.ids),
                    ("event_type", "in", REPORTED_CHANGES),
                    ("event_date", ">=", fields.Date.to_date(since)),
                ],
                ["policy_id", "event_date", "event_type"],
            )
        )
        labels = dict(events._fields["event_type"]._description_selection(self.env))
        return [
            (
                event.policy_id.id,
                (
                    fields.Datetime.to_datetime(event.event_date),
                    f"event{event.id}",
                    labels[event.event_type],
                ),
            )
            for event in events
        ]


def _normalised_name(name):
    return re.sub(r"\s+", "", name or "").casefold()


def _normalised_account(number):
    return re.sub(r"\W", "", number or "").upper()


def _describe(changes):
    return "; ".join(f"{date:%Y-%m-%d} {labels}" for date, _ref, labels in changes)
