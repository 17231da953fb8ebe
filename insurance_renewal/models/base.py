from odoo import models
from odoo.exceptions import UserError


def _are_ids(values):
    """Whether ``values`` is a list or tuple of record ids."""
    return isinstance(values, list | tuple) and all(
        isinstance(value, int) and not isinstance(value, bool) for value in values
    )


class Base(models.AbstractModel):
    _inherit = "base"

    def with_context(self, *args, **kwargs):
        records = super().with_context(*args, **kwargs)
        records._insurance_check_reminder_context()
        return records

    def _insurance_check_reminder_context(self):
        """The instalments a reminder lists come in the context, which the
        policies' pay link fields depend on. Sent over RPC as lists of lists, a
        text or a mapping, Odoo could not key its cache with them and the read
        of a pay link failed with a server error, also when the policies were
        reached through another model (a case's nested read, a composer
        rendering a reminder template): an RPC call or a nested read puts its
        context on whatever model it calls with ``with_context``, so it is
        refused here, for every model. The reminder engine passes
        ``reminder_lines_by_policy`` as a tuple of pairs, which an RPC context
        (JSON: lists only) cannot hold: checking its type, not each of its
        thousands of pairs, keeps this check free on every ``with_context``."""
        context = self.env.context
        given = context.get("reminder_line_ids")
        by_policy = context.get("reminder_lines_by_policy")
        if (given and not _are_ids(given)) or (
            by_policy and not isinstance(by_policy, tuple)
        ):
            raise UserError(
                self.env._(
                    "The instalments a reminder lists must be given as instalment "
                    "ids: the context given is not valid."
                )
            )
