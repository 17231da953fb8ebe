import re

from odoo import api, fields, models
from odoo.tools import SQL

# The values Odoo's ``_message_log`` gives a log message: a log with any other
# value (attachments, recipients, tracked values given as commands) goes
# through Odoo's create.
LOG_FIELDS = (
    "author_id",
    "body",
    "email_add_signature",
    "email_from",
    "is_internal",
    "message_id",
    "message_type",
    "model",
    "record_alias_domain_id",
    "record_company_id",
    "reply_to",
    "res_id",
    "subject",
    "subtype_id",
)
# given by _message_log, with nothing to store when empty
EMPTY_FIELDS = ("attachment_ids", "partner_ids", "tracking_value_ids")
# what mail.message's create computes when missing: always given by a log
REQUIRED_FIELDS = frozenset(LOG_FIELDS) - {
    "record_alias_domain_id",
    "record_company_id",
    "subject",
    "subtype_id",
}
# The conditions of Odoo's search for the history a notification email answers
# (mail.thread's _notify_by_email_get_base_mail_values): field -> operator.
ANCESTOR_CONDITIONS = {
    "model": "=",
    "res_id": "=",
    "id": "!=",
    "subtype_id": "!=",
    "message_id": "!=",
}
# how many of a record's last messages that search reads
ANCESTOR_LIMIT = 32
# a number in a log's body (the account a "Bank Account #12 created" names)
NUMBER = re.compile(r"[0-9]+")


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model
    def _insurance_insert_logs(self, values_list):
        """Store the log messages of ``values_list`` (the values ``_message_log``
        gives, one log per record) in one INSERT, with the columns Odoo's
        create stores for them: the body sanitised as the field does, the
        date, creator and writer. Odoo's create costs about a millisecond a
        message in Python, and a renewal import logs thousands (each new
        card on its holder, twice). Returns the messages, or None when a value
        needs Odoo's create (the caller then uses it)."""
        allowed = set(LOG_FIELDS) | set(EMPTY_FIELDS)
        seen = {}
        if not values_list or any(
            values.keys() - allowed
            or REQUIRED_FIELDS - values.keys()
            or any(values.get(fname) for fname in EMPTY_FIELDS)
            or not values["model"]
            or not values["res_id"]
            for values in values_list
        ):
            return None
        date, now, uid = fields.Datetime.now(), self.env.cr.now(), self.env.uid
        rows = [
            (
                *(
                    self._insurance_column_value(fname, values, seen)
                    for fname in LOG_FIELDS
                ),
                date,
                uid,
                now,
                uid,
                now,
            )
            for values in values_list
        ]
        columns = (*LOG_FIELDS, "date", "create_uid", "create_date")
        columns += ("write_uid", "write_date")
        self.env.cr.execute(
            SQL(
                "INSERT INTO mail_message (%s) VALUES %s RETURNING id",
                SQL(", ").join(map(SQL.identifier, columns)),
                SQL(", ").join(rows),
            )
        )
        messages = self.browse(row[0] for row in self.env.cr.fetchall())
        self._insurance_invalidate_threads(values_list)
        # in the cache, as after Odoo's create: the "assigned to you" emails of
        # the same records read them (the history they answer) one record each
        messages.fetch(columns)
        return messages

    @api.model
    def _insurance_column_value(self, fname, values, seen):
        """The column value Odoo's create stores for ``values[fname]``,
        converted once per distinct value of a batch (``seen``): a thousand
        policies log the same "Policy created", whose body the field
        sanitises."""
        value = values.get(fname)
        field = self._fields[fname]
        if not isinstance(value, str | int | bool | None):
            return field.convert_to_column_insert(value, self, values)
        key = (fname, type(value), value)
        if key not in seen:
            if fname == "body" and value:
                seen[key] = self._insurance_sanitized_body(value, seen)
            else:
                seen[key] = field.convert_to_column_insert(value, self, values)
        return seen[key]

    @api.model
    def _insurance_sanitized_body(self, body, seen):
        """``body`` as the field sanitises it. The bodies of a batch that differ
        only in one number (each new card's "Bank Account #N created" names its
        account, twice) are sanitised once, with that number as 0, then given
        their number back: the sanitiser keeps or drops a tag, an attribute or
        a text for what it is, not for the digits it holds. A body with several
        numbers, or whose sanitised form lost or gained one, is sanitised on
        its own."""
        field = self._fields["body"]
        numbers = NUMBER.findall(body)
        if len(set(numbers)) != 1:
            return field.convert_to_column_insert(body, self)
        template = type(body)(NUMBER.sub("0", body))
        key = ("body template", type(body), template)
        if key not in seen:
            seen[key] = field.convert_to_column_insert(template, self)
        sanitized = seen[key]
        if not sanitized or NUMBER.findall(sanitized) != ["0"] * len(numbers):
            return field.convert_to_column_insert(body, self)
        return type(sanitized)(NUMBER.sub(numbers[0], sanitized))

    @api.model
    def _insurance_invalidate_threads(self, values_list):
        """What mail.message's create does for the records of new messages
        (``_invalidate_documents``): their cached messages and counters are no
        longer true."""
        by_model = {}
        for values in values_list:
            by_model.setdefault(values["model"], set()).add(values["res_id"])
        for model, res_ids in by_model.items():
            records = self.env[model].browse(res_ids)
            records.invalidate_recordset(
                [
                    name
                    for name, field in records._fields.items()
                    if name in ("message_needaction", "message_needaction_counter")
                    or (field.type == "one2many" and field.comodel_name == self._name)
                ]
            )

    @api.model
    def _insurance_known_ancestors(self, messages):
        """The last messages of the records of ``messages`` that Odoo's email of
        a notified message answers (their ``references``), read for all of them
        in one query: Odoo searches them once per email, and an activation
        notifies hundreds of to-dos. ``search`` answers from the result within
        ``with_context(insurance_known_ancestors=...)``."""
        threads = {(m.model, m.res_id) for m in messages if m.model and m.res_id}
        known = KnownAncestors.fromkeys(threads, ())
        if not threads:
            return known
        self.flush_model(["model", "res_id", "subtype_id", "message_id"])
        models_, res_ids = zip(*threads, strict=True)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT t.model, t.res_id, m.id
                  FROM unnest(%s::varchar[], %s::int[]) AS t(model, res_id)
                 CROSS JOIN LATERAL (
                       SELECT m.id FROM mail_message m
                        WHERE m.model = t.model AND m.res_id = t.res_id
                          AND m.subtype_id IS NOT NULL AND m.message_id IS NOT NULL
                        ORDER BY m.id DESC
                        LIMIT %s) AS m
                 ORDER BY t.model, t.res_id, m.id DESC
                """,
                list(models_),
                list(res_ids),
                # one more: the message itself is left out of its own history
                ANCESTOR_LIMIT + 1,
            )
        )
        for model, res_id, message_id in rows:
            known[model, res_id] += (message_id,)
        # what Odoo reads of each history to choose and name the messages its
        # email answers, read for all at once (as Odoo reads it: as superuser)
        self.sudo().browse(row[2] for row in rows).fetch(
            ["message_id", "is_internal", "message_type", "subtype_id"]
        )
        return known

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        """See ``_insurance_known_ancestors``: a notification email's history,
        already read for the whole batch."""
        known = self.env.context.get("insurance_known_ancestors")
        # only our own mapping (a client's context cannot hold one)
        if isinstance(known, KnownAncestors) and not offset and order == "id DESC":
            found = known.answer(domain, limit)
            if found is not None:
                return self.browse(found)
        return super().search(domain, offset=offset, limit=limit, order=order)


class KnownAncestors(dict):
    """{(model, res_id): ids of the record's last messages with a subtype and
    a message id, newest first}. Equal only to itself: Odoo reuses an
    environment whose context is equal."""

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def answer(self, domain, limit):
        """The ids Odoo's search of a message's history finds, or None when
        ``domain`` is another search or names a record not read."""
        if not limit or limit > ANCESTOR_LIMIT or not isinstance(domain, list):
            return None
        conditions = {}
        for item in domain:
            if not (isinstance(item, tuple) and len(item) == 3):
                return None
            conditions[item[0]] = item[1:]
        if {name: op for name, (op, _v) in conditions.items()} != ANCESTOR_CONDITIONS:
            return None
        if conditions["subtype_id"][1] is not False:
            return None
        if conditions["message_id"][1] is not False:
            return None
        key = (conditions["model"][1], conditions["res_id"][1])
        if key not in self:
            return None
        itself = conditions["id"][1]
        return [message_id for message_id in self[key] if message_id != itself][:limit]
