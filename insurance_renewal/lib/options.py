"""The end-of-grace decision aid as an HTML table, free of the ORM."""

from markupsafe import Markup


def options_table(rows):
    """Return the options side by side: the first row names the facts, each
    following row is one option; shown transposed, one column per option."""
    head, *options = rows
    columns = Markup("").join(Markup("<th>%s</th>") % option[0] for option in options)
    body = Markup("").join(
        Markup("<tr><th>%s</th>%s</tr>")
        % (
            label,
            Markup("").join(
                Markup("<td>%s</td>") % option[index] for option in options
            ),
        )
        for index, label in enumerate(head[1:], start=1)
    )
    return Markup(
        '<table class="table table-sm table-bordered o_insurance_options">'
        "<thead><tr><th>%s</th>%s</tr></thead><tbody>%s</tbody></table>"
    ) % (head[0], columns, body)
