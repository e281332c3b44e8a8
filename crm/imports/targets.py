"""What can be imported: per record type its fields, header names that suggest them,
what a row may be matched by, and the services that write it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from crm.core.text import clean_text, company_name_key

from .models import MatchOn


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: object
    kind: str = "text"  # text email phone date int decimal bool choice company owner list pipeline stage tags category
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass
class Target:
    key: str
    model_label: str
    label: object
    fields: list[FieldSpec]
    match_on: tuple[str, ...]
    create: Callable
    update: Callable
    refresh: Callable
    # Fields kept in the ImportChange "before" of an update, besides the mapped ones.
    extra: dict = field(default_factory=dict)

    @property
    def model(self):
        return apps.get_model(self.model_label)

    def field(self, key: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.key == key:
                return spec
        return None


COMMON_ALIASES = {
    "external_id": (
        "external id",
        "external_id",
        "id",
        "customer id",
        "customer no",
        "crm id",
        "编号",
        "外部编号",
        "客户编号",
        "ID",
    ),
    "owner": ("owner", "sales rep", "assigned to", "负责人", "所有人", "销售", "业务员", "归属"),
    "tags": ("tags", "tag", "labels", "标签"),
}


def _common() -> list[FieldSpec]:
    return [
        FieldSpec("external_id", _("External id"), "text", aliases=COMMON_ALIASES["external_id"]),
        FieldSpec("owner", _("Owner (user name or e-mail)"), "owner", aliases=COMMON_ALIASES["owner"]),
        FieldSpec("tags", _("Tags (separated by commas)"), "tags", aliases=COMMON_ALIASES["tags"]),
    ]


def _contacts() -> Target:
    from crm.contacts import services

    return Target(
        key="contacts",
        model_label="contacts.Contact",
        label=_("Contacts"),
        fields=[
            FieldSpec(
                "name",
                _("Name"),
                required=True,
                aliases=("name", "full name", "contact", "contact name", "姓名", "名字", "联系人", "客户姓名"),
            ),
            FieldSpec(
                "title", _("Job title"), aliases=("title", "job title", "position", "role", "职位", "职务", "头衔")
            ),
            FieldSpec(
                "company",
                _("Company (name)"),
                "company",
                aliases=(
                    "company",
                    "company name",
                    "organisation",
                    "organization",
                    "account",
                    "公司",
                    "公司名称",
                    "单位",
                    "企业",
                    "客户公司",
                ),
            ),
            FieldSpec(
                "email",
                _("E-mail"),
                "email",
                aliases=("email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱", "邮件"),
            ),
            FieldSpec(
                "phone",
                _("Phone"),
                "phone",
                aliases=(
                    "phone",
                    "mobile",
                    "cell",
                    "telephone",
                    "tel",
                    "phone number",
                    "手机",
                    "手机号",
                    "手机号码",
                    "电话",
                    "联系电话",
                    "移动电话",
                ),
            ),
            FieldSpec("phones", _("Other phones"), "list", aliases=("other phones", "phones", "其他电话", "备用电话")),
            FieldSpec("emails", _("Other e-mails"), "list", aliases=("other emails", "emails", "其他邮箱", "备用邮箱")),
            FieldSpec(
                "birthday",
                _("Birthday"),
                "date",
                aliases=("birthday", "date of birth", "birth date", "生日", "出生日期"),
            ),
            FieldSpec(
                "preferred_language",
                _("Preferred language"),
                "choice",
                aliases=("language", "preferred language", "语言", "首选语言"),
            ),
            FieldSpec(
                "marketing_consent",
                _("Marketing consent"),
                "bool",
                aliases=("marketing consent", "consent", "opt in", "营销许可", "同意营销"),
            ),
            FieldSpec("consent_date", _("Consent date"), "date", aliases=("consent date", "同意日期")),
            FieldSpec("consent_source", _("Consent source"), aliases=("consent source", "同意来源")),
            *_common(),
        ],
        match_on=(MatchOn.EMAIL, MatchOn.PHONE, MatchOn.EXTERNAL_ID),
        create=services.contact_create,
        update=services.contact_update,
        refresh=services.contact_refresh_search_text,
    )


def _companies() -> Target:
    from crm.contacts import services

    return Target(
        key="companies",
        model_label="contacts.Company",
        label=_("Companies"),
        fields=[
            FieldSpec(
                "name",
                _("Name"),
                required=True,
                aliases=(
                    "name",
                    "company",
                    "company name",
                    "organisation",
                    "organization",
                    "account",
                    "公司",
                    "公司名称",
                    "企业名称",
                    "单位名称",
                    "客户名称",
                    "名称",
                ),
            ),
            FieldSpec(
                "registration_number",
                _("Registration number"),
                aliases=(
                    "registration number",
                    "credit code",
                    "uscc",
                    "tax id",
                    "vat",
                    "统一社会信用代码",
                    "信用代码",
                    "税号",
                    "注册号",
                ),
            ),
            FieldSpec("industry", _("Industry"), aliases=("industry", "sector", "行业", "所属行业")),
            FieldSpec(
                "size", _("Size"), "choice", aliases=("size", "employees", "company size", "规模", "人数", "员工人数")
            ),
            FieldSpec("source", _("Source"), "choice", aliases=("source", "lead source", "来源", "客户来源")),
            FieldSpec(
                "parent",
                _("Parent company (name)"),
                "company",
                aliases=("parent", "parent company", "母公司", "上级公司"),
            ),
            FieldSpec(
                "phone",
                _("Phone"),
                "phone",
                aliases=("phone", "telephone", "tel", "电话", "联系电话", "公司电话", "座机"),
            ),
            FieldSpec("email", _("E-mail"), "email", aliases=("email", "e-mail", "mail", "邮箱", "电子邮件")),
            FieldSpec("website", _("Website"), aliases=("website", "web", "url", "homepage", "网站", "网址", "官网")),
            FieldSpec("region", _("Region"), aliases=("region", "area", "province", "地区", "区域", "省份")),
            FieldSpec("address", _("Address"), aliases=("address", "street", "地址", "公司地址", "详细地址")),
            *_common(),
        ],
        match_on=(MatchOn.REGISTRATION_NUMBER, MatchOn.NAME, MatchOn.EMAIL, MatchOn.PHONE, MatchOn.EXTERNAL_ID),
        create=services.company_create,
        update=services.company_update,
        refresh=services.company_refresh_search_text,
    )


def _leads() -> Target:
    from crm.leads import services

    return Target(
        key="leads",
        model_label="leads.Lead",
        label=_("Leads"),
        fields=[
            FieldSpec(
                "name",
                _("Name"),
                required=True,
                aliases=("name", "full name", "lead", "contact", "姓名", "名字", "联系人", "线索"),
            ),
            FieldSpec(
                "company_name",
                _("Company name"),
                aliases=("company", "company name", "organisation", "organization", "公司", "公司名称", "单位"),
            ),
            FieldSpec("title", _("Job title"), aliases=("title", "job title", "position", "职位", "职务")),
            FieldSpec("email", _("E-mail"), "email", aliases=("email", "e-mail", "mail", "邮箱", "电子邮件")),
            FieldSpec(
                "phone",
                _("Phone"),
                "phone",
                aliases=("phone", "mobile", "telephone", "tel", "手机", "手机号", "电话", "联系电话"),
            ),
            FieldSpec("region", _("Region"), aliases=("region", "area", "province", "地区", "区域", "省份")),
            FieldSpec("source", _("Source"), "choice", aliases=("source", "lead source", "来源", "线索来源")),
            FieldSpec("campaign", _("Campaign"), aliases=("campaign", "活动", "市场活动")),
            FieldSpec("score", _("Score"), "int", aliases=("score", "rating", "评分", "分数")),
            FieldSpec(
                "description",
                _("Description"),
                aliases=("description", "notes", "note", "comment", "描述", "备注", "说明"),
            ),
            *_common(),
        ],
        match_on=(MatchOn.EMAIL, MatchOn.PHONE, MatchOn.EXTERNAL_ID),
        create=services.lead_create,
        update=services.lead_update,
        refresh=services.lead_refresh_search_text,
    )


def _deals() -> Target:
    from crm.deals import services

    return Target(
        key="deals",
        model_label="deals.Deal",
        label=_("Deals"),
        fields=[
            FieldSpec(
                "name",
                _("Name"),
                required=True,
                aliases=("name", "deal", "deal name", "opportunity", "商机", "商机名称", "项目", "名称"),
            ),
            FieldSpec(
                "company",
                _("Company (name)"),
                "company",
                aliases=("company", "company name", "account", "customer", "公司", "客户", "客户名称"),
            ),
            FieldSpec("pipeline", _("Pipeline (name)"), "pipeline", aliases=("pipeline", "销售流程", "管道")),
            FieldSpec("stage", _("Stage (name)"), "stage", aliases=("stage", "deal stage", "阶段", "销售阶段")),
            FieldSpec(
                "amount",
                _("Amount"),
                "decimal",
                aliases=("amount", "value", "deal value", "金额", "商机金额", "预计金额"),
            ),
            FieldSpec("currency", _("Currency"), aliases=("currency", "币种", "货币")),
            FieldSpec(
                "expected_close_date",
                _("Expected close date"),
                "date",
                aliases=("close date", "expected close date", "预计成交日期", "成交日期"),
            ),
            FieldSpec("source", _("Source"), "choice", aliases=("source", "来源")),
            FieldSpec("next_step", _("Next step"), aliases=("next step", "下一步")),
            FieldSpec("next_step_date", _("Next step date"), "date", aliases=("next step date", "下一步日期")),
            FieldSpec("close_reason", _("Reason won or lost"), aliases=("close reason", "reason", "输赢原因", "原因")),
            *_common(),
        ],
        match_on=(MatchOn.EXTERNAL_ID, MatchOn.NAME),
        create=services.deal_create,
        update=services.deal_update,
        refresh=services.deal_refresh_search_text,
    )


def _products() -> Target | None:
    if not apps.is_installed("crm.products"):
        return None
    from crm.products import services

    return Target(
        key="products",
        model_label="products.Product",
        label=_("Products"),
        fields=[
            FieldSpec(
                "sku",
                _("SKU"),
                aliases=("sku", "code", "product code", "item number", "编码", "产品编码", "货号", "物料编码"),
            ),
            FieldSpec(
                "name",
                _("Name (English)"),
                required=True,
                aliases=("name", "product", "product name", "名称", "产品名称", "英文名称"),
            ),
            FieldSpec("name_zh", _("Name (Chinese)"), aliases=("chinese name", "name zh", "中文名称", "中文名")),
            FieldSpec("kind", _("Kind"), "choice", aliases=("kind", "type", "类型")),
            FieldSpec("category", _("Category (name)"), "category", aliases=("category", "分类", "类别", "产品分类")),
            FieldSpec("unit", _("Unit"), aliases=("unit", "uom", "单位")),
            FieldSpec(
                "list_price",
                _("List price"),
                "decimal",
                aliases=("price", "list price", "unit price", "价格", "单价", "标准价"),
            ),
            FieldSpec("currency", _("Currency"), aliases=("currency", "币种", "货币")),
            FieldSpec("tax_rate", _("Tax rate (%)"), "decimal", aliases=("tax", "tax rate", "vat rate", "税率")),
            FieldSpec("cost", _("Cost"), "decimal", aliases=("cost", "成本", "成本价")),
            FieldSpec("active", _("Active"), "bool", aliases=("active", "enabled", "启用", "在售")),
            FieldSpec("description", _("Description"), aliases=("description", "描述", "说明", "备注")),
            *_common(),
        ],
        match_on=(MatchOn.SKU, MatchOn.EXTERNAL_ID),
        create=services.product_create,
        update=services.product_update,
        refresh=services.product_refresh_search_text,
    )


_BUILDERS = {"contacts": _contacts, "companies": _companies, "leads": _leads, "deals": _deals, "products": _products}


def targets() -> dict[str, Target]:
    result = {}
    for key, build in _BUILDERS.items():
        target = build()
        if target is not None:
            result[key] = target
    return result


def target_for(key: str) -> Target | None:
    build = _BUILDERS.get(key)
    return build() if build else None


def target_choices() -> list[tuple[str, object]]:
    return [(key, t.label) for key, t in targets().items()]


def custom_field_specs(target: Target) -> list[FieldSpec]:
    from crm.core.customfields import custom_fields_for

    specs = []
    for cf in custom_fields_for(target.model):
        aliases = tuple(a for a in (cf.name, cf.label_en, cf.label_zh) if a)
        specs.append(FieldSpec(f"cf:{cf.name}", cf.label, "custom", required=cf.required, aliases=aliases))
    return specs


def all_field_specs(target: Target) -> list[FieldSpec]:
    return target.fields + custom_field_specs(target)


_HEADER_NOISE = re.compile(r"[\s_\-:：()（）*#./]+")


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", clean_text(text).casefold())


def suggest_mapping(target: Target, headers: list[str]) -> dict[str, str]:
    """Column index (as a string) -> field key, from the column names in English or
    Chinese; each field is suggested for one column at most (the first that fits)."""
    specs = all_field_specs(target)
    by_alias: dict[str, str] = {}
    for spec in specs:
        for alias in (spec.key, str(spec.label), *spec.aliases):
            by_alias.setdefault(_header_key(alias), spec.key)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        key = by_alias.get(_header_key(header))
        if key and key not in used:
            mapping[str(index)] = key
            used.add(key)
    return mapping


def company_key(name: str) -> str:
    return company_name_key(name)
