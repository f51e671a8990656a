"""The development server: a build output or a directory origin served with the headers
production sends (`assetpub serve`, `assetpub watch --serve`).

    server.py     DevServer (the HTTP server and its lifecycle), make_server
    handler.py    the request handler: GET/HEAD, conditional requests, ranges, negotiation
    headers.py    what to send for each path (manifest or header sidecar)
    negotiate.py  Accept-Encoding;  ranges.py  Range / If-Range;  paths.py  URL -> file
    livereload.py, follow.py   live reload (events, and following a replaced manifest)
"""

from .server import DevServer, ServeError, make_server

__all__ = ["DevServer", "ServeError", "make_server"]
