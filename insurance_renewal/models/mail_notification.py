from odoo import models


class MailNotification(models.Model):
    """Odoo's notifications know what became of every email and SMS: accepted by
    the mail server or provider, refused, or bounced. Renewal reminders follow
    them, so a reminder log never says "sent" for a message that never left."""

    _inherit = "mail.notification"

    def write(self, vals):
        result = super().write(vals)
        if "notification_status" in vals:
            # Notifications are written as superuser by the mail and SMS queues;
            # the reminder logs of their messages follow as the same facts.
            self.env["insurance.reminder.log"].sudo()._follow_notifications(self)
        return result
