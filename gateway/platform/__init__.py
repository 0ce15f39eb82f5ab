"""The platforms Kong runs on: ``docker/`` (``KongPlatform``) and ``kubernetes/``, behind ``interface``.
What both share stays here: ``kongconf`` (Kong settings), ``naming`` (secret names, port scheme), ``tls``,
``children``."""
