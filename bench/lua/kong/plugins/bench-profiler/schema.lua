-- bench-profiler takes no configuration: it is loaded, never configured (handler.lua).
return {
  name = "bench-profiler",
  fields = {
    { config = { type = "record", fields = {} } },
  },
}
