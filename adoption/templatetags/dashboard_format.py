from django import template

from adoption import formatting

register = template.Library()

register.filter("percent", formatting.percent)
register.filter("points", formatting.points)
register.filter("decimal", formatting.decimal)
register.filter("count", formatting.count)
register.filter("vnd", formatting.vnd)


@register.filter
def no_figures(chart_data):
    """True when a chart's data (Chart.as_dict) has no figure to draw, the target line and
    empty bars aside: the page then says so instead of drawing empty axes."""
    return not any(
        value is not None and (value != 0 or dataset.get("type") != "bar")
        for dataset in chart_data.get("datasets", ())
        if "borderDash" not in dataset
        for value in dataset.get("data", ())
    )
