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
                    self._fields[fname].convert_to_column_insert(
                        values.get(fname), self, values
                    )
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
