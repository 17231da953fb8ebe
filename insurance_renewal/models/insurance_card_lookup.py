import logging

from psycopg2.errors import ReadOnlySqlTransaction

from odoo import api, fields, models
from odoo.exceptions import AccessError

_logger = logging.getLogger(__name__)

LIMIT_PARAM = "insurance_renewal.card_lookups_per_day"
DEFAULT_LIMIT = 100
# Odoo's screens and code name one number at a time; a list longer than this is
# a guess at the digits a masked number hides, not a lookup.
MAX_NUMBERS_PER_SEARCH = 10
# numbers already counted in this transaction (a list view searches twice)
COUNTED_KEY = "insurance_card_numbers_counted"


class InsuranceCardLookup(models.Model):
    """How many bank card numbers a user who sees them masked has looked up by
    their full value, per day.

    A masked number hides its middle digits, and a search by the full number
    tells whether it exists: a client guessing every value of the hidden digits
    would rebuild the number. Each user may look up a limited number of full
    numbers a day (``insurance_renewal.card_lookups_per_day``); past it the
    search is refused and counted, for compliance to see."""

    _name = "insurance.card.lookup"
    _description = "Card Number Lookups"
    _order = "day desc, numbers desc"

    user_id = fields.Many2one(
        "res.users", required=True, readonly=True, index=True, ondelete="cascade"
    )
    day = fields.Date(required=True, readonly=True)
    numbers = fields.Integer(
        string="Numbers Looked Up",
        readonly=True,
        help="Full card numbers this user searched for on this day (each number "
        "once per request).",
    )
    refused = fields.Integer(
        string="Searches Refused",
        readonly=True,
        help="Searches refused because the user had reached the day's limit or "
        "named too many numbers at once.",
    )

    _user_day_unique = models.Constraint(
        "UNIQUE(user_id, day)", "One count per user and day."
    )

    @api.model
    def _count_lookup(self, numbers):
        """Count ``numbers`` (full card numbers the current user searches for)
        against the user's daily limit; refuse the search past it.

        The numbers are counted in the search's own transaction. A refusal is
        counted on a cursor of its own, committed at once, as the refused
        request is rolled back; the day's count is read first, so that this
        cursor never waits for a row the request holds."""
        counted = self._counted_numbers()
        new = set(numbers) - counted
        if not new:
            return
        if self.env.cr.readonly:
            # a read-only request (on a replica): Odoo serves it again on a
            # read/write cursor when it needs to write
            raise ReadOnlySqlTransaction(
                "Counting a card number lookup needs a read/write cursor"
            )
        if len(numbers) > MAX_NUMBERS_PER_SEARCH:
            self._refuse(
                self.env._(
                    "A search may name at most %(limit)s bank card numbers at once.",
                    limit=MAX_NUMBERS_PER_SEARCH,
                )
            )
        limit = self._daily_limit()
        if limit and self._today_count() + len(new) > limit:
            self._refuse(
                self.env._(
                    "You have looked up %(limit)s bank card numbers by their full "
                    "value today, the most allowed to a user who sees them masked. "
                    "Ask a user of the Personal Data group.",
                    limit=limit,
                )
            )
        self._add_to_today(self.env.cr, numbers=len(new))
        counted |= new

    @api.model
    def _counted_numbers(self):
        """The numbers the current transaction has already counted."""
        return self.env.cr.cache.setdefault(COUNTED_KEY, set())

    @api.model
    def _daily_limit(self):
        param = self.env["ir.config_parameter"].sudo().get_param(LIMIT_PARAM)
        return int(param) if param else DEFAULT_LIMIT

    @api.model
    def _today_count(self):
        self.env.cr.execute(
            "SELECT numbers FROM insurance_card_lookup WHERE user_id = %s AND day = %s",
            (self.env.uid, fields.Date.context_today(self)),
        )
        row = self.env.cr.fetchone()
        return row[0] if row else 0

    @api.model
    def _refuse(self, message):
        if self._counted_numbers():
            # this transaction holds the day's row: counted with it (and rolled
            # back with the refused request; the log line stays)
            self._add_to_today(self.env.cr, refused=1)
        else:
            with self.env.registry.cursor() as cr:
                self._add_to_today(cr, refused=1)
        _logger.warning(
            "Card number search refused for user %s (id %s): %s",
            self.env.user.login,
            self.env.uid,
            message,
        )
        raise AccessError(message)

    @api.model
    def _add_to_today(self, cr, numbers=0, refused=0):
        """Add to the current user's count of the day on ``cr``."""
        cr.execute(
            """
            INSERT INTO insurance_card_lookup (
                user_id, day, numbers, refused,
                create_uid, create_date, write_uid, write_date
            )
            VALUES (%(uid)s, %(day)s, %(numbers)s, %(refused)s,
                    %(uid)s, %(now)s, %(uid)s, %(now)s)
            ON CONFLICT (user_id, day) DO UPDATE
               SET numbers = insurance_card_lookup.numbers + EXCLUDED.numbers,
                   refused = insurance_card_lookup.refused + EXCLUDED.refused,
                   write_uid = EXCLUDED.write_uid,
                   write_date = EXCLUDED.write_date
            """,
            {
                "uid": self.env.uid,
                "day": fields.Date.context_today(self),
                "numbers": numbers,
                "refused": refused,
                "now": fields.Datetime.now(),
            },
        )
        self.invalidate_model(["numbers", "refused"])
