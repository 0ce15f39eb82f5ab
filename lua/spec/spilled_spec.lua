-- Bodies nginx spilled to a temporary file (above client_body_buffer_size):
-- real files, read by the plugin through ngx.req.get_body_file().

local cjson = require "cjson"
local fake = require "helpers.pdk_fake"
local fixtures = require "helpers.fixtures"

fake.install()
local handler = require "kong.plugins.language-router.handler"
local json_scan = require "kong.plugins.language-router.json_scan"


local UPSTREAMS = { "up-hi", "up-ta", "up-default" }
local JSON = { ["Content-Type"] = "application/json" }
local MAPPINGS = {
  { language = "hi", upstream = "up-hi", service_id = "model-hi" },
  { language = "ta", upstream = "up-ta", service_id = "model-ta" },
}

local AUDIO = string.rep("UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=", 40000) -- ~2.4 MB
local CONFIG = '"config":{"language":{"sourceLanguage":"ta"},"serviceId":""}'
local AUDIO_PART = '"audio":[{"audioContent":"' .. AUDIO .. '"}]'


local files = {}

local function temp_file(content)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
  files[#files + 1] = path
  return path
end


local function run(content, over, headers)
  local conf = fake.config({ mappings = MAPPINGS, fallback_upstream = "up-default" })
  for k, v in pairs(over or {}) do conf[k] = v end
  local h = { ["Content-Type"] = "application/json", ["Content-Length"] = tostring(#content) }
  for k, v in pairs(headers or {}) do h[k] = v end
  local rec = fake.request({ headers = h, body_file = temp_file(content), upstreams = UPSTREAMS })
  handler:access(conf)
  return rec
end


-- counts the bytes the plugin reads from body files (the handler reads them
-- through json_scan.file_reader)
local function count_reads()
  local real = json_scan.file_reader
  local counter = { bytes = 0 }
  json_scan.file_reader = function(path, size)
    local read, close = real(path, size)
    if not read then return read, close end
    return function()
      local p, n = read()
      if p then counter.bytes = counter.bytes + n end
      return p, n
    end, close
  end
  counter.restore = function() json_scan.file_reader = real end
  return counter
end


describe("spilled bodies (real temporary files)", function()
  teardown(function()
    for _, p in ipairs(files) do os.remove(p) end
  end)

  it("config first: routes by the body's language and reads only the file's head", function()
    local counter = count_reads()
    local ok, rec = pcall(run, "{" .. CONFIG .. "," .. AUDIO_PART .. "}")
    counter.restore()
    assert.is_true(ok, rec)
    assert.equal("up-ta", rec.upstream)
    assert.equal("body", rec.service_headers["x-language-source"])
    assert.is_true(counter.bytes > 0 and counter.bytes <= 65536, counter.bytes)
    assert.is_true(rec.shared.language_router.body_spilled)
  end)

  it("config last: a chunked scan of the whole file", function()
    local body = "{" .. AUDIO_PART .. "," .. CONFIG .. "}"
    local counter = count_reads()
    local ok, rec = pcall(run, body)
    counter.restore()
    assert.is_true(ok, rec)
    assert.equal("up-ta", rec.upstream)
    assert.equal(#body, counter.bytes)
  end)

  it("sends the model as the serviceId query argument instead of rewriting the file", function()
    local rec = run("{" .. AUDIO_PART .. "," .. CONFIG .. "}")
    assert.is_nil(rec.raw_body)
    assert.equal("model-ta", fake.sent_query(rec).serviceId)
    assert.equal("query", rec.shared.language_router.service_id_delivered)
  end)

  it("keeps the client's other query arguments as sent, and replaces a serviceId of theirs", function()
    local conf = fake.config({ mappings = MAPPINGS, sources = { "body" } })
    local rec = fake.request({ headers = JSON, uri = "/asr?b=2&a=%2F&serviceId=x&a=1", upstreams = UPSTREAMS,
                               body_file = temp_file("{" .. CONFIG .. "}") })
    handler:access(conf)
    assert.equal("b=2&a=%2F&a=1&serviceId=model-ta", rec.raw_query)
    assert.equal(rec.raw_query, rec.var.args)
  end)

  it("escapes the model in the query", function()
    local conf = fake.config({ mappings = { { language = "ta", upstream = "up-ta", service_id = "ai4bharat/model x&y" } },
                               sources = { "body" } })
    local rec = fake.request({ headers = JSON, upstreams = UPSTREAMS, body_file = temp_file("{" .. CONFIG .. "}") })
    handler:access(conf)
    assert.equal("serviceId=ai4bharat%2Fmodel%20x%26y", rec.raw_query)
    assert.equal("ai4bharat/model x&y", fake.sent_query(rec).serviceId)
  end)

  it("or as a header, when configured", function()
    local rec = run("{" .. CONFIG .. "," .. AUDIO_PART .. "}",
                    { service_id_delivery = "header", service_id_header = "X-Model" })
    assert.equal("model-ta", rec.service_headers["x-model"])
    assert.is_nil(rec.raw_query)
  end)

  it("leaves a model the client sent", function()
    local cfg = '"config":{"language":{"sourceLanguage":"ta"},"serviceId":"mine"}'
    local rec = run("{" .. AUDIO_PART .. "," .. cfg .. "}")
    assert.equal("up-ta", rec.upstream)
    assert.is_nil(rec.raw_query)
  end)

  it("truncated after config: routes (the tail is never read)", function()
    local body = "{" .. CONFIG .. "," .. AUDIO_PART .. "}"
    local rec = run(body:sub(1, 200000))
    assert.equal("up-ta", rec.upstream)
  end)

  it("truncated before config: the fallback, no error", function()
    local body = "{" .. AUDIO_PART .. "," .. CONFIG .. "}"
    local rec = run(body:sub(1, #body - 10))
    assert.equal("up-default", rec.upstream)
    assert.equal("fallback", rec.service_headers["x-language-source"])
    assert.equal(0, #fake.logs(rec, "err"))
  end)

  it("larger than max_body_bytes: not read (declared size)", function()
    local counter = count_reads()
    local rec = run("{" .. CONFIG .. "," .. AUDIO_PART .. "}", { max_body_bytes = 1000 })
    counter.restore()
    assert.equal("up-default", rec.upstream)
    assert.equal(0, counter.bytes)
  end)

  it("larger than max_body_bytes: not read (chunked, the file's size)", function()
    local counter = count_reads()
    local content = "{" .. CONFIG .. "," .. AUDIO_PART .. "}"
    local conf = fake.config({ mappings = MAPPINGS, fallback_upstream = "up-default", max_body_bytes = 1000 })
    local rec = fake.request({ headers = JSON, body_file = temp_file(content), upstreams = UPSTREAMS })
    handler:access(conf)
    counter.restore()
    assert.equal("up-default", rec.upstream)
    assert.equal(0, counter.bytes)
  end)

  it("detects the language of a spilled NMT body", function()
    local doc = cjson.decode(fixtures["nmt-no-language"])
    doc.padding = string.rep("x", 300000)
    local rec = run(cjson.encode(doc))
    assert.equal("up-ta", rec.upstream)
    assert.equal("detected", rec.service_headers["x-language-source"])
    assert.equal("model-ta", fake.sent_query(rec).serviceId)
    assert.is_nil(rec.raw_body) -- a detected language is not written into a file
  end)

  it("a file that vanished: the fallback, no error", function()
    local rec = fake.request({ headers = JSON, body_file = "/nonexistent/nginx/client_body/0001",
                               upstreams = UPSTREAMS })
    handler:access(fake.config({ mappings = MAPPINGS, fallback_upstream = "up-default" }))
    assert.equal("up-default", rec.upstream)
    assert.equal(0, #fake.logs(rec, "err"))
  end)

  it("the file reader reads the whole file in chunks of at most 64 KiB, then closes", function()
    local content = "{" .. AUDIO_PART .. "}"
    local read, close = json_scan.file_reader(temp_file(content), 1000)
    local parts, biggest = {}, 0
    while true do
      local p, n = read()
      if not p then break end
      biggest = math.max(biggest, n)
      parts[#parts + 1] = require("ffi").string(p, n)
    end
    close()
    close()
    assert.equal(1000, biggest)
    assert.equal(content, table.concat(parts))
    local big = select(1, json_scan.file_reader(temp_file(content), 1e6))
    assert.equal(65536, select(2, big()))
    local none, err = json_scan.file_reader("/nonexistent/file")
    assert.is_nil(none)
    assert.truthy(err:find("cannot open", 1, true))
  end)
end)
