-- language-router benchmark: `luajit bench/router_bench.lua` from the repo root.
--
-- Runs the plugin's access phase against the PDK fake of the specs and prints
-- one line per figure: microseconds per request, the median of RUNS timed runs
-- after a warm-up (the runs of ours and of the plugin it is compared with
-- alternate). Body cases also run a naive plugin that `cjson.decode`s the
-- whole body and reads the language field, and print the ratio naive/ours.
--
-- In the routing cases both plugins read the language and switch the upstream
-- (the mappings have no model, so no model is written). Ours does the whole
-- work of the plugin with the default configuration besides: it clears the
-- client's X-Language-* / X-Detected-* headers, looks at the language headers
-- and query arguments first, checks the upstream's health (cached), sets
-- its own headers and the kong.ctx.shared report. On the NMT example (no
-- script in the body) it also runs the detector's script step on the input
-- text and writes the detected script (Deva) into the body
-- (write_source_script). The naive plugin does none of that.
-- `nmt_small_json_same_work` compares ours with the same plugin doing the same
-- work but reading and writing the body with a plain cjson.decode/encode
-- (bench/cjson_paths.lua): issue 9's target, "no slower than a plain cjson
-- decode" (`_no_write`: the same on a body that names its script, so that
-- neither detects nor writes). `nmt_small_json_body_read` compares the body-reading step alone:
-- the plugin's scan of its paths against a plain cjson.decode of the same
-- text. The three small-JSON lines are medians over several processes (see
-- small_json_lines). The `_write_model` case adds sending the model: ours
-- sends it out of band (a body above 64 KiB is not rewritten), the naive one
-- decodes, sets and re-encodes. The `nmt_4kib_json` lines are the same three comparisons on
-- the top of issue 9's range: the NMT example's shape with 6 Hindi sentences
-- (3.5 KB), and `small_json_sizes` gives the two ratios of the target at
-- the sizes in between. `nmt_small_json_floor` routes the NMT request by its
-- language header (the body never read) against the naive plugin: the cost of
-- the work that does not depend on the body. `nmt_small_json_by_feature` times
-- the plugin with its features turned on one after the other.
-- `nmt_small_json_pdk_calls` counts the PDK calls of one NMT request by name:
-- the fake does not cost them like Kong, where most go into nginx.
--
-- The `spilled_50mib` lines route a 50 MiB body nginx spilled to a temporary
-- file (a real file here): time per request, read speed against a plain
-- chunked read of the same file, and the growth of Lua memory
-- (collectgarbage("count")) at its peak during the request and after it.

package.path = "lua/?.lua;lua/?/init.lua;lua/spec/?.lua;" .. package.path

local cjson = require "cjson.safe"
local fake = require "helpers.pdk_fake"

local kong = fake.install()
local handler = require "kong.plugins.language-router.handler"

-- a second copy of the plugin whose body reading and writing is a plain
-- cjson.decode / cjson.encode (bench/cjson_paths.lua); everything else is the
-- plugin's own code
local cjson_handler
do
  -- the handler and its steps load again with the cjson module as the body
  -- scanner and editor
  local PREFIX = "kong.plugins.language-router."
  local SCAN, EDIT, HANDLER = PREFIX .. "json_scan", PREFIX .. "json_edit", PREFIX .. "handler"
  local STEPS = { "handler", "plan", "body", "language", "upstream", "rewrite", "report" }
  local saved = {}
  for _, step in ipairs(STEPS) do
    saved[step], package.loaded[PREFIX .. step] = package.loaded[PREFIX .. step], nil
  end
  local json_scan, json_edit = package.loaded[SCAN], package.loaded[EDIT]
  local cjson_paths = dofile("bench/cjson_paths.lua")
  package.loaded[SCAN], package.loaded[EDIT] = cjson_paths, cjson_paths
  cjson_handler = require(HANDLER)
  package.loaded[SCAN], package.loaded[EDIT] = json_scan, json_edit
  for _, step in ipairs(STEPS) do
    package.loaded[PREFIX .. step] = saved[step]
  end
end

-- production log level: debug lines are dropped (the fake would record them)
kong.log.debug = function() end


