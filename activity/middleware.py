from activity.recording import acting


class ActivityMiddleware:
    """Changes made while serving a request are recorded as the request's user's, through
    `admin` under /admin/ and `api` elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "admin" if request.path_info.startswith("/admin/") else "api"
        with acting(channel=channel, request=request):
            return self.get_response(request)
