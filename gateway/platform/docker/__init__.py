"""The Docker platform: ``component.DockerPlatform`` (network, Postgres, migrations, Redis, Kong nodes, demo
backends) on one Docker engine; ``settings.DockerSettings`` (pure) is its section of ``StackSettings``. The
platform-neutral parts it shares with Kubernetes stay in
``gateway.platform``: ``kongconf`` (Kong settings), ``naming`` (secret names, port scheme), ``tls``,
``children`` (child names and aliases); ``interface`` is what ``__main__.py`` needs of either platform."""
