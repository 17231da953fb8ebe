from odoo import api, models
from odoo.tools import clean_context, split_every

# The context key under which notification emails are gathered (see
# MailThread._insurance_gather_emails).
GATHER_KEY = "insurance_gathered_emails"


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _notify_thread_by_email(
        self, message, recipients_data, *, msg_vals=False, **kwargs
    ):
        """Gathered instead of made at once within ``_insurance_gather_emails``."""
        gathered = self.env.context.get(GATHER_KEY)
        # only our own list (a client's context cannot hold one): a caller may
        # not silence the emails of what it posts
        if not isinstance(gathered, GatheredEmails):
            return super()._notify_thread_by_email(
                message, recipients_data, msg_vals=msg_vals, **kwargs
            )
        gathered.append((self, message, recipients_data, msg_vals, kwargs))
        return True

    @api.model
    def _insurance_gather_emails(self):
        """A context in which the notification emails of the messages notified
        (``_notify_thread``, one message at a time) are gathered rather than
        created one ``mail.mail`` and one ``mail.notification`` INSERT each;
        ``_insurance_create_emails`` then makes them all. Inbox, push and SMS
        notifications are made as usual."""
        gathered = GatheredEmails()
        return {GATHER_KEY: gathered}, gathered

    @api.model
    def _insurance_create_emails(self, gathered):
        """Odoo's ``_notify_thread_by_email`` for each gathered message (the
        same recipients, layout, headers and references, rendered in each
        record's language), with the emails and their notifications created
        in one batch each; each message's emails sent as Odoo would (queued,
        or after the commit when fewer than the force-send limit). The history
        each email answers (its references) is read for all at once."""
        mails, notifications, sends = [], [], []
        known = self.env["mail.message"]._insurance_known_ancestors(
            [message for _r, message, _d, _v, _k in gathered]
        )
        for record, message, recipients_data, msg_vals, kwargs in gathered:
            partners_data = [r for r in recipients_data if r["notif"] == "email"]
            if not partners_data:
                continue
            first = len(mails)
            record.with_context(
                insurance_known_ancestors=known
            )._insurance_email_values(
                message, partners_data, msg_vals, kwargs, mails, notifications
            )
            sends.append((record, first, len(mails), kwargs))
        if not mails:
            return
        # as Odoo: without the residual default_* keys of the caller's context
        context = clean_context(self.env.context)
        context.pop(GATHER_KEY, None)
        env = self.env(context=context, su=True)
        emails = env["mail.mail"].create(mails)
        env["mail.notification"].create(
            [
                {**values, "mail_mail_id": emails[index].id}
                for index, values in notifications
            ]
        )
        for record, first, last, kwargs in sends:
            record._insurance_send_emails(emails[first:last], kwargs)

    def _insurance_email_values(
        self, message, partners_data, msg_vals, kwargs, mails, notifications
    ):
        """Append to ``mails`` the values of the emails Odoo's
        ``_notify_thread_by_email`` creates for ``message``, and to
        ``notifications`` (index of the email in ``mails``, values) those of
        their notifications."""
        additional_values = {"auto_delete": kwargs.get("mail_auto_delete", True)}
        if kwargs.get("mail_headers"):
            additional_values["headers"] = kwargs["mail_headers"]
        base_mail_values = self._notify_by_email_get_base_mail_values(
            message, partners_data, additional_values=additional_values
        )
        base_notification_values = self._notify_by_email_get_base_notification_values(
            message
        )
        params = self.env["ir.config_parameter"].sudo()
        batch_size = int(params.get_param("mail.batch_size")) or 50
        groups = self._notify_get_classified_recipients_iterator(
            message,
            partners_data,
            msg_vals=msg_vals,
            model_description=kwargs.get("model_description", False),
            force_email_company=kwargs.get("force_email_company", False),
            force_email_lang=kwargs.get("force_email_lang", False),
            force_record_name=kwargs.get("force_record_name", False),
            subtitles=kwargs.get("subtitles"),
        )
        for _lang, render_values, recipients_group in groups:
            body = self._notify_by_email_render_layout(
                message,
                recipients_group,
                msg_vals=msg_vals,
                render_values=render_values,
            )
            for chunk in split_every(batch_size, recipients_group["recipients_ids"]):
                mails.append(
                    self._notify_by_email_get_final_mail_values(
                        chunk, base_mail_values, additional_values={"body_html": body}
                    )
                )
                notifications += [
                    (
                        len(mails) - 1,
                        {"res_partner_id": pid, **base_notification_values},
                    )
                    for pid in chunk
                ]
            emails_only = recipients_group["recipients_emails"]
            if emails_only:
                values = self._notify_by_email_get_final_mail_values(
                    [], base_mail_values, additional_values={"body_html": body}
                )
                mails.append({**values, "email_to": ",".join(emails_only)})
                notifications += [
                    (
                        len(mails) - 1,
                        {"mail_email_address": email, **base_notification_values},
                    )
                    for email in emails_only
                ]

    def _insurance_send_emails(self, emails, kwargs):
        """What ``_notify_thread_by_email`` does with a message's new emails."""
        force_send = self.env.context.get(
            "mail_notify_force_send", kwargs.get("force_send", True)
        )
        if not force_send:
            return
        params = self.env["ir.config_parameter"].sudo()
        if len(emails) >= int(params.get_param("mail.mail.force.send.limit", 100)):
            return
        if kwargs.get("send_after_commit", True):
            emails.send_after_commit()
        else:
            emails.send()


class GatheredEmails(list):
    """Emails gathered to be created in one batch. Equal only to itself: Odoo
    reuses an environment whose context is equal."""

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__
