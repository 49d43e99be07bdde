# load.py — issue 14's concurrency and fault driver for `pinggu serve` (tests/cli/t_pg_load.sh),
# python3 standard library only. Two modes:
#   load.py concurrency PORT OUTDIR CLIENTS
#       CLIENTS threads submit the round's questionnaires (sim/registered-household.csv) at
#       once, each its share with its own Idempotency-Key, then each re-submits another
#       client's key (a duplicate racing nothing but the store); at the same time 5 office
#       users each try to dismiss the same 20 candidate problems, in different orders. Writes
#       OUTDIR/acked.txt (unit per acknowledged submission), OUTDIR/winners.txt ("problem
#       office" per 201 move) and OUTDIR/statuses.txt (status: count). Fails on any status
#       but the expected ones (201, and 422 illegal_move for a problem another office moved).
#   load.py faults PORTFILE OUTDIR CRASH_CMD RESUME_CMD
#       8 clients submit with retries (same key) while the driver crashes the database
#       (CRASH_CMD), lets the clients meet it down, starts it (RESUME_CMD), then kills the
#       server with SIGKILL and waits for the test to restart it (the new port in PORTFILE).
#       Every submission must end acknowledged; OUTDIR/statuses.txt as above.
# Bounded: every request has a timeout, every phase a deadline; the clients never sleep to
# measure anything — the assertions are on counts.
import csv, http.client, json, os, subprocess, sys, threading, time

mode = sys.argv[1]
ORIGIN = None
# bounded in count: the first 200 questionnaires (concurrency), 120 (faults)
rows = list(csv.DictReader(open("sim/registered-household.csv", encoding="utf-8")))
rows = rows[:200] if mode == "concurrency" else rows[:120]
mem = {}
for m in csv.DictReader(open("sim/registered-household.members.csv", encoding="utf-8")):
    mem.setdefault(m["unit"], []).append(m)
DEADLINE = time.monotonic() + 480


def fail(what):
    print("FAIL:", what, file=sys.stderr)
    os._exit(1)


tls = threading.local()


def call(port, method, path, body, h, timeout=120):
    """One request on this thread's keep-alive connection (a client holds one connection, as
    a browser does; the server allows 64 per address); a new connection after any error."""
    c = getattr(tls, "c", None)
    if c is None or tls.port != port:
        c = tls.c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        tls.port = port
    hh = {"Origin": "http://127.0.0.1:%d" % port, "Content-Type": "application/json"}
    hh.update(h)
    try:
        c.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=hh)
        r = c.getresponse()
        t = r.read()
    except BaseException:
        c.close()
        tls.c = None
        raise
    if r.getheader("Connection", "").lower() == "close":
        c.close()
        tls.c = None
    try:
        j = json.loads(t) if t else None
    except ValueError:
        j = None
    return r.status, j, r


def login(port, user, pw, new):
    st, j, r = call(port, "POST", "/api/session", {"user": user, "password": pw}, {})
    if st != 200: fail("login %s: %d %s" % (user, st, j))
    auth = {"Cookie": r.getheader("Set-Cookie").split(";")[0], "X-CSRF-Token": j["csrf_token"]}
    if j.get("must_change"):
        st, j, _ = call(port, "POST", "/api/me/password", {"old": pw, "new": new}, auth)
        if st != 200: fail("password change %s: %d %s" % (user, st, j))
    return auth


KEY = "q-" if mode == "concurrency" else "f-"   # the two runs share a store, not keys


def submit(port, auth, i):
    h = dict(auth)
    h["Idempotency-Key"] = KEY + str(i)
    return call(port, "POST", "/api/rounds/n/questionnaires",
                {"form": "registered-household", "questionnaire": rows[i],
                 "members": mem.get(rows[i]["unit"], [])}, h)


statuses, slock = {}, threading.Lock()


def count(st):
    with slock:
        statuses[st] = statuses.get(st, 0) + 1


def write_statuses(out):
    with open(os.path.join(out, "statuses.txt"), "w") as f:
        for k in sorted(statuses, key=str):
            f.write("%s: %d\n" % (k, statuses[k]))


