# t_serve_proxy.sh — issue 11: the per-address connection limit (64) of `pinggu serve` applies
# to clients that connect directly; behind a trusted proxy every connection comes from the
# proxy's address, so the limit is left to the proxy (docs/server.md §4). 66 idle connections
# are held open from 127.0.0.1, then one more asks GET /api/me: without --trusted-proxy the
# server drops it (the address is over its limit); with --trusted-proxy 127.0.0.1 it answers.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
$P init r.db >/dev/null

# prints "answered STATUS" or "dropped" for the 67th connection while 66 are held open
crowd() {
  python3 - "$1" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = []
for _ in range(66):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.append(s)
time.sleep(0.3)  # let the server accept (and, over the limit, close) them
try:
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    data = c.recv(64)
    print("answered " + data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "dropped")
except OSError:
    print("dropped")
for s in held:
    s.close()
PY
}

serve() { # serve LOG [options]: starts the server on a free port, sets $port and $pid
  log=$1; shift
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  $P serve --db r.db --listen "127.0.0.1:$port" "$@" >"$log.log" 2>"$log.err" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$log.log" 2>/dev/null && break; sleep 0.1; done
  grep -q listening "$log.log" || fail "server did not start: $(cat "$log.err")"
}

serve direct
[ "$(crowd "$port")" = dropped ] || fail "a 67th connection from one address was served without a proxy"
kill -TERM $pid; wait $pid || fail "server did not stop cleanly"

serve proxied --trusted-proxy 127.0.0.1
got=$(crowd "$port")
[ "$got" = "answered 401" ] || fail "behind a trusted proxy the 67th connection got '$got', not an answer (401)"
kill -TERM $pid; wait $pid || fail "server did not stop cleanly"
