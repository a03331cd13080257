-- wrk warm-up script: GET BENCH_PATH once with each Cookie header value of
-- the file args[1] (written by cmd/accountgate-seed), in order, so every
-- session goes through the gate and into its verification cache. Run it
-- with one thread (-t1) and a long -d: once every cookie has been answered
-- (plus a margin for the requests still in flight on the other
-- connections, which wrap around to the first cookies), it prints
--   RESULT <responses> 0 0 0 <non-2xx responses> 0
-- and ends wrk (wrk itself would wait for -d).
local cookies = {}
local sent, answered, bad = 0, 0, 0
local path = os.getenv("BENCH_PATH") or "/app"
local margin = tonumber(os.getenv("BENCH_MARGIN") or "64")

function init(args)
	for line in io.lines(args[1]) do
		if line ~= "" then cookies[#cookies + 1] = line end
	end
end

function request()
	sent = sent + 1
	return wrk.format("GET", path, { ["Cookie"] = cookies[(sent - 1) % #cookies + 1] })
end

function response(status, headers, body)
	answered = answered + 1
	if status < 200 or status > 299 then
		bad = bad + 1
	end
	if answered >= #cookies + margin then
		io.write(string.format("RESULT %d 0 0 0 %d 0\n", answered, bad))
		io.stdout:flush()
		os.exit(0)
	end
end
