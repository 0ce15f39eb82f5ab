"""ai4v-gateway: one typed spec per stack, rendered as Pulumi resources, kong.yml and docs."""
