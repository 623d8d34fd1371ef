"""The client's address, as django-axes keys its lockouts on it.

Behind our reverse proxy REMOTE_ADDR is the proxy, so five wrong passwords from anywhere locked
the real user out. The proxy appends the address it saw to X-Forwarded-For; entries to the left
of the ones our PROXY_COUNT proxies wrote came from the client and may be forged, so they are
ignored. Without a proxy (PROXY_COUNT=0) the header is ignored altogether.
"""

from ipaddress import ip_address

from django.conf import settings


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote  # not through our proxies: the direct peer is all we know
    candidate = hops[-count]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return remote