local RUNS = tonumber(os.getenv("BENCH_RUNS")) or 9
local TARGET_SECONDS = tonumber(os.getenv("BENCH_RUN_SECONDS")) or 0.04
local clock = os.clock


local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end


-- ~1 MiB of base64 (deterministic)
local function base64_blob(bytes)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local t = {}
  local x = 12345
  for i = 1, bytes do
    x = (x * 1103515245 + 12345) % 2147483648
    local k = (math.floor(x / 65536) % 64) + 1
    t[i] = alphabet:sub(k, k)
  end
  return table.concat(t)
end


local AUDIO = base64_blob(1024 * 1024 - 200)
local CONFIG = '"config":{"language":{"sourceLanguage":"hi","sourceScriptCode":"Deva"},' ..
               '"serviceId":"","audioFormat":"wav","samplingRate":16000}'
local AUDIO_PART = '"audio":[{"audioContent":"' .. AUDIO .. '"}]'
local ASR_FIRST = "{" .. CONFIG .. "," .. AUDIO_PART .. "}"
local ASR_LAST = "{" .. AUDIO_PART .. "," .. CONFIG .. "}"
local NMT = read("lua/spec/fixtures/ulca/nmt.json")

-- NMT bodies of the example's shape with `n` Hindi sentences
-- (bench/data/speed.tsv), for the sizes of issue 9's "small JSON" range
local nmt_body
do
  local sentence
  for l in io.lines("bench/data/speed.tsv") do
    sentence = sentence or l:match("^deva\t(.*)$")
  end
  local item = '    {"source": "' .. assert(sentence) .. '"}'
  function nmt_body(n)
    local items = {}
    for i = 1, n do
      items[i] = item
    end
    return '{\n  "input": [\n' .. table.concat(items, ",\n") .. '\n  ],\n  "config": {\n' ..
           '    "language": {"sourceLanguage": "hi", "targetLanguage": "ta"},\n    "serviceId": ""\n  }\n}'
  end
end

-- the top of the range: as many sentences as fit in 4 KiB
local NMT_4KIB
do
  local n = 1
  while #nmt_body(n + 1) <= 4096 do
    n = n + 1
  end
  NMT_4KIB = nmt_body(n)
end

-- the sizes between the example and the top (`router.small_json_sizes`)
local SIZE_SENTENCES = { 1, 2, 4 }

local UPSTREAMS = { "up-hi", "up-ta", "up-default" }
local JSON = { ["Content-Type"] = "application/json" }


local route_conf = fake.config({
  mappings = {
    { language = "hi", upstream = "up-hi" },
    { language = "ta", upstream = "up-ta" },
  },
  fallback_upstream = "up-default",
})

local model_conf = fake.config({
  mappings = {
    { language = "hi", upstream = "up-hi", service_id = "ai4bharat/conformer-hi--gpu-t4" },
    { language = "ta", upstream = "up-ta", service_id = "ai4bharat/conformer-ta--gpu-t4" },
  },
  fallback_upstream = "up-default",
})


-- the naive plugin: decode everything, read one field
local NAIVE_UPSTREAMS = { hi = "up-hi", ta = "up-ta" }

local function naive_access(write_model)
  local body = kong.request.get_raw_body()
  local doc = cjson.decode(body)
  if type(doc) ~= "table" or type(doc.config) ~= "table" then
    return
  end

  local language = type(doc.config.language) == "table" and doc.config.language.sourceLanguage
  local upstream = NAIVE_UPSTREAMS[language]
  if upstream then
    kong.service.set_upstream(upstream)
  end

  if write_model and upstream and (doc.config.serviceId or "") == "" then
    doc.config.serviceId = "ai4bharat/conformer-" .. language .. "--gpu-t4"
    kong.service.request.set_raw_body(cjson.encode(doc))
  end
end


