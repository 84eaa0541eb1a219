-- wrk script for Benchmarks/serve-load.sh: POSTs a mix of valid, invalid and hostile declarations
-- to normcheck serve and counts the answers by status class.
--
-- The documents come from the file named by the environment variable SERVE_LOAD_MIX: one line per
-- request kind, "FORMAT PATH" (FORMAT: json, html, sarif or multipart). Every thread cycles through
-- the kinds, starting at a different one, so the mix is the same in every run.

local mix = {}
local counter = 0
local thread_index = 0
local threads = {}

local function read_file(path)
  local file = assert(io.open(path, "rb"), "cannot open " .. path)
  local data = file:read("*a")
  file:close()
  return data
end

local function load_mix()
  local list = assert(os.getenv("SERVE_LOAD_MIX"), "set SERVE_LOAD_MIX")
  for line in io.lines(list) do
    local format, path = line:match("^(%S+)%s+(.+)$")
    if format then
      local body = read_file(path)
      local request
      if format == "multipart" then
        local boundary = "----normcheckLoadBoundary7MA4YWxkTrZu0gW"
        local name = path:match("([^/]+)$")
        local form = "--" .. boundary .. "\r\n"
          .. "Content-Disposition: form-data; name=\"file\"; filename=\"" .. name .. "\"\r\n"
          .. "Content-Type: application/xml\r\n\r\n" .. body .. "\r\n"
          .. "--" .. boundary .. "\r\n"
          .. "Content-Disposition: form-data; name=\"xml\"\r\n\r\n\r\n"
          .. "--" .. boundary .. "--\r\n"
        request = wrk.format("POST", "/v1/check?format=html",
          { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, form)
      else
        request = wrk.format("POST", "/v1/check?format=" .. format, { ["Content-Type"] = "application/xml" }, body)
      end
      table.insert(mix, request)
    end
  end
  assert(#mix > 0, "the mix is empty")
end

function setup(thread)
  thread:set("id", thread_index)
  thread_index = thread_index + 1
  table.insert(threads, thread)
end

function init(args)
  load_mix()
  counter = id or 0
  s2xx, s4xx, s5xx, other = 0, 0, 0, 0
  s413 = 0
end

function request()
  counter = counter + 1
  return mix[(counter % #mix) + 1]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status >= 400 and status < 500 then
    s4xx = s4xx + 1
    if status == 413 then s413 = s413 + 1 end
  elseif status >= 500 then
    s5xx = s5xx + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t2, t4, t5, t413, tother = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t2 = t2 + thread:get("s2xx")
    t4 = t4 + thread:get("s4xx")
    t5 = t5 + thread:get("s5xx")
    t413 = t413 + thread:get("s413")
    tother = tother + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d rps=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f "
      .. "s2xx=%d s4xx=%d s413=%d s5xx=%d other=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.bytes, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    t2, t4, t413, t5, tother, e.connect, e.read, e.write, e.timeout))
end