if mode == "concurrency":
    port, out, nclients = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    loader = login(port, "loader", "Load-Pass-2020", "Load-Pass-2021")
    offices = [login(port, "office%d" % k, "Office-Pass-2020", "Office-Pass-2021") for k in range(5)]
    st, j, _ = call(port, "GET", "/api/problems?round=n", None, offices[0])
    if st != 200: fail("problem list: %d" % st)
    cands = [p["id"] for p in j["problems"] if p["state"] == "candidate"][:20]
    if len(cands) < 20: fail("only %d candidate problems" % len(cands))
    acked, winners, errors = {}, {}, []
    gate = threading.Barrier(nclients + 5)

    def client(k):
        gate.wait()
        mine = list(range(k, len(rows), nclients))
        for i in mine + [(k * 7 + 3) % len(rows)]:   # then another client's key, again
            while True:
                if time.monotonic() > DEADLINE: errors.append("deadline"); return
                st, j, _ = submit(port, loader, i)
                count(st)
                if st == 409: continue                # the same key still running elsewhere
                if st != 201: errors.append((i, st, j)); return
                with slock:
                    if not j.get("replayed"): acked[i] = acked.get(i, 0) + 1
                break

    def office(k):
        gate.wait()
        order = cands[k * 4:] + cands[:k * 4]
        for p in order:
            st, j, _ = call(port, "POST", "/api/problems/%d/moves" % p,
                            {"to": "dismissed", "note": "office%d" % k, "on": "2020-04-21"}, offices[k])
            count(st)
            if st == 201:
                with slock: winners.setdefault(p, []).append(k)
            elif not (st == 422 and j["error"]["code"] == "illegal_move"):
                errors.append((p, st, j))

    ts = [threading.Thread(target=client, args=(k,)) for k in range(nclients)]
    ts += [threading.Thread(target=office, args=(k,)) for k in range(5)]
    for t in ts: t.start()
    for t in ts: t.join()
    write_statuses(out)
    if errors: fail("unexpected answers: %s" % errors[:3])
    dup = [i for i, n in acked.items() if n != 1]
    if dup: fail("stored twice (not replayed): %s" % dup[:5])
    if sorted(acked) != list(range(len(rows))): fail("%d of %d submissions acknowledged" % (len(acked), len(rows)))
    if sorted(winners) != sorted(cands) or any(len(w) != 1 for w in winners.values()):
        fail("each problem moved by exactly one office: %s" % winners)
    with open(os.path.join(out, "acked.txt"), "w") as f:
        for i in sorted(acked): f.write(rows[i]["unit"] + "\n")
    with open(os.path.join(out, "winners.txt"), "w") as f:
        for p in sorted(winners): f.write("%d office%d\n" % (p, winners[p][0]))
    print("concurrency: %d clients, %d questionnaires, %d problems by 5 offices; statuses %s"
          % (nclients, len(rows), len(cands), dict(sorted(statuses.items()))))

elif mode == "faults":
    portfile, out, crash, resume = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    port = [int(open(portfile).read())]
    auth = login(port[0], "loader", "Load-Pass-2021", None)   # changed by the concurrency run
    acked, lock = {}, threading.Lock()
    phase = ["up"]          # up -> down (database crashed) -> back -> killed -> restarted
    during = {}             # statuses seen while the database was down
    errors = []

    def worker(k):
        for i in range(k, len(rows), 8):
            while True:
                if time.monotonic() > DEADLINE: errors.append(("deadline", i)); return
                try:
                    st, j, _ = submit(port[0], auth, i)
                except (OSError, http.client.HTTPException):
                    count("connection refused or reset")
                    time.sleep(0.2); continue     # the server is down: retry, same key
                count(st)
                if phase[0] == "down":
                    with lock: during[st] = during.get(st, 0) + 1
                if st in (409, 503): time.sleep(0.1); continue
                if st != 201: errors.append((i, st, j)); return
                with lock:
                    acked[i] = acked.get(i, 0) + 1
                break

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in ts: t.start()

    def wait_acked(n):
        while len(acked) < n:
            if time.monotonic() > DEADLINE or not any(t.is_alive() for t in ts): fail("stalled at %d acked" % len(acked))
            time.sleep(0.05)

    n = len(rows)
    wait_acked(n // 4)
    phase[0] = "down"
    subprocess.run(crash, shell=True, check=True)
    t0 = time.monotonic()
    while sum(during.values()) < 8 and time.monotonic() - t0 < 60: time.sleep(0.05)
    subprocess.run(resume, shell=True, check=True)
    phase[0] = "back"
    wait_acked(n // 2)
    phase[0] = "killed"
    open(os.path.join(out, "kill"), "w").write("now\n")     # the test kills and restarts serve
    while os.path.exists(os.path.join(out, "kill")):
        if time.monotonic() > DEADLINE: fail("the server was not restarted")
        time.sleep(0.05)
    port[0] = int(open(portfile).read())
    phase[0] = "restarted"
    for t in ts: t.join()
    write_statuses(out)
    with open(os.path.join(out, "down.txt"), "w") as f:
        for k in sorted(during, key=str): f.write("%s: %d\n" % (k, during[k]))
    if errors: fail("unexpected answers: %s" % errors[:3])
    if sorted(acked) != list(range(n)): fail("%d of %d acknowledged" % (len(acked), n))
    # every one again with its key: answered as before, nothing stored
    for i in range(n):
        st, j, _ = submit(port[0], auth, i)
        if st != 201 or j.get("replayed") is not True: fail("replay %d: %d %s" % (i, st, j))
    with open(os.path.join(out, "acked.txt"), "w") as f:
        for i in sorted(acked): f.write(rows[i]["unit"] + "\n")
    print("faults: %d submissions acknowledged through a database crash and a server kill; "
          "while down: %s; all: %s" % (n, during, dict(sorted(statuses.items(), key=str))))
