from odoo.tests import tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestContactData(InsuranceRenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.cn")
        cls.uk = cls.env.ref("base.uk")

    def _partner(self, **values):
        return self.env["res.partner"].create({"name": "王芳", **values})

    def test_chinese_mobile_is_stored_in_e164(self):
        partner = self._partner(phone="138 0013 8000")
        self.assertEqual(partner.phone, "+8613800138000")
        self.assertEqual(partner.phone_sanitized, "+8613800138000")
        self.assertFalse(partner.phone_invalid)

    def test_new_customers_sanitized_phones_are_those_odoo_computes(self):
        """The sanitized number of a customer whose phone is stored in E.164
        (taken as it is, not parsed again for each new customer) is the one
        Odoo's phone_validation computes from it; an invalid phone's too."""
        partners = self.env["res.partner"].create(
            [
                {"name": "王芳", "phone": "138 0013 8000"},
                {"name": "李娜", "phone": "010-6552 2000"},
                {"name": "张伟", "phone": "020 7946 0958", "country_id": self.uk.id},
                {"name": "赵磊", "phone": "+1 650 253 0000"},
                {"name": "陈静", "phone": "12345"},
            ]
        )
        self.env.flush_all()
        partners.invalidate_recordset(["phone_sanitized"])
        stored = partners.mapped("phone_sanitized")
        self.assertEqual(stored[:4], partners[:4].mapped("phone"))
        self.assertEqual(
            stored,
            [partner._phone_format(fname="phone") for partner in partners],
        )

    def test_landline_with_area_code_is_stored_in_e164(self):
        partner = self._partner(phone="010-6552 2000")
        self.assertEqual(partner.phone, "+861065522000")
        self.assertFalse(partner.phone_invalid)

    def test_foreign_number_keeps_its_country(self):
        self.assertEqual(self._partner(phone="+44 20 7946 0958").phone, "+442079460958")
        british = self._partner(phone="020 7946 0958", country_id=self.uk.id)
        self.assertEqual(british.phone, "+442079460958")

    def test_one_write_reads_the_number_in_each_customers_country(self):
        chinese = self._partner()
        british = self._partner(country_id=self.uk.id)
        (chinese | british).write({"phone": "020 7946 0958"})
        self.assertEqual(chinese.phone, "+862079460958")
        self.assertEqual(british.phone, "+442079460958")

    def test_company_country_is_the_default_region(self):
        self.env.company.country_id = self.uk
        self.assertEqual(self._partner(phone="020 7946 0958").phone, "+442079460958")

    def test_invalid_number_is_kept_as_typed_and_flagged(self):
        partner = self._partner(phone="138 0013")
        self.assertEqual(partner.phone, "138 0013")
        self.assertTrue(partner.phone_invalid)
        flagged = self.env["res.partner"].search([("phone_invalid", "=", True)])
        self.assertIn(partner, flagged)
        partner.phone = "13800138000"
        self.assertFalse(partner.phone_invalid)
        partner.phone = False
        self.assertFalse(partner.phone_invalid)

    def test_odoo_phone_search_and_blacklist_find_the_customer(self):
        partner = self._partner(phone="138 0013 8000")
        for typed in ("138 0013 8000", "+86 138 0013 8000"):
            found = self.env["res.partner"].search(
                [("phone_mobile_search", "ilike", typed)]
            )
            self.assertIn(partner, found)
        self.env["phone.blacklist"].sudo().add("+8613800138000")
        partner.invalidate_recordset()
        self.assertTrue(partner.phone_sanitized_blacklisted)

    def test_emails_are_validated(self):
        self.assertFalse(self._partner(email="zw@example.com").email_invalid)
        bad = self._partner(email="zw-at-example.com")
        self.assertTrue(bad.email_invalid)
        self.assertEqual(bad.email, "zw-at-example.com")
        bad.email = "zw@example.com"
        self.assertFalse(bad.email_invalid)
