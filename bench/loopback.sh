#!/usr/bin/env bash
# Quick loopback comparison: requests/s straight to an origin vs through badreq
# (base-URL mode, plain HTTP both hops, so only the proxy's own work differs).
# Needs wrk (apt-get install wrk). Bounded: each run lasts DURATION seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5}
CONNS=${CONNS:-16}
cargo build --release --quiet --example bench_origin --bin badreq
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

target/release/examples/bench_origin > "$work/origin.addr" &
until [ -s "$work/origin.addr" ]; do sleep 0.05; done
origin=$(cat "$work/origin.addr")

target/release/badreq --listen 127.0.0.1:0 --certs "$work/certs" --upstream "http://$origin" \
    2> "$work/badreq.log" > /dev/null &
until grep -q "listening on" "$work/badreq.log" 2>/dev/null; do sleep 0.05; done
proxy=$(sed -n 's/^badreq listening on http:\/\/\([^ ]*\).*/\1/p' "$work/badreq.log")

body='{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["content-type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["x-api-key"] = "sk-ant-api03-BENCHbenchBENCHbenchBENCHbenchBENCHbenchBENCHbenchBENCHbenchBENCHbenchBENCHbenchBENCHbenchBENAA"
LUA

run() { wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s "$work/post.lua" "$1" | tee "$work/wrk.out" >&2; }
echo "== direct: http://$origin" >&2
run "http://$origin/v1/messages"
direct=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
echo "== through badreq: http://$proxy" >&2
run "http://$proxy/v1/messages"
proxied=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
echo "direct ${direct} req/s, through badreq ${proxied} req/s (${CONNS} connections, ${DURATION}s, $(nproc) cores)"
