from django import template

from adoption import formatting

register = template.Library()

register.filter("percent", formatting.percent)
register.filter("points", formatting.points)
register.filter("decimal", formatting.decimal)
register.filter("count", formatting.count)
register.filter("vnd", formatting.vnd)
