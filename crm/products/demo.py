"""The demo catalog: a bilingual list of ~40 products and services of a cloud and IT
equipment reseller, in five categories, with two price lists (tier A customers, and a
time-limited year-end promotion for tier B) and volume discounts.

Used by ``seed_demo`` (wired in by the lead) and by the quote PDF benchmark.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import PriceList, PriceListItem, Product, ProductCategory, ProductKind, VolumeDiscount
from .services import product_search_text

CATEGORIES = [
    ("Servers", "服务器"),
    ("Network", "网络设备"),
    ("Software licences", "软件许可"),
    ("Cloud services", "云服务"),
    ("Professional services", "专业服务"),
]
# (sku, English, Chinese, category index, unit EN, unit ZH, list price CNY, kind)
CATALOG = [
    (
        "SRV-R750",
        "Rack server 2U, 2x Xeon Silver",
        "2U 机架式服务器（双路至强银牌）",
        0,
        "pcs",
        "台",
        "38900",
        "product",
    ),
    ("SRV-R650", "Rack server 1U, 1x Xeon Gold", "1U 机架式服务器（单路至强金牌）", 0, "pcs", "台", "29800", "product"),
    ("SRV-T150", "Tower server for branch offices", "分支机构塔式服务器", 0, "pcs", "台", "12800", "product"),
    ("SRV-GPU4", "GPU server, 4x accelerator cards", "GPU 服务器（4 卡）", 0, "pcs", "台", "268000", "product"),
    ("SRV-RAM64", "64 GB DDR5 ECC memory module", "64GB DDR5 ECC 内存条", 0, "pcs", "条", "2680", "product"),
    ("SRV-SSD3", "3.84 TB NVMe SSD", "3.84TB NVMe 固态硬盘", 0, "pcs", "块", "4580", "product"),
    ("SRV-HDD12", "12 TB SAS hard disk", "12TB SAS 机械硬盘", 0, "pcs", "块", "2350", "product"),
    ("SRV-PSU", "Redundant power supply 1100 W", "1100W 冗余电源", 0, "pcs", "个", "1280", "product"),
    (
        "NET-SW48",
        "48-port gigabit switch, 4x 10G uplink",
        "48 口千兆交换机（4 个万兆上行）",
        1,
        "pcs",
        "台",
        "6800",
        "product",
    ),
    ("NET-SW24P", "24-port PoE switch", "24 口 PoE 交换机", 1, "pcs", "台", "4200", "product"),
    ("NET-CORE", "Core switch chassis", "核心交换机机框", 1, "pcs", "台", "86000", "product"),
    ("NET-FW1", "Next-generation firewall", "下一代防火墙", 1, "pcs", "台", "23800", "product"),
    ("NET-AP6", "Wi-Fi 6 access point", "Wi-Fi 6 无线接入点", 1, "pcs", "个", "1350", "product"),
    ("NET-SFP10", "10G SFP+ optical module", "万兆 SFP+ 光模块", 1, "pcs", "个", "260", "product"),
    ("NET-CAB", "Cat6A patch cable, 3 m", "六类 A 跳线（3 米）", 1, "pcs", "根", "28", "product"),
    ("NET-RACK", "42U server rack", "42U 标准机柜", 1, "pcs", "个", "3900", "product"),
    (
        "LIC-OS-DC",
        "Server OS licence, datacenter edition",
        "服务器操作系统许可（数据中心版）",
        2,
        "licence",
        "套",
        "46000",
        "product",
    ),
    (
        "LIC-OS-STD",
        "Server OS licence, standard edition",
        "服务器操作系统许可（标准版）",
        2,
        "licence",
        "套",
        "8900",
        "product",
    ),
    ("LIC-DB", "Database licence per core", "数据库许可（按核）", 2, "core", "核", "12600", "product"),
    ("LIC-OFFICE", "Office suite, one user per year", "办公套件（每用户每年）", 2, "user", "用户", "980", "service"),
    (
        "LIC-AV",
        "Endpoint security, one device per year",
        "终端安全防护（每设备每年）",
        2,
        "device",
        "台",
        "160",
        "service",
    ),
    (
        "LIC-BACKUP",
        "Backup software, per protected server",
        "备份软件（按受保护服务器）",
        2,
        "server",
        "台",
        "3600",
        "product",
    ),
    ("LIC-VDI", "Virtual desktop licence, per user", "云桌面许可（每用户）", 2, "user", "用户", "1450", "product"),
    ("LIC-CRM", "CRM subscription, one user per year", "CRM 订阅（每用户每年）", 2, "user", "用户", "1800", "service"),
    (
        "CLD-ECS",
        "Elastic cloud server, 4 vCPU 16 GB, monthly",
        "弹性云服务器 4 核 16G（包月）",
        3,
        "month",
        "月",
        "560",
        "service",
    ),
    (
        "CLD-ECS8",
        "Elastic cloud server, 8 vCPU 32 GB, monthly",
        "弹性云服务器 8 核 32G（包月）",
        3,
        "month",
        "月",
        "1090",
        "service",
    ),
    ("CLD-OSS", "Object storage, 1 TB per month", "对象存储（每 TB 每月）", 3, "TB", "TB", "120", "service"),
    (
        "CLD-RDS",
        "Managed database, high availability, monthly",
        "云数据库高可用版（包月）",
        3,
        "month",
        "月",
        "1980",
        "service",
    ),
    ("CLD-CDN", "CDN traffic package, 10 TB", "CDN 流量包（10TB）", 3, "package", "个", "1500", "service"),
    ("CLD-BW", "Dedicated bandwidth, 100 Mbit/s monthly", "独享带宽 100M（包月）", 3, "month", "月", "2600", "service"),
    ("CLD-WAF", "Web application firewall, yearly", "Web 应用防火墙（包年）", 3, "year", "年", "18800", "service"),
    (
        "CLD-SSL",
        "SSL certificate, OV wildcard, yearly",
        "SSL 证书 OV 通配符（包年）",
        3,
        "year",
        "年",
        "4800",
        "service",
    ),
    ("PS-INSTALL", "On-site installation, per day", "现场安装实施（人天）", 4, "day", "人天", "2200", "service"),
    ("PS-MIGR", "Cloud migration project", "上云迁移项目", 4, "project", "项", "58000", "service"),
    ("PS-TRAIN", "Administrator training, per day", "管理员培训（天）", 4, "day", "天", "3500", "service"),
    ("PS-CONSULT", "Architecture consulting, per hour", "架构咨询（小时）", 4, "hour", "小时", "800", "service"),
    ("PS-SUP-GOLD", "Gold support, 7x24, yearly", "金牌支持服务 7x24（包年）", 4, "year", "年", "36000", "service"),
    ("PS-SUP-STD", "Standard support, 5x8, yearly", "标准支持服务 5x8（包年）", 4, "year", "年", "12000", "service"),
    ("PS-AUDIT", "Security assessment", "安全评估服务", 4, "project", "项", "26000", "service"),
    ("PS-WARR3", "Extended hardware warranty, 3 years", "硬件延保 3 年", 4, "pcs", "台", "3200", "service"),
]


def seed_products(
    *,
    owner_id: int | None = None,
    seed: int = 2026,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """The demo catalog (categories, ~40 products and services, two price lists, volume
    discounts), owned by ``owner_id``. Idempotent: products whose SKU exists are kept.
    Returns the number of products created."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        categories = []
        for position, (en, zh) in enumerate(CATEGORIES):
            category, _created = ProductCategory.objects.get_or_create(
                name=en, defaults={"name_zh": zh, "position": position}
            )
            categories.append(category)
        existing = set(Product.all_objects.values_list("sku", flat=True))
        rows = []
        for sku, en, zh, cat, unit_en, unit_zh, price, kind in CATALOG:
            if sku in existing:
                continue
            list_price = Decimal(price)
            rows.append(
                Product(
                    sku=sku,
                    name=en,
                    name_zh=zh,
                    kind=ProductKind(kind),
                    category=categories[cat],
                    unit=unit_zh if rng.random() < 0.5 else unit_en,
                    list_price=list_price,
                    currency="CNY",
                    tax_rate=Decimal("6.00") if kind == "service" else Decimal("13.00"),
                    cost=(list_price * Decimal(rng.choice(["0.55", "0.62", "0.7", "0.78"]))).quantize(Decimal("0.01")),
                    active=sku != "SRV-T150",
                    description="",
                    owner_id=owner_id,
                    created_at=now,
                    search_text=product_search_text(sku=sku, name=en, name_zh=zh),
                )
            )
        Product.objects.bulk_create(rows, batch_size=500)
        if progress:
            progress("products", len(rows), len(rows))
        products = {p.sku: p for p in Product.objects.all()}
        tier_a, created_a = PriceList.objects.get_or_create(
            name="Tier A key accounts 核心客户价", defaults={"currency": "CNY", "tier": "A", "priority": 10}
        )
        promo, created_p = PriceList.objects.get_or_create(
            name="Year-end promotion 年终促销",
            defaults={
                "currency": "CNY",
                "tier": "B",
                "priority": 20,
                "valid_from": today.replace(month=11, day=1),
                "valid_until": today.replace(month=12, day=31) + datetime.timedelta(days=31),
            },
        )
        items = []
        if created_a:
            for sku, product in products.items():
                if sku in {p[0] for p in CATALOG}:
                    items.append(
                        PriceListItem(
                            price_list=tier_a,
                            product=product,
                            unit_price=(product.list_price * Decimal("0.92")).quantize(Decimal("0.01")),
                        )
                    )
        if created_p:
            for sku in ("CLD-ECS", "CLD-ECS8", "CLD-OSS", "LIC-OFFICE", "LIC-CRM", "NET-AP6"):
                if sku in products:
                    product = products[sku]
                    items.append(
                        PriceListItem(
                            price_list=promo,
                            product=product,
                            unit_price=(product.list_price * Decimal("0.85")).quantize(Decimal("0.01")),
                        )
                    )
        PriceListItem.objects.bulk_create(items, batch_size=500)
        if not VolumeDiscount.objects.exists():
            VolumeDiscount.objects.bulk_create(
                [
                    VolumeDiscount(product=None, min_quantity=Decimal("50"), discount_percent=Decimal("3")),
                    VolumeDiscount(product=None, min_quantity=Decimal("200"), discount_percent=Decimal("5")),
                    VolumeDiscount(
                        product=products.get("NET-CAB"), min_quantity=Decimal("100"), discount_percent=Decimal("10")
                    ),
                    VolumeDiscount(
                        product=products.get("NET-SFP10"), min_quantity=Decimal("20"), discount_percent=Decimal("8")
                    ),
                    VolumeDiscount(
                        product=products.get("LIC-OFFICE"), min_quantity=Decimal("100"), discount_percent=Decimal("12")
                    ),
                ]
            )
    return len(rows)
