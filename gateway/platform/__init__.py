"""The platforms Kong runs on: ``docker/`` (``DockerPlatform``) and ``kubernetes/`` (``KubernetesPlatform``),
behind ``interface``; ``factory.create_platform`` picks one. What both share stays here: ``kongconf`` (Kong
settings), ``naming`` (secret and object names), ``tls``, ``children``, ``files``."""