-- The timing loops. Each measured function gets its own copy (a fresh chunk):
-- LuaJIT compiles a loop for the function it calls first, and another
-- function called from the same loop runs through that trace's side exits (two
-- copies of the same code measured 1.2x apart that way).
local TIMER_SOURCE = [[
local clock, floor, max, target = ...

-- warms fn up; returns the calls of a run of about `target` seconds
local function run_size(fn)
  local n = 1
  while true do
    local t0 = clock()
    for _ = 1, n do fn() end
    local dt = clock() - t0
    if dt >= target / 4 then
      return max(1, floor(n * target / dt))
    end
    n = n * 2
  end
end

-- microseconds per call of fn over n calls
local function run_us(fn, n)
  local t0 = clock()
  for _ = 1, n do fn() end
  return (clock() - t0) / n * 1e6
end

return run_size, run_us
]]

local function timer()
  return assert(loadstring(TIMER_SOURCE, "=timer"))(clock, math.floor, math.max, TARGET_SECONDS)
end


local function median(samples)
  table.sort(samples)
  return samples[math.ceil(#samples / 2)]
end


-- the same for functions whose runs alternate, so that all see the same
-- load of a shared machine (for the ratios)
local function measure_turns(fns)
  local sizes, runs, ns, samples = {}, {}, {}, {}
  for i, fn in ipairs(fns) do
    sizes[i], runs[i] = timer()
    ns[i] = sizes[i](fn)
    samples[i] = {}
  end
  for r = 1, RUNS do
    for i, fn in ipairs(fns) do
      samples[i][r] = runs[i](fn, ns[i])
    end
  end
  local medians = {}
  for i = 1, #fns do
    medians[i] = median(samples[i])
  end
  return medians
end


-- median microseconds per call of fn
local function measure(fn)
  return measure_turns({ fn })[1]
end


local function measure_pair(fa, fb)
  local m = measure_turns({ fa, fb })
  return m[1], m[2]
end


local function check(rec, want_upstream, label)
  if rec.upstream ~= want_upstream then
    error(label .. ": routed to " .. tostring(rec.upstream) .. ", expected " .. want_upstream)
  end
end


local function ours(conf, req, want, label)
  local rec = fake.request(req)
  handler:access(conf)
  check(rec, want, label)
  return measure(function() handler:access(conf) end)
end


-- ours and the naive plugin on the same request, measured in turns
local function ours_and_naive(conf, req, write_model, want, label)
  local rec = fake.request(req)
  handler:access(conf)
  check(rec, want, label)
  rec = fake.request(req)
  naive_access(write_model)
  check(rec, want, label .. " (naive)")
  return measure_pair(function() handler:access(conf) end, function() naive_access(write_model) end)
end


local function line(name, us, naive_us)
  if naive_us then
    local ratio = naive_us / us
    print(string.format("router.%s: %.1f us/req (naive %.1f us, ratio " ..
                        (ratio < 10 and "%.2fx)" or "%.0fx)"),
                        name, us, naive_us, ratio))
  else
    print(string.format("router.%s: %.1f us/req", name, us))
  end
end


---------------------------------------------------------------------------
-- small JSON bodies (the NMT example)
---------------------------------------------------------------------------

-- The plugin's configuration with fewer features, for the stages of
-- `nmt_small_json_by_feature`: the body's language alone (no headers), then
-- the language headers and query arguments looked at first, then the script
-- detected and written into the body. The whole default is `nmt_small_json`.
local STAGES = {
  { sources = { "body" }, emit_headers = false, write_source_script = false },
  { emit_headers = false, write_source_script = false },
  { emit_headers = false },
}


-- One process's figures, each pair measured in turns: the whole request of
-- ours and of the naive plugin, of ours and of the same plugin reading and
-- writing the body with cjson (issue 9's target: no slower than a plain cjson
-- decode), and the body-reading step alone. The 1 MiB ASR bodies go through
-- both copies of the plugin first, as in mixed traffic, so the JIT has not
-- compiled the scanner for small bodies alone.
local function small_json_figures()
  local json_path = require "kong.plugins.language-router.json_path"
  local cjson_conf = fake.config(route_conf)
  for _, body in ipairs({ ASR_FIRST, ASR_LAST }) do
    local req = { headers = JSON, body = body, upstreams = UPSTREAMS }
    for _ = 1, 200 do
      fake.request(req)
      handler:access(route_conf)
    end
    for _ = 1, 5 do
      fake.request(req)
      cjson_handler:access(cjson_conf)
    end
  end

  -- routes `req` with both plugins; `verify(rec, label)` checks each request
  local function route_both(req, label, verify)
    for _, p in ipairs({ { handler, route_conf, label }, { cjson_handler, cjson_conf, label .. " (cjson)" } }) do
      local rec = fake.request(req)
      p[1]:access(p[2])
      check(rec, "up-hi", p[3])
      verify(rec, p[3])
    end
  end

  -- an NMT body that names no script: both write the detected one. Ours
  -- against the plugin with cjson, and against the naive plugin when `naive`.
  local function written(body, label, naive)
    local req = { headers = JSON, body = body, upstreams = UPSTREAMS }
    route_both(req, label, function(rec, l)
      local doc = cjson.decode(rec.raw_body or "")
      if not (doc and doc.config.language.sourceScriptCode == "Deva") then
        error(l .. ": the script was not written")
      end
    end)
    local ours, naive_us
    if naive then
      ours, naive_us = ours_and_naive(route_conf, req, false, "up-hi", label)
    end
    fake.request(req)
    local same, with_cjson = measure_pair(function() handler:access(route_conf) end,
                                          function() cjson_handler:access(cjson_conf) end)
    return ours, naive_us, same, with_cjson, req
  end

  local ours_us, naive_us, same_us, cjson_us, req = written(NMT, "nmt_small_json", true)
  -- the work that does not depend on the body: the same request routed by
  -- its language header (default configuration; the body is never read),
  -- against the naive plugin, which decodes the body (in the JIT state of the
  -- line above: a worker that routes with other configurations runs it
  -- slower, see docs/LANGUAGE_ROUTER.md)
  local by_header = { headers = { ["Content-Type"] = "application/json", ["X-Language"] = "hi" }, body = NMT,
                      upstreams = UPSTREAMS }
  local rec = fake.request(by_header)
  handler:access(route_conf)
  check(rec, "up-hi", "nmt_small_json_floor")
  assert(kong.ctx.shared.language_router.language_source == "header" and rec.raw_body == nil,
         "nmt_small_json_floor: the body was used")
  local floor_us, floor_naive_us = measure_pair(function() handler:access(route_conf) end,
                                                function() naive_access(false) end)

  local ours_4kib_us, naive_4kib_us, same_4kib_us, cjson_4kib_us = written(NMT_4KIB, "nmt_4kib_json", true)

  -- the same when the body names its script: nothing to detect or write
  local named = NMT:gsub('"language": {', '"language": {"sourceScriptCode": "Deva", ')
  local named_req = { headers = JSON, body = named, upstreams = UPSTREAMS }
  route_both(named_req, "nmt_small_json_no_write", function(rec, label)
    assert(rec.raw_body == nil, label .. ": the body was written")
  end)
  local named_us, named_cjson_us = measure_pair(function() handler:access(route_conf) end,
                                               function() cjson_handler:access(cjson_conf) end)

  -- the plugin's own paths with this configuration, scanned by its scanner:
  -- a fresh load of json_scan.lua, so that its traces are this loop's alone
  -- (as the timing loops' own copies, see TIMER_SOURCE)
  local small = assert(loadfile(package.searchpath("kong.plugins.language-router.json_scan", package.path)))()
  local set = assert(json_path.compile_set({ route_conf.body_language_path, route_conf.service_id_path,
                                             route_conf.body_script_path, route_conf.detect_fields[1] }))
  local opts = { capture = 2048, text = 2048 }
  -- the scan of `body` and cjson.decode of it, in turns
  local function body_read(body)
    assert(small.scan(body, set, opts).values[1].value == "hi")
    return measure_pair(function() small.scan(body, set, opts) end, function() cjson.decode(body) end)
  end
  local scan_us, decode_us = body_read(NMT)
  local scan_4kib_us, decode_4kib_us = body_read(NMT_4KIB)

  -- where the time of the whole request goes: the plugin with its features
  -- turned on one after the other (the kong.ctx.shared report is always made)
  local stage_fns = {}
  for i, over in ipairs(STAGES) do
    local conf = fake.config(route_conf)
    for k, v in pairs(over) do
      conf[k] = v
    end
    local rec = fake.request(req)
    handler:access(conf)
    check(rec, "up-hi", "nmt_small_json_by_feature stage " .. i)
    stage_fns[i] = function() handler:access(conf) end
  end
  stage_fns[#stage_fns + 1] = function() handler:access(route_conf) end
  stage_fns[#stage_fns + 1] = function() naive_access(false) end
  fake.request(req)
  local stages = measure_turns(stage_fns)

  local figures = { nmt = { ours_us, naive_us }, same_work = { same_us, cjson_us },
           no_write = { named_us, named_cjson_us }, body_read = { scan_us, decode_us },
           stage_body = { stages[1], stages[5] }, stage_first = { stages[2], stages[5] },
           stage_script = { stages[3], stages[5] }, stage_all = { stages[4], stages[5] },
           floor = { floor_us, floor_naive_us }, nmt_4kib = { ours_4kib_us, naive_4kib_us },
           same_work_4kib = { same_4kib_us, cjson_4kib_us }, body_read_4kib = { scan_4kib_us, decode_4kib_us } }

  -- the sizes in between: the whole request against the plugin with cjson,
  -- and the body read against cjson.decode
  for _, n in ipairs(SIZE_SENTENCES) do
    local body = nmt_body(n)
    local _, _, same, with_cjson = written(body, "small_json_sizes " .. n)
    figures["same_work_" .. n] = { same, with_cjson }
    figures["body_read_" .. n] = { body_read(body) }
  end
  return figures
end

local FIGURES = { "nmt", "same_work", "no_write", "body_read", "stage_body", "stage_first", "stage_script", "stage_all",
                  "floor", "nmt_4kib", "same_work_4kib", "body_read_4kib" }
for _, n in ipairs(SIZE_SENTENCES) do
  FIGURES[#FIGURES + 1] = "same_work_" .. n
  FIGURES[#FIGURES + 1] = "body_read_" .. n
end

if arg[1] == "--small-json" then
  local f = small_json_figures()
  for _, name in ipairs(FIGURES) do
    print(name, f[name][1], f[name][2])
  end
  os.exit(0)
end


-- These figures move by up to 2x from one LuaJIT process to the next on a
-- shared machine (the traces the JIT builds depend on hot-counter collisions
-- and load), so they are the medians over BENCH_PROCS fresh processes, with
-- the range of the ratio.
local function small_json_lines()
  local procs = tonumber(os.getenv("BENCH_PROCS")) or 7
  local cmd = (arg[-1] or "luajit") .. " " .. arg[0] .. " --small-json"
  local got = {}
  for _, name in ipairs(FIGURES) do
    got[name] = { ours = {}, other = {}, ratio = {} }
  end
  for _ = 1, procs do
    local p = assert(io.popen(cmd))
    for name, ours_us, other_us in p:read("*a"):gmatch("(%S+)\t(%S+)\t(%S+)") do
      local g = got[name]
      ours_us, other_us = tonumber(ours_us), tonumber(other_us)
      g.ours[#g.ours + 1], g.other[#g.other + 1], g.ratio[#g.ratio + 1] = ours_us, other_us, other_us / ours_us
    end
    assert(p:close(), cmd .. " failed")
  end

  -- ours, the other, the ratio other/ours: medians; then the lowest and highest ratio
  local function stats(name)
    local g = got[name]
    local ratio = median(g.ratio)  -- (sorts the ratios)
    return median(g.ours), median(g.other), ratio, g.ratio[1], g.ratio[#g.ratio]
  end
  local of = string.format("medians of %d processes", procs)

  -- a line comparing ours with the other of `figure`: `head` formats the two
  -- medians (ours first), the ratio and its range follow
  local function ratio_line(figure, head, target)
    local ours_us, other_us, ratio, low, high = stats(figure)
    print(string.format(head, ours_us, other_us) ..
          string.format("ratio %.2fx%s; %s, ratio %.2f-%.2fx)", ratio, target or "", of, low, high))
  end

  ratio_line("nmt", "router.nmt_small_json: %.1f us/req (naive %.1f us, ")
  ratio_line("same_work", "router.nmt_small_json_same_work: %.1f us/req (the same plugin reading and writing the " ..
                          "body with cjson.decode/encode %.1f us, ", ", target >= 1")
  ratio_line("no_write", "router.nmt_small_json_same_work_no_write: %.1f us/req (script named in the body, nothing " ..
                         "detected or written; with cjson %.1f us, ")
  local body_us, first_us, script_us = stats("stage_body"), stats("stage_first"), stats("stage_script")
  local all_us, stage_naive_us = stats("stage_all")
  print(string.format("router.nmt_small_json_by_feature: the body's language alone %.1f us, with the language " ..
                      "headers and query first %.1f us, and the script detected and written %.1f us, and the " ..
                      "plugin's headers (all of the default) %.1f us; the naive plugin %.1f us (runs in turns; %s)",
                      body_us, first_us, script_us, all_us, stage_naive_us, of))
  ratio_line("floor", "router.nmt_small_json_floor: %.1f us/req routed by its language header, the body not read " ..
                      "(the naive plugin, which decodes the body, %.1f us, ")
  ratio_line("body_read", "router.nmt_small_json_body_read: scan %.2f us, cjson.decode %.2f us (")
  ratio_line("nmt_4kib", string.format("router.nmt_4kib_json: %%.1f us/req (%d bytes, %d sentences; naive %%.1f us, ",
                                       #NMT_4KIB, select(2, NMT_4KIB:gsub('"source"', ""))))
  ratio_line("same_work_4kib", "router.nmt_4kib_json_same_work: %.1f us/req (the same plugin with " ..
                               "cjson.decode/encode %.1f us, ")
  ratio_line("body_read_4kib", "router.nmt_4kib_json_body_read: scan %.2f us, cjson.decode %.2f us (")

  -- every size: the whole request, then the body read (ratios)
  local sizes = {}
  local function add(bytes, same, read)
    sizes[#sizes + 1] = string.format("%d B %.2fx / %.2fx", bytes, select(3, stats(same)), select(3, stats(read)))
  end
  add(#NMT, "same_work", "body_read")
  for _, n in ipairs(SIZE_SENTENCES) do
    add(#nmt_body(n), "same_work_" .. n, "body_read_" .. n)
  end
  add(#NMT_4KIB, "same_work_4kib", "body_read_4kib")
  print(string.format("router.small_json_sizes: the whole request against the same plugin with cjson.decode/encode " ..
                      "/ the body read against cjson.decode (ratios, target >= 1; %s): %s", of, table.concat(sizes, ", ")))
end


local cases = {
  { "header", { headers = { ["X-Language"] = "ta" } }, "up-ta" },
  { "query", { query = { lang = "ta" } }, "up-ta" },
  { "asr_1mib_config_first", { headers = JSON, body = ASR_FIRST }, "up-hi", true },
  { "asr_1mib_config_last", { headers = JSON, body = ASR_LAST }, "up-hi", true },
}

for _, c in ipairs(cases) do
  local name, req, want, with_naive = c[1], c[2], c[3], c[4]
  req.upstreams = UPSTREAMS
  if with_naive then
    line(name, ours_and_naive(route_conf, req, false, want, name))
  else
    line(name, ours(route_conf, req, want, name))
  end
end

small_json_lines()


-- The PDK calls one request makes, by name: in Kong most of them go into nginx
-- (ngx.var lookups, header list edits, a parse of the query string per
-- get_query), which the fake does not cost like Kong does.
local function pdk_calls(fn)
  local counts, saved = {}, {}
  for _, t in ipairs({ kong.request, kong.service, kong.service.request }) do
    for name, f in pairs(t) do
      if type(f) == "function" then
        saved[#saved + 1] = { t, name, f }
        t[name] = function(...)
          counts[name] = (counts[name] or 0) + 1
          return f(...)
        end
      end
    end
  end
  fn()
  for _, s in ipairs(saved) do
    s[1][s[2]] = s[3]
  end

  local names, total = {}, 0
  for name, n in pairs(counts) do
    names[#names + 1] = name .. " " .. n
    total = total + n
  end
  table.sort(names)
  return total, table.concat(names, ", ")
end

do
  local req = { headers = JSON, body = NMT, upstreams = UPSTREAMS }
  local ours_n, ours_list = pdk_calls(function()
    fake.request(req)
    handler:access(route_conf)
  end)
  local naive_n = pdk_calls(function()
    fake.request(req)
    naive_access(false)
  end)
  print(string.format("router.nmt_small_json_pdk_calls: %d per request (%s; naive plugin %d)",
                      ours_n, ours_list, naive_n))
end

do
  local req = { headers = JSON, body = ASR_FIRST, upstreams = UPSTREAMS }
  line("asr_1mib_config_first_write_model", ours_and_naive(model_conf, req, true, "up-hi", "write_model"))
end


---------------------------------------------------------------------------
-- spilled bodies: a 50 MiB file
---------------------------------------------------------------------------

local json_scan = require "kong.plugins.language-router.json_scan"

local SPILL_BYTES = 50 * 1024 * 1024
local BIG_AUDIO = string.rep(AUDIO, math.ceil(SPILL_BYTES / #AUDIO)):sub(1, SPILL_BYTES - 300)


local function spill(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end


-- the same reads (read(2) into the plugin's 64 KiB buffer) without scanning
local function plain_read_seconds(path)
  local t0 = clock()
  local read, close = json_scan.file_reader(path, 65536)
  while read() do end
  close()
  return clock() - t0
end


-- peak and retained growth of Lua memory (KiB) over one request
local function memory(conf, req)
  local real = json_scan.file_reader
  local peak = 0
  json_scan.file_reader = function(path, size)
    local read, close = real(path, size)
    return function()
      local chunk, n = read()
      local kib = collectgarbage("count")
      if kib > peak then peak = kib end
      return chunk, n
    end, close
  end

  fake.request(req)
  handler:access(conf) -- warm-up
  fake.request(req)
  -- settle the heap (LuaJIT shrinks its string table a cycle later)
  for _ = 1, 4 do collectgarbage("collect") end
  local before = collectgarbage("count")
  peak = before
  handler:access(conf)
  local kib = collectgarbage("count")
  if kib > peak then peak = kib end
  collectgarbage("collect")
  local after = collectgarbage("count")
  json_scan.file_reader = real
  return peak - before, after - before
end


local spill_conf = fake.config({
  mappings = {
    { language = "hi", upstream = "up-hi", service_id = "ai4bharat/conformer-hi--gpu-t4" },
    { language = "ta", upstream = "up-ta" },
  },
  fallback_upstream = "up-default",
})

local BIG_AUDIO_PART = '"audio":[{"audioContent":"' .. BIG_AUDIO .. '"}]'
for _, case in ipairs({ { "config_first", "{" .. CONFIG .. "," .. BIG_AUDIO_PART .. "}" },
                        { "config_last", "{" .. BIG_AUDIO_PART .. "," .. CONFIG .. "}" } }) do
  local name, path = case[1], spill(case[2])
  case[2] = nil
  collectgarbage("collect")
  local req = { headers = JSON, body_file = path, upstreams = UPSTREAMS }
  local rec = fake.request(req)
  handler:access(spill_conf)
  check(rec, "up-hi", name)
  assert((fake.sent_query(rec) or {}).serviceId, name .. ": model not delivered")

  local us = measure(function()
    fake.request(req)
    handler:access(spill_conf)
  end)
  local peak, retained = memory(spill_conf, req)
  local mb = SPILL_BYTES / 1e6
  if name == "config_first" then
    print(string.format("router.spilled_50mib_%s: %.3f ms/req (target <= 1 ms)", name, us / 1000))
  else
    local plain = plain_read_seconds(path)
    print(string.format("router.spilled_50mib_%s: %.1f ms/req, %.0f MB/s (the same reads without scanning: %.0f MB/s)",
                        name, us / 1000, mb / (us / 1e6), mb / plain))
  end
  print(string.format("router.spilled_50mib_%s_lua_memory: peak %+.0f KiB, after the request %+.0f KiB (target <= 256 KiB)",
                      name, peak, retained))
  os.remove(path)
end
