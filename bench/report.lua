-- wrk script of every measured scenario: the method and body come from
-- the environment (BENCH_METHOD, BENCH_BODY), the headers from -H. done()
-- prints one machine-readable line for scripts/bench:
--   RESULT <requests> <duration µs> <p50 µs> <p99 µs> <non-2xx/3xx> <socket errors>
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
	wrk.body = body
	wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %d %d %.1f %.1f %d %d\n", summary.requests, summary.duration,
		latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
