class VietnameseByDefaultMiddleware:
    """Vietnamese unless the user picked English with the language switch.

    Office computers in Vietnam often run English-language browsers, and Django's
    LocaleMiddleware would follow their Accept-Language header. Here only the language cookie,
    set by the switch in the page header, moves a user away from LANGUAGE_CODE.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
