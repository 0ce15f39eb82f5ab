"""What Kong is given, from a spec: ``records`` (the Admin API's records of each entity), ``entities``
(pulumi-kong resources, DB mode), ``declarative`` (kong.yml, DB-less mode), ``vault`` (plugin secrets as vault
references), ``adminpatch`` (fields pulumi-kong cannot send) and ``scope`` (which plugin instance applies)."""
