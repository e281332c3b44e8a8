"""company_name_key (crm/core/text.py) ignores legal forms, width, case and punctuation."""

import pytest

from crm.core.text import company_name_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华信科技有限公司", "华信科技"),
        ("北京鼎盛贸易股份有限公司", "北京鼎盛贸易"),
        ("Acme Robotics Co., Ltd.", "ACME robotics"),
        ("Globex Inc.", "globex"),
        ("ＡＣＭＥ　Ｒｏｂｏｔｉｃｓ", "Acme Robotics Limited"),
        ("远航物流(上海)有限公司", "远航物流（上海）"),
    ],
)
def test_same_company_same_key(a, b):
    assert company_name_key(a) == company_name_key(b)
    assert company_name_key(a)


def test_different_companies_differ_and_a_bare_suffix_is_kept():
    assert company_name_key("华信科技有限公司") != company_name_key("华为技术有限公司")
    assert company_name_key("公司") == "公司"
    assert company_name_key("") == ""
