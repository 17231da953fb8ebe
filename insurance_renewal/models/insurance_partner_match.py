from collections import defaultdict

from odoo import api, models

# The people of a row of the renewal extract: role -> the row's columns.
ROLES = {
    "holder": {
        "name": "holder_name",
        "identity": "holder_id",
        "phone": "holder_phone",
        "email": "holder_email",
        "street": "holder_address",
    },
    "insured": {"name": "insured_name", "identity": "insured_id"},
    "payer": {"name": "payer_name", "identity": "payer_id", "phone": "payer_phone"},
}
POLICY_ROLE_FIELDS = {
    "holder": "partner_id",
    "insured": "insured_id",
    "payer": "payer_id",
}


class InsurancePartnerMatch(models.AbstractModel):
    """Finds the customers named by imported policies instead of duplicating
    them: by resident identity number, then by phone and name, then as the person
    the policy already names; creates the others, and brings the contact data of
    those found up to date."""

    _name = "insurance.partner.match"
    _description = "Match the People of Imported Policies"

    @api.model
    def _match(self, rows, policies, company):
        """Return {row number: (holder, insured, payer)} for the rows, creating
        the people not found and their debit cards."""
        people = [
            (row, role, self._person(row, columns))
            for row in rows
            for role, columns in ROLES.items()
            if row[columns["name"]]
        ]
        known = self._known(people, company)
        found, to_create, pending = {}, {}, {}
        for row, role, person in people:
            policy = policies.get(row["policy"])
            partner = self._find(person, known, policy, role)
            if partner:
                found[(row["row"], role)] = partner
                continue
            keys = self._new_keys(person, row, role)
            key = next((pending[k] for k in keys if k in pending), keys[0])
            pending.update(dict.fromkeys(keys, key))
            to_create.setdefault(key, person)
            found[(row["row"], role)] = key
        created = self._create(to_create, company)
        for key, value in found.items():
            if not isinstance(value, models.BaseModel):
                found[key] = created[value]
        self._update([(found[(r["row"], role)], p) for r, role, p in people])
        result = {}
        for row in rows:
            holder = found[(row["row"], "holder")]
            payer = found.get((row["row"], "payer"), holder)
            insured = found.get((row["row"], "insured"), holder.browse())
            result[row["row"]] = (holder, insured, payer)
        self._add_cards(rows, result)
        return result

    @staticmethod
    def _person(row, columns):
        return {key: row.get(column) or "" for key, column in columns.items()}

    @api.model
    def _known(self, people, company):
        """The partners the batch's identity numbers and phones name, in one
        query each. Identity numbers are readable by the Personal Data group only:
        the importing user's rights were checked by the import, which only
        compares them here."""
        Partner = self.env["res.partner"].sudo()
        in_company = [("company_id", "in", [False, company.id])]
        numbers = list({p["identity"] for _r, _role, p in people if p["identity"]})
        phones = list({p.get("phone") for _r, _role, p in people if p.get("phone")})
        by_identity = {
            partner.identity_number: partner.with_env(self.env)
            for partner in Partner.search([("identity_number", "in", numbers)])
            if partner.company_id.id in (False, company.id)
        }
        by_phone = {
            (partner.phone, partner.name): partner.with_env(self.env)
            for partner in Partner.search([("phone", "in", phones), *in_company])
        }
        return by_identity, by_phone

    @staticmethod
    def _find(person, known, policy, role):
        by_identity, by_phone = known
        if person["identity"] in by_identity:
            return by_identity[person["identity"]]
        # the person the policy names already first: a file imported again
        # must not move a policy to a namesake
        candidates = [policy[POLICY_ROLE_FIELDS[role]] if policy else None]
        candidates.append(by_phone.get((person.get("phone"), person["name"])))
        for partner in filter(None, candidates):
            if partner.name == person["name"] and (
                not person["identity"]
                or partner.sudo().identity_number in (False, person["identity"])
            ):
                return partner
        return None

    @staticmethod
    def _new_keys(person, row, role):
        """What makes two people of one batch the same new partner: the identity
        number, or the phone and name; a person with neither stays alone."""
        keys = []
        if person["identity"]:
            keys.append(("identity", person["identity"]))
        if person.get("phone"):
            keys.append(("phone", person["phone"], person["name"]))
        return keys or [("row", row["row"], role)]

    @api.model
    def _create(self, to_create, company):
        """Create the people not found. Written as superuser for the identity
        number, which only the Personal Data group may type: the import checked
        that its user may create policies."""
        keys = list(to_create)
        # no creation message nor the importer as follower of every new
        # customer, as Odoo's own import does
        Partner = self.env["res.partner"].sudo().with_context(tracking_disable=True)
        vals_list = [
            {
                "name": person["name"],
                "identity_number": person["identity"] or False,
                "phone": person.get("phone") or False,
                "email": person.get("email") or False,
                "street": person.get("street") or False,
                "company_id": False,
            }
            for person in to_create.values()
        ]
        partners = Partner.create(self._with_defaults(Partner, vals_list))
        return dict(zip(keys, partners.with_env(self.env), strict=True))

    @api.model
    def _with_defaults(self, model, vals_list):
        """``vals_list`` (values of the same fields) with the default values
        Odoo's create adds to each of them: the same for every record of the
        batch (they come from the context, the user and the model, not from
        the values), so looked up once rather than once per new customer or
        card."""
        if not vals_list:
            return vals_list
        given = vals_list[0].keys()
        defaults = {
            fname: value
            for fname, value in model._add_missing_default_values(
                dict(vals_list[0])
            ).items()
            if fname not in given
        }
        return [{**defaults, **vals} for vals in vals_list]

    @api.model
    def _update(self, pairs):
        """Bring each partner found up to date with the file: phone, email and
        address when the file gives them (a person given in several rows: the
        last row's), the identity number when missing; not the contact data of
        a colleague's user (``_kept_by_their_users``). Only what differs is
        written, so a file imported twice changes nothing; partners given the
        same new values are written together. The partners whose phone or
        email changed are then told so at once (their contact data date, the
        repair to-dos of those now unreachable) rather than after each write."""
        changes, identities = {}, {}
        kept = self._kept_by_their_users(
            self.env["res.partner"].union(*(partner for partner, _person in pairs))
        )
        for partner, person in pairs:
            if partner not in kept:
                vals = changes.setdefault(partner, {})
                for key in ("phone", "email", "street"):
                    if person.get(key) and vals.get(key, partner[key]) != person[key]:
                        vals[key] = person[key]
            if person["identity"] and not partner.sudo().identity_number:
                identities.setdefault(partner, person["identity"])
        groups = defaultdict(lambda: self.env["res.partner"])
        for partner, vals in changes.items():
            vals = {key: value for key, value in vals.items() if partner[key] != value}
            if vals:
                groups[tuple(sorted(vals.items()))] |= partner
        changed = set()
        # what Odoo's write reads of each partner, read once for all of them
        prefetch = [partner.id for partner in changes]
        for vals, partners in groups.items():
            partners.with_prefetch(prefetch).with_context(
                insurance_contact_changed=changed
            ).write(dict(vals))
        for partner, number in identities.items():
            # See _known: the import's user was checked; the number is
            # logged masked on the partner.
            partner.sudo().identity_number = number
        if changed:
            self.env["res.partner"].browse(changed)._contact_data_changed()

    @api.model
    def _kept_by_their_users(self, partners):
        """The partners among ``partners`` that are the contacts of internal
        users other than the importer (an agent holding a policy himself): only
        an administrator changes a user's contact data, which Odoo refuses to
        anyone else, so the file leaves theirs as their user has it rather than
        fail the whole import."""
        return partners.filtered(
            lambda partner: any(
                user._is_internal() and user != self.env.user
                for user in partner.user_ids
            )
        )

    @api.model
    def _add_cards(self, rows, people):
        """Give each payer the debit card of the file, once. Bank accounts are
        Odoo's partner managers' to create: the import, which only renewal
        specialists may run, adds the card as superuser."""
        Bank = self.env["res.partner.bank"].sudo()
        cards = {
            (people[row["row"]][2].id, row["card_number"]): row
            for row in rows
            if row["card_number"]
        }
        if not cards:
            return
        existing = {
            (account.partner_id.id, account.sanitized_acc_number)
            for account in Bank.with_context(active_test=False).search(
                [("sanitized_acc_number", "in", [card for _p, card in cards])]
            )
        }
        banks = self._banks({row["bank_name"] for row in cards.values()})
        # as for the people: no creation message on each card (the holder's
        # chatter still logs it, masked), Odoo's defaults looked up once
        Bank = Bank.with_context(tracking_disable=True)
        vals_list = [
            {
                "partner_id": partner_id,
                "acc_number": card,
                "bank_id": banks.get(row["bank_name"], Bank.bank_id).id,
            }
            for (partner_id, card), row in cards.items()
            if (partner_id, card) not in existing
        ]
        Bank.create(self._with_defaults(Bank, vals_list))

    @api.model
    def _banks(self, names):
        """The banks named in the file, created when Odoo does not know them."""
        names = {name for name in names if name}
        Bank = self.env["res.bank"].sudo()
        banks = {bank.name: bank for bank in Bank.search([("name", "in", list(names))])}
        missing = [name for name in names if name not in banks]
        for bank in Bank.create([{"name": name} for name in missing]):
            banks[bank.name] = bank
        return banks
