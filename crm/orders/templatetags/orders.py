from django import template

register = template.Library()


@register.inclusion_tag("orders/_order_panel.html", takes_context=True)
def order_panel(context, order):
    from crm.orders.views import order_context

    return order_context(context["request"], order)


@register.simple_tag
def money(amount, currency):
    from crm.orders.services import format_money

    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)
