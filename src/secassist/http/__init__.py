"""HTTP plumbing shared by the two web adapters: the app factory, the request
dependencies and the error mapping. ``api/`` (JSON) and ``web/`` (pages) both import
from here and never from each other; only :mod:`secassist.http.app` imports them, to
mount them."""
