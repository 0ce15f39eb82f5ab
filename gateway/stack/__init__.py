"""A stack's ``Pulumi.<stack>.yaml``: ``settings`` (the ``ai4v-gateway:*`` keys, read and validated), ``checks``
(``check_stack``, the one check of ``__main__.py`` and ``validate``), ``images`` (pinned image defaults) and
``secrets`` (every secret's value, from config or generated)."""
