-- wrk script for bench/run.py (usable by hand too):
--
--   BENCH_TOKEN=btz_... wrk -t1 -c50 -d10s --latency -s bench/wrk.lua \
--       http://127.0.0.1:8000/api/messages/<id>
--   BENCH_METHOD=POST BENCH_BODY='{"userId":"...","visitorId":"...","text":"hi"}' \
--   BENCH_TOKEN=btz_... wrk -t1 -c50 -d10s --latency -s bench/wrk.lua \
--       http://127.0.0.1:8000/api/messages/
--
-- Environment:
--   BENCH_METHOD  GET (default) or POST
--   BENCH_TOKEN   sent as "Authorization: Bearer <token>" when set
--   BENCH_BODY    request body (sent with Content-Type: application/json)
--   BENCH_PATHS   a file of request paths, one a line, each requested once in turn (for
--                 calls that change state, such as DELETE); the thread stops when they run out
--   BENCH_AFTER   with BENCH_PATHS: a path to GET for requests still due after the stop
--
-- done() prints one line "BENCH_RESULT {json}" with the request count, duration, latency
-- percentiles (microseconds) and error counts. wrk counts a response as a status error when
-- its status is >= 400 ("Non-2xx or 3xx responses" in its own report).

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end

local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
end

local paths_file = os.getenv("BENCH_PATHS")
if paths_file and paths_file ~= "" then
   local paths = {}
   for line in io.lines(paths_file) do
      if line ~= "" then paths[#paths + 1] = line end
   end
   local after = os.getenv("BENCH_AFTER") or "/healthz"
   local next_path = 0
   request = function()
      next_path = next_path + 1
      if next_path > #paths then
         wrk.thread:stop()
         return wrk.format("GET", after)
      end
      return wrk.format(nil, paths[next_path])
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,' ..
      '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
