import copy

from odoo import models

# The kind of message whose recipients a batch of to-dos reads at once: the
# "assigned to you" notification of each to-do (see mail.activity's
# _insurance_notify_assigned_on).
USER_NOTIFICATION = "user_notification"


class MailFollowers(models.Model):
    _inherit = "mail.followers"

    def _insurance_known_recipients(self, records, pids, subtype_id):
        """What Odoo's ``_get_recipient_data`` gives each record of ``records``
        for a user notification to any of ``pids``, read for all of them in two
        queries (Odoo reads it once per notified message, and an activation
        notifies hundreds of to-dos); ``_get_recipient_data`` answers from it
        within ``with_context(insurance_known_recipients=...)``."""
        known = KnownRecipients(records._name, subtype_id)
        if not records or not pids:
            return known
        pids = list(pids)
        # a partner following the record: its data as a follower of it
        known.followers = self._get_recipient_data(
            records, USER_NOTIFICATION, subtype_id, pids
        )
        # any other: its data as a partner who does not follow the record
        known.partners = self._get_recipient_data(
            records.browse(), USER_NOTIFICATION, subtype_id, pids
        )[0]
        return known

    def _get_recipient_data(self, records, message_type, subtype_id, pids=None):
        known = self.env.context.get("insurance_known_recipients")
        # only our own mapping (a client's context cannot hold one)
        if isinstance(known, KnownRecipients) and message_type == USER_NOTIFICATION:
            found = known.answer(records, subtype_id, pids)
            if found is not None:
                return found
        return super()._get_recipient_data(records, message_type, subtype_id, pids=pids)


class KnownRecipients:
    """The recipient data of a batch of user notifications (see
    ``MailFollowers._insurance_known_recipients``). Equal only to itself: Odoo
    reuses an environment whose context is equal."""

    def __init__(self, model, subtype_id):
        self.model = model
        self.subtype_id = subtype_id
        self.followers = {}
        self.partners = {}

    def answer(self, records, subtype_id, pids):
        """Odoo's answer for one record and the partners read, or None for any
        other question. A copy: the notification changes its recipients' data."""
        if (
            len(records) != 1
            or records._name != self.model
            or subtype_id != self.subtype_id
            or not pids
            or records.id not in self.followers
            or not set(pids) <= self.partners.keys()
        ):
            return None
        following = self.followers[records.id]
        data = {}
        for pid in dict.fromkeys(pids):
            pdata = following.get(pid)
            if not (pdata and pdata["is_follower"]):
                pdata = self.partners[pid]
            data[pid] = copy.deepcopy(pdata)
        return {records.id: data}
