from odoo import api, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

from ..lib import identity

PERSONAL_DATA_GROUP = "insurance_renewal.group_insurance_renewal_personal_data"
# Searching a hidden number by its full value only: Odoo's own code finds an
# account from a statement's or a file's number this way.
EXACT_OPERATORS = {"=", "!=", "in", "not in"}
LIKE_OPERATORS = {"like", "ilike", "not like", "not ilike", "=like", "=ilike"}


class InsuranceCardNumberMixin(models.AbstractModel):
    """Bank card numbers kept in full (the bank cannot debit a masked one, and
    Odoo's payment code reads them), but masked for every user outside Personal
    Data on every path a client can call: ``read``, ``search_read``,
    ``web_read``, ``web_search_read`` and exports give the masked
    number; a search may name the full number or the masked text, never a part
    of the hidden digits (no rebuilding a number letter by letter with
    ``ilike``); grouping, aggregating and sorting by the number are refused.
    A search by full numbers is counted against a daily limit per user
    (``insurance.card.lookup``), so that the hidden digits cannot be guessed
    over many calls. Server code reads the fields as they are; searches it runs
    as the superuser are not restricted."""

    _name = "insurance.card.number.mixin"
    _description = "Card Numbers Read Masked"

    # the fields of the inheriting model that hold a card number in full
    _insurance_card_fields = ()

    @api.model
    def _insurance_cards_masked(self):
        """Whether the current user sees card numbers masked (even in sudo: a
        value read or a name rendered in sudo is still shown to this user)."""
        return not self.env.user.has_group(PERSONAL_DATA_GROUP)

    @api.model
    def _insurance_card_search_restricted(self):
        return not self.env.su and self._insurance_cards_masked()

    @api.model
    def _insurance_mask(self, number):
        """The number as the current user sees it masked."""
        return identity.mask_card(number)

    def _insurance_cards_hidden(self):
        """The records of ``self`` whose numbers the current user sees masked."""
        return self if self._insurance_cards_masked() else self.browse()

    def _read_format(self, fnames, load="_classic_read"):
        result = super()._read_format(fnames, load=load)
        card_fields = [name for name in fnames if name in self._insurance_card_fields]
        if card_fields and result:
            hidden = set(self._insurance_cards_hidden().ids)
            for values in result:
                if values["id"] in hidden:
                    self._insurance_mask_values(values, card_fields)
        return result

    @api.model
    def _insurance_mask_values(self, values, card_fields):
        for name in card_fields:
            if isinstance(values.get(name), str) and values[name]:
                values[name] = self._insurance_mask(values[name])

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        rows = super()._export_rows(fields, _is_toplevel_call=_is_toplevel_call)
        if not self._insurance_cards_hidden():
            return rows
        columns = [
            index
            for index, path in enumerate(fields)
            if len(path) == 1 and path[0] in self._insurance_card_fields
        ]
        for row in rows:
            for index in columns:
                if row[index]:
                    row[index] = self._insurance_mask(row[index])
        return rows

    @api.model
    def _search(
        self,
        domain,
        offset=0,
        limit=None,
        order=None,
        *,
        active_test=True,
        bypass_access=False,
    ):
        # also when reached through a join that bypasses access rules
        if self._insurance_card_search_restricted():
            domain = Domain(domain).map_conditions(self._insurance_card_condition)
            self._insurance_check_card_specs((order or "").split(","))
        return super()._search(
            domain,
            offset,
            limit,
            order,
            active_test=active_test,
            bypass_access=bypass_access,
        )

    @api.model
    def _search_display_name(self, operator, value):
        domain = Domain(super()._search_display_name(operator, value))
        if self._insurance_card_search_restricted():
            domain = domain.map_conditions(self._insurance_card_condition)
        return domain

    @api.model
    def _read_group(
        self,
        domain,
        groupby=(),
        aggregates=(),
        having=(),
        offset=0,
        limit=None,
        order=None,
    ):
        if self._insurance_card_search_restricted():
            self._insurance_check_card_specs(
                [*groupby, *aggregates, *(order or "").split(",")]
            )
        return super()._read_group(
            domain, groupby, aggregates, having, offset, limit, order
        )

    @api.model
    def _insurance_card_condition(self, condition):
        """The search condition a user who sees numbers masked may run."""
        if condition.field_expr not in self._insurance_card_fields:
            return condition
        if condition.operator in EXACT_OPERATORS:
            self._insurance_count_card_lookup(condition.value)
            return condition
        if condition.operator in LIKE_OPERATORS:
            return self._insurance_card_like_domain(condition)
        raise self._insurance_card_access_error(condition.field_expr)

    @api.model
    def _insurance_count_card_lookup(self, value):
        """A search by full numbers tells whether they exist: counted against
        the user's daily limit (``insurance.card.lookup``)."""
        values = [value] if isinstance(value, str) else value
        if isinstance(values, (list, tuple, set, frozenset)):
            numbers = sorted({number for number in values if number})
            if numbers:
                self.env["insurance.card.lookup"]._count_lookup(numbers)

    @api.model
    def _insurance_known_numbers(self, numbers):
        """Numbers the user types in to save them: not a lookup when Odoo then
        searches for them (the archived twin of a new bank account)."""
        lookups = self.env["insurance.card.lookup"]
        lookups._counted_numbers().update(number for number in numbers if number)

    @api.model
    def _insurance_card_like_domain(self, condition):
        """A partial search of a hidden number: refused unless the model can
        match the masked text instead."""
        raise self._insurance_card_access_error(condition.field_expr)

    @api.model
    def _insurance_check_card_specs(self, specs):
        """Refuse grouping, aggregating or sorting by a hidden number: the order
        of the groups would give the digits away."""
        for spec in specs:
            name = spec.strip().split(" ")[0].split(":")[0].split(".")[0]
            if name in self._insurance_card_fields:
                raise self._insurance_card_access_error(name)

    @api.model
    def _insurance_card_access_error(self, fname):
        return AccessError(
            self.env._(
                "Bank card numbers are shown masked to you: you may search "
                "%(field)s by the full number or by its visible digits, but not "
                "sort, group or compare by it. Ask a user of the Personal Data "
                "group.",
                field=self._fields[fname].get_description(self.env)["string"],
            )
        )
