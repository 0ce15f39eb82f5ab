-- Configuration schema of rate-limiting-inline (Kong 3.9 schema DSL).
--
-- The fields of Kong 3.9.3's bundled rate-limiting (kong/plugins/rate-limiting/
-- schema.lua), with the same names, types, defaults and checks, so a
-- configuration moves from one plugin to the other by its name alone; except:
--  * `policy` is `local` or `redis` (no `cluster`: counting in Postgres is
--    not done in the request);
--  * no `sync_rate`: both policies count in the request, always;
--  * none of the deprecated `redis_*` shorthand fields.

local typedefs = require "kong.db.schema.typedefs"
local redis_schema = require "kong.tools.redis.schema"


local type = type
local fmt = string.format


-- shortest window first: a longer window may not allow fewer requests
local PERIODS = { "second", "minute", "hour", "day", "month", "year" }


local function periods_in_order(config)
  for i = 1, #PERIODS - 1 do
    local shorter = config[PERIODS[i]]
    if type(shorter) == "number" then
      for j = i + 1, #PERIODS do
        local longer = config[PERIODS[j]]
        if type(longer) == "number" and longer < shorter then
          return nil, fmt("The limit for %s(%.1f) cannot be lower than the limit for %s(%.1f)",
                          PERIODS[j], longer, PERIODS[i], shorter)
        end
      end
    end
  end
  return true
end


local function limit(window)
  return {
    description = "Requests allowed per " .. window .. ".",
    type = "number",
    gt = 0,
  }
end


return {
  name = "rate-limiting-inline",
  fields = {
    { protocols = typedefs.protocols_http },
    { config = {
        type = "record",
        fields = {
          { second = limit("second") },
          { minute = limit("minute") },
          { hour = limit("hour") },
          { day = limit("day") },
          { month = limit("month") },
          { year = limit("year") },
          { limit_by = {
              description = "What a counter counts: requests of one consumer, credential, client address, service, header value or path.",
              type = "string",
              default = "consumer",
              one_of = { "consumer", "credential", "ip", "service", "header", "path" },
          }, },
          { header_name = typedefs.header_name },
          { path = typedefs.path },
          { policy = {
              description = "Where the counters live: `local` (this node's shared memory) or `redis` (shared by every node).",
              type = "string",
              default = "local",
              len_min = 0,
              one_of = { "local", "redis" },
          }, },
          { fault_tolerant = {
              description = "When the counters cannot be read (Redis down): `true` proxies the request unlimited and logs, `false` answers 500.",
              type = "boolean",
              required = true,
              default = true,
          }, },
          { redis = redis_schema.config_schema },
          { hide_client_headers = {
              description = "Leave out the RateLimit-* and X-RateLimit-* response headers.",
              type = "boolean",
              required = true,
              default = false,
          }, },
          { error_code = {
              description = "Status of the answer to a request over a limit.",
              type = "number",
              default = 429,
              gt = 0,
          }, },
          { error_message = {
              description = "Message of the answer to a request over a limit.",
              type = "string",
              default = "API rate limit exceeded",
          }, },
        },
        custom_validator = periods_in_order,
    }, },
  },
  entity_checks = {
    { at_least_one_of = { "config.second", "config.minute", "config.hour", "config.day", "config.month", "config.year" } },
    { conditional = {
        if_field = "config.policy", if_match = { eq = "redis" },
        then_field = "config.redis.host", then_match = { required = true },
    } },
    { conditional = {
        if_field = "config.policy", if_match = { eq = "redis" },
        then_field = "config.redis.port", then_match = { required = true },
    } },
    { conditional = {
        if_field = "config.policy", if_match = { eq = "redis" },
        then_field = "config.redis.timeout", then_match = { required = true },
    } },
    { conditional = {
        if_field = "config.limit_by", if_match = { eq = "header" },
        then_field = "config.header_name", then_match = { required = true },
    } },
    { conditional = {
        if_field = "config.limit_by", if_match = { eq = "path" },
        then_field = "config.path", then_match = { required = true },
    } },
  },
}
