"""The reminder and demand emails list each premium's last day of cover (a formal
demand delivered early brings it forward), no longer its plain grace end. Their
templates are kept as the insurer edited them (noupdate): a body that is still
exactly the one shipped before, in English or in Chinese, takes the new one; an
edited body is left alone."""

import json

import polib

from odoo.tools import SQL
from odoo.tools.misc import file_path

TEMPLATES = ("mail_template_renewal_reminder", "mail_template_renewal_demand")
# What this version changed in those bodies: (before, now).
CHANGES = (
    ("format_date(line.grace_end_date)", "format_date(line.cover_end_date)"),
    ("<th>Grace period ends</th>", "<th>Covered until</th>"),
    ("<th>Grace period ends</th>", "<th>Cover ends at the latest</th>"),
    ("<th>宽限期截止日</th>", "<th>保障有效至</th>"),
    ("<th>宽限期截止日</th>", "<th>保障最迟至</th>"),
)


def shipped_bodies(xmlid):
    """The body this version ships for the template, by language: English from
    the template's source text, Chinese from its translation."""
    occurrence = f"model:mail.template,body_html:insurance_renewal.{xmlid}"
    po = polib.pofile(file_path("insurance_renewal/i18n/zh_CN.po"))
    for entry in po:
        if occurrence in (path for path, _line in entry.occurrences):
            return {"en_US": entry.msgid, "zh_CN": entry.msgstr}
    return {}


def previous_body(body):
    for before, now in CHANGES:
        body = body.replace(now, before)
    return body


def migrate(cr, version):
    if not version:
        return
    for xmlid in TEMPLATES:
        cr.execute(
            SQL(
                """
                SELECT t.id, t.body_html FROM mail_template t
                  JOIN ir_model_data d ON d.res_id = t.id
                   AND d.model = 'mail.template'
                 WHERE d.module = 'insurance_renewal' AND d.name = %s
                """,
                xmlid,
            )
        )
        row = cr.fetchone()
        if not row or not row[1]:
            continue
        template_id, stored = row
        renewed = {
            lang: body
            for lang, body in shipped_bodies(xmlid).items()
            if body and stored.get(lang) == previous_body(body)
        }
        if renewed:
            cr.execute(
                SQL(
                    "UPDATE mail_template SET body_html = body_html || %s::jsonb "
                    "WHERE id = %s",
                    json.dumps(renewed),
                    template_id,
                )
            )
