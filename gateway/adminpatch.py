"""Kept importable at this path on purpose: Pulumi's Python dynamic provider pickles the provider with dill, by
reference to its module and class, into every stack's state (``__provider``), so state written before issue 24
names ``gateway.adminpatch.KongFieldsProvider``. The code lives in ``gateway.kong.adminpatch``."""

from gateway.kong.adminpatch import KongFieldsProvider as KongFieldsProvider
