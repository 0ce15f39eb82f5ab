"""The Kubernetes platform: Kong as a Deployment in a namespace per stack (typed pulumi-kubernetes objects).

``settings`` and ``names`` are pure and import without pulumi-kubernetes; ``component.KubernetesPlatform``
creates the objects and is imported only by ``gateway.platform.factory.create_platform``.
"""
