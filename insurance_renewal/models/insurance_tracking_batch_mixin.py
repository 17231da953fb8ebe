from markupsafe import escape

from odoo import models
from odoo.exceptions import MissingError
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id

# How far back Odoo looks for the message a new one answers (mail.thread's
# _message_compute_parent_id).
PARENT_SEARCH_LIMIT = 200


class InsuranceTrackingBatchMixin(models.AbstractModel):
    """Chatter tracking written in batch when many records change at once.

    Odoo posts the tracking message of every changed record one by one (a
    message_post each: its parent message, alias domain, reply-to, followers and
    two INSERTs, about ten queries). The clock and activation change hundreds of
    policies and cases per batch, a bank file pays hundreds of invoices: here
    the messages whose subtype no follower of the record listens to (nobody is
    notified, so message_post would only store them) are created in one go
    with the values message_post or _message_log would have given them, their
    tracking values in one more; the others still go through message_post,
    followers notified as before. One record alone goes through Odoo's own path
    unchanged."""

    _name = "insurance.tracking.batch.mixin"
    _inherit = ["mail.thread"]
    _description = "Chatter Tracking in Batch"

    def _message_track(self, fields_iter, initial_values_dict):
        if len(self) < 2 or not fields_iter:
            return super()._message_track(fields_iter, initial_values_dict)
        tracked_fields = self.fields_get(
            fields_iter, attributes=("string", "type", "selection", "currency_field")
        )
        tracking = {}
        for record in self:
            try:
                tracking[record.id] = record._mail_track(
                    tracked_fields, initial_values_dict[record.id]
                )
            except MissingError:
                continue
        data = self.env.cr.precommit.data
        bodies = data.pop(f"mail.tracking.message.{self._name}", {})
        authors = data.pop(f"mail.tracking.author.{self._name}", {})
        posts = []
        existing = {}  # subtype -> whether it still exists, checked once each
        for record in self:
            changes, tracking_value_ids = tracking.get(record.id, (None, None))
            if not changes:
                continue
            subtype = record._track_subtype(
                {name: initial_values_dict[record.id][name] for name in changes}
            )
            if subtype and subtype not in existing:
                existing[subtype] = bool(subtype.exists())
            if subtype and not existing[subtype]:
                continue
            if not subtype and not tracking_value_ids:
                continue
            posts.append(
                {
                    "record": record,
                    "subtype": subtype,
                    "author_id": authors[record.id].id
                    if record.id in authors
                    else None,
                    "body": bodies[record.id]
                    if record.id in bodies
                    else record._track_get_default_log_message(changes),
                    "tracking_value_ids": tracking_value_ids,
                }
            )
        followed = self._tracking_followed_ids(
            [post for post in posts if post["subtype"]]
        )
        quiet = []
        for post in posts:
            if post["subtype"] and post["record"].id in followed:
                post["record"].message_post(
                    body=post["body"],
                    author_id=post["author_id"],
                    subtype_id=post["subtype"].id,
                    tracking_value_ids=post["tracking_value_ids"],
                )
            else:
                quiet.append(post)
        self._tracking_create_messages(quiet)
        return tracking

    def _tracking_followed_ids(self, posts):
        """The ids of the records among ``posts`` whose followers listen to the
        subtype of their tracking message: those are notified, so posted."""
        if not posts:
            return set()
        self.env["mail.followers"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT f.res_id
                  FROM mail_followers f
                  JOIN mail_followers_mail_message_subtype_rel r
                    ON r.mail_followers_id = f.id
                  JOIN unnest(%s::int[], %s::int[]) AS p(res_id, subtype_id)
                    ON p.res_id = f.res_id AND p.subtype_id = r.mail_message_subtype_id
                 WHERE f.res_model = %s
                """,
                [post["record"].id for post in posts],
                [post["subtype"].id for post in posts],
                self._name,
            )
        )
        return {row[0] for row in rows}

    def _tracking_parent_ids(self, records):
        """``{record id: id of the message a new one answers}``, as
        mail.thread's _message_compute_parent_id gives it for a flat thread, for
        all ``records`` in one query."""
        if not records or not self._mail_flat_thread:
            return {}
        self.env["mail.message"].flush_model(
            ["model", "res_id", "message_type", "date"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.id, last.id
                  FROM unnest(%s::int[]) AS r(id)
                  CROSS JOIN LATERAL (
                        SELECT recent.id
                          FROM (SELECT m.id, m.date, m.message_type
                                  FROM mail_message m
                                 WHERE m.model = %s AND m.res_id = r.id
                                   AND m.message_type != 'user_notification'
                                 ORDER BY m.date DESC, m.id DESC
                                 LIMIT %s) AS recent
                         ORDER BY recent.message_type IN ('comment', 'email') DESC,
                                  recent.date DESC, recent.id DESC
                         LIMIT 1) AS last
                """,
                records.ids,
                self._name,
                PARENT_SEARCH_LIMIT,
            )
        )
        return dict(rows)

    def _tracking_create_messages(self, posts):
        """Create the tracking messages of ``posts`` at once, with the values
        message_post (a subtype) or _message_log (none) would have stored."""
        if not posts:
            return
        thread = self.env["mail.thread"]
        note = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        records = self.browse([post["record"].id for post in posts])
        posted = records.browse([p["record"].id for p in posts if p["subtype"]])
        parents = self._tracking_parent_ids(posted)
        alias_domains = posted.sudo()._mail_get_alias_domains(
            default_company=self.env.company
        )
        companies = posted._mail_get_companies(default=self.env.company)
        authors = {}
        reply_tos = {}
        values_list = []
        for post in posts:
            record = post["record"]
            key = post["author_id"]
            if key not in authors:
                authors[key] = self._message_compute_author(key, None)
            author_id, email_from = authors[key]
            values = {
                "author_id": author_id,
                "email_from": email_from,
                "model": self._name,
                "res_id": record.id,
                "body": escape(post["body"]),
                "message_type": "notification",
                "subject": False,
                "partner_ids": [],
            }
            if post["subtype"]:
                if (email_from, author_id) not in reply_tos:
                    reply_tos[email_from, author_id] = posted._notify_get_reply_to(
                        default=email_from, author_id=author_id
                    )
                values |= {
                    "subtype_id": post["subtype"].id,
                    "email_add_signature": True,
                    "author_guest_id": False,
                    "parent_id": parents.get(record.id, False),
                    "record_alias_domain_id": alias_domains[record.id].id,
                    "record_company_id": companies[record.id].id,
                    "reply_to": reply_tos[email_from, author_id][record.id],
                }
            else:
                if ("log", author_id) not in reply_tos:
                    reply_tos["log", author_id] = thread._notify_get_reply_to(
                        default=email_from, author_id=author_id
                    )[False]
                values |= {
                    "subtype_id": note,
                    "is_internal": True,
                    "email_add_signature": False,
                    "record_alias_domain_id": False,
                    "record_company_id": False,
                    "message_id": generate_tracking_message_id("message-notify"),
                    "reply_to": reply_tos["log", author_id],
                }
            values_list.append(values)
        messages = self.sudo()._message_create(values_list)
        # mail.message creates each message's tracking values on their own (an
        # INSERT per message): the same rows, for every message at once.
        self.env["mail.tracking.value"].sudo().create(
            [
                dict(command[2], mail_message_id=message.id)
                for message, post in zip(messages, posts, strict=True)
                for command in post["tracking_value_ids"] or ()
            ]
        )
