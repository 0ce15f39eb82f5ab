-- Configuration schema of the identity-guard plugin (Kong 3.9 schema DSL).
-- Configured once globally (its rewrite phase only runs for global instances);
-- a service or route instance overrides the access and log settings.
-- The only definition of the plugin's configuration: tests/test_plugin_schemas.py
-- checks gateway/spec/plugins/identity.py against it, field by field.

local typedefs = require "kong.db.schema.typedefs"


local IDENTITY_HEADERS = {
  "X-Consumer-ID",
  "X-Consumer-Custom-ID",
  "X-Consumer-Username",
  "X-Credential-Identifier",
  "X-Anonymous-Consumer",
  "X-Consumer-Groups",
  "X-Authenticated-Groups",
  "X-Authenticated-Userid",
}

local UNAUTHORIZED = "Unauthorized: send an API key in the 'apikey' or 'X-API-Key' header " ..
                     "(or the 'apikey' query argument), or a JWT as 'Authorization: Bearer <token>'"


return {
  name = "identity-guard",
  fields = {
    { consumer = typedefs.no_consumer },
    { protocols = typedefs.protocols_http },
    { config = {
        type = "record",
        fields = {
          { strip_headers = {
              description = "Request headers removed before authentication (rewrite phase), so only the gateway sets them.",
              type = "array",
              required = true,
              default = IDENTITY_HEADERS,
              elements = typedefs.header_name,
          }, },
          { identity_header = typedefs.header_name {
              description = "Header carrying the identity the rate limit counts on; always removed from the client's request.",
              required = true,
              default = "X-Client-Identity",
          }, },
          { subject_claim = {
              description = "JWT claim naming the end user; its MD5 is appended to the consumer id.",
              type = "string",
              required = true,
              default = "sub",
              len_min = 1,
          }, },
          { reject_anonymous = {
              description = "Answer 401 when an auth plugin fell back to its anonymous consumer.",
              type = "boolean",
              required = true,
              default = true,
          }, },
          { verify_nbf = {
              description = "Refuse a JWT whose `nbf` is in the future; a token without `nbf` passes.",
              type = "boolean",
              required = true,
              default = true,
          }, },
          { realm = {
              description = "Realm of the WWW-Authenticate header of a 401.",
              type = "string",
              required = true,
              default = "ai4v-gateway",
          }, },
          { unauthorized_message = {
              description = "`message` of the JSON body of a 401 for an anonymous request.",
              type = "string",
              required = true,
              default = UNAUTHORIZED,
          }, },
          { redact_query_args = {
              description = "Query arguments (any case) removed before the backend (only from a query that has one; the rest kept byte for byte), whose values never reach logging plugins.",
              type = "array",
              required = true,
              default = { "apikey", "jwt" },
              elements = { type = "string" },
          }, },
          { redact_headers = {
              description = "Request headers whose values never reach logging plugins.",
              type = "array",
              required = true,
              default = { "apikey", "X-API-Key", "Authorization", "Proxy-Authorization" },
              elements = typedefs.header_name,
          }, },
        },
    }, },
  },
}
