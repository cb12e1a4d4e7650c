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
