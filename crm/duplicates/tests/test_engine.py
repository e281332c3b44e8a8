"""The matching rules, without the database."""

import pytest

from crm.duplicates import engine, testdata


def contact(pk, name, email="", phone="", company=None):
    return engine.contact_features(pk, name, email, phone, [], [], company)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("+86 138-0013-8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("+861065529988", "1065529988"),
        ("010 6552 9988", "1065529988"),
        ("+49 30 1234567", "49301234567"),
        ("", ""),
    ],
)
def test_phone_key(value, expected):
    assert engine.phone_key(value) == expected


def test_hanzi_matches_pinyin_in_either_order():
    zw = contact(1, "张伟")
    assert engine.name_similarity(zw, contact(2, "Zhang Wei")) == 100
    assert engine.name_similarity(zw, contact(3, "Wei Zhang")) == 100
    assert engine.name_similarity(zw, contact(4, "ZHANG wei")) == 100
    assert engine.name_similarity(contact(5, "Zhang Wei"), contact(6, "Zhangwei")) == 100


def test_different_hanzi_with_the_same_pinyin_are_not_the_same_name():
    # 张伟 and 张玮 are two people; a homophone typo still counts a little.
    assert 70 <= engine.name_similarity(contact(1, "张伟"), contact(2, "张玮")) < 90


def test_same_email_in_another_case_and_a_typo_is_a_duplicate():
    score, reasons = engine.score_contacts(
        contact(1, "David Schmidt", "david.schmidt@acme.cn"), contact(2, "Schmidt, Dvaid", "David.Schmidt@ACME.cn")
    )
    codes = [r["code"] for r in reasons]
    assert score >= engine.DEFAULT_MIN_SCORE
    assert "same_email" in codes and "similar_name" in codes


def test_same_name_in_different_companies_is_not_a_duplicate():
    score, _ = engine.score_contacts(
        contact(1, "张伟", "zw1@a.cn", "13800000001", company=1),
        contact(2, "张伟", "zw2@b.cn", "13900000002", company=2),
    )
    assert score < engine.DEFAULT_MIN_SCORE


def test_shared_switchboard_phone_with_another_name_is_not_a_duplicate():
    score, _ = engine.score_contacts(
        contact(1, "王芳", phone="01065529988"), contact(2, "李娜", phone="+86 10 6552 9988")
    )
    assert score < engine.DEFAULT_MIN_SCORE


def test_contact_blocks_share_a_key_for_duplicates_only():
    a = contact(1, "张伟", "zw@qq.com", company=7)
    b = contact(2, "Zhang Wei", "", company=7)
    c = contact(3, "李娜", "ln@qq.com", company=8)
    assert engine.contact_keys(a) & engine.contact_keys(b)
    assert not engine.contact_keys(a) & engine.contact_keys(c)


def test_company_legal_forms_and_city_word_are_ignored():
    a = engine.company_features(1, "北京市华信科技有限公司")
    b = engine.company_features(2, "北京华信科技")
    score, reasons = engine.score_companies(a, b)
    assert a.name_key == b.name_key == "北京华信科技"
    assert score >= engine.DEFAULT_MIN_SCORE and reasons[0]["code"] == "same_name"


def test_a_different_registration_number_overrules_a_similar_name():
    a = engine.company_features(1, "华信科技有限公司", "91110108MA01ABCD1X")
    b = engine.company_features(2, "华信科技", "91310115MA1K4XYZ2P")
    assert engine.score_companies(a, b)[0] < engine.DEFAULT_MIN_SCORE


@pytest.mark.parametrize("seed", [2026, 11])
def test_contacts_precision_and_recall_on_a_generated_set(seed):
    result = testdata.evaluate(engine.CONTACT, testdata.contact_test_set(2000, seed=seed), engine.DEFAULT_MIN_SCORE)
    assert result["true_pairs"] > 300
    assert result["precision"] >= 0.95, result["false_positives"][:10]
    assert result["recall"] >= 0.95, result["missed"][:10]


@pytest.mark.parametrize("seed", [2026, 11])
def test_companies_precision_and_recall_on_a_generated_set(seed):
    result = testdata.evaluate(engine.COMPANY, testdata.company_test_set(1500, seed=seed), engine.DEFAULT_MIN_SCORE)
    assert result["true_pairs"] > 200
    assert result["precision"] >= 0.95, result["false_positives"][:10]
    assert result["recall"] >= 0.95, result["missed"][:10]


def test_blocking_compares_far_fewer_pairs_than_all():
    data = testdata.contact_test_set(3000)
    result = testdata.evaluate(engine.CONTACT, data, engine.DEFAULT_MIN_SCORE)
    n = result["records"]
    assert result["candidates"] < n * 2  # all pairs would be n * (n - 1) / 2
