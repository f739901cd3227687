#!/usr/bin/env bash
# spikelink bridge under faults (docs/bridge.md, "Faults, and how they are
# reported"): a culture-role bridge sends framed datagrams through a seeded
# fault-injecting relay (tests/tools/udp_relay.py) to a synapse-role bridge,
# whose receive statistics must match exactly what the relay did; a fixed
# extra delay must show in the delay it measures; and malformed, oversized
# and stray datagrams must be counted, each by kind, without stopping it.
#   cli_bridge_faults.sh SPIKELINK_BINARY
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
relay="$here/../tools/udp_relay.py"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
source "$here/cli_lib.sh"

# Free ports on loopback, held together so that they differ (and released
# before they are printed): C the culture
# bridge, R the relay (the synapse bridge's framed peer), S the synapse
# bridge, X a legacy peer of it, U an address that is no peer.
read -r C R S X U < <(python3 -c '
import socket
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
ports = [s.getsockname()[1] for s in ss]
for s in ss: s.close()
print(*ports, flush=True)')

# The culture: 4 neurons at 50 Hz each, no bursts: up to 200 datagrams a
# second, mostly one event each.
cat >culture.yaml <<EOF
bridge:
  role: culture
  listen: 127.0.0.1:$C
  culture: {neurons: 4, spontaneous_rate: 50 Hz, burst_rate: 0 Hz, seed: 3}
  send_to: relay
  peers:
    relay: {address: 127.0.0.1:$R, format: framed}
EOF
# The synapse site: the culture's events come from the relay's address;
# pre-synaptic neuron 100 (from the legacy peer) is forwarded to post 0,
# which belongs to that same peer, so a spike sent to it comes back.
echo "100, 0, 0, 0" >connectivity.txt
cat >synapse.yaml <<EOF
bridge:
  role: synapse
  listen: 127.0.0.1:$S
  connectivity: connectivity.txt
  rule: {type: none}
  peers:
    relay: {address: 127.0.0.1:$R, format: framed}
    silicon: {address: 127.0.0.1:$X, format: legacy}
  posts:
    - {peer: silicon, ids: 0}
EOF

start_synapse() {  # start_synapse NAME: the synapse bridge, its --json statistics in NAME.json
  "$bin" --json bridge synapse.yaml >"$1.json" 2>"$1.err" &
  syn=$!
  pids+=("$syn")
  sleep 0.3
  kill -0 "$syn" 2>/dev/null \
    || { echo "FAIL: $1: the synapse bridge did not start"; cat "$1.err"; fails=$((fails + 1)); }
}
# run_traffic NAME CULTURE_SECONDS RELAY_OPTIONS...: the culture through the
# relay into the running synapse bridge; then stops the relay and the bridge.
run_traffic() {
  local name="$1" secs="$2"
  shift 2
  rm -f "$name.ready"
  python3 "$relay" --listen "127.0.0.1:$R" --target "127.0.0.1:$S" --source "127.0.0.1:$C" \
    --report "$name.relay.json" --ready "$name.ready" "$@" 2>"$name.relay.err" &
  local rel=$!
  pids+=("$rel")
  for _ in $(seq 50); do [ -e "$name.ready" ] && break; sleep 0.05; done
  "$bin" --json bridge culture.yaml --seconds "$secs" >"$name.culture.json" 2>"$name.culture.err" \
    || { echo "FAIL: $name: the culture bridge failed"; cat "$name.culture.err"; fails=$((fails + 1)); }
  kill -TERM "$rel"
  wait "$rel" || { echo "FAIL: $name: the relay failed"; cat "$name.relay.err"; fails=$((fails + 1)); }
  sleep 0.3
  kill -INT "$syn"
  wait "$syn" || { echo "FAIL: $name: the synapse bridge exited with $?"; cat "$name.err"; fails=$((fails + 1)); }
}
# verify NAME PYTHON_EXPRESSION...: each about s (the synapse's statistics),
# d (its sender D/0), k (its malformed datagrams by kind), r (the relay's
# report), c (the culture's statistics). One python for all: it is slow to
# start on a loaded machine.
verify() {
  python3 - "$@" <<'PY'
import json, sys
name, exprs = sys.argv[1], sys.argv[2:]
try:
    s, r, c = (json.load(open(f"{name}{part}.json")) for part in ("", ".relay", ".culture"))
    d = [x for x in s["senders"] if x["site"] == "D" and x["node"] == 0][0]
    # Malformed datagrams by kind, under keys like legacy_wrong_size, framed_bad_crc.
    k = {"".join(ch if ch.isalnum() else "_" for ch in key.lower()): v
         for key, v in s["dropped"]["malformed_by_kind"].items()}
except (OSError, ValueError, KeyError, IndexError) as e:
    print(f"FAIL: {name}: no statistics from the synapse bridge, the relay or the culture ({e!r})")
    sys.exit(len(exprs))
failed = 0
for expr in exprs:
    if eval(expr):
        print(f"ok: {name}: {expr}")
        continue
    failed += 1
    print(f"FAIL: {name}: {expr}")
print(f"  {name}: relay {json.dumps({x: v for x, v in r.items() if x != 'indices'})}")
print(f"  {name}: sender D/0 {json.dumps(d)}")
if failed:
    print(f"  {name}: dropped {json.dumps(s['dropped'])}")
sys.exit(failed)
PY
  fails=$((fails + $?))
}

# 1. Drops, duplicates and reordering, seeded, 6 % each: enough that each
# happens even when a loaded machine slows the culture to 100 datagrams
# (it sends one per turn of its loop, with the events since the last).
# Faults only in the first 2.5 s of 3, so the last datagrams arrive
# cleanly and every gap is seen.
# Then, as docs/bridge.md section 2.1 has it, unique + lost = the sequence
# numbers sent (the culture's datagrams out), with unique = datagrams -
# duplicates - too_old (no stale sessions: one culture run).
start_synapse faults
run_traffic faults 3 --seed 11 --drop 0.06 --duplicate 0.06 --reorder 0.06 --faults-for 2.5
verify faults 'r["in"] >= 100 and r["dropped"] > 0 and r["duplicated"] > 0 and r["reordered"] > 0' \
  'r["in"] == c["peers"]["relay"]["datagrams_out"] and r["send_errors"] == 0' \
  'd["lost"] == r["dropped"]' \
  'd["duplicates"] == r["duplicated"]' \
  'd["reordered"] == r["reordered"]' \
  'd["datagrams"] == r["forwarded"] + r["duplicated"] == r["sent"]' \
  'd["datagrams"] - d["duplicates"] - d["too_old"] + d["lost"] == c["peers"]["relay"]["datagrams_out"]' \
  'd["too_old"] == 0 and d["restarts"] == 0' \
  's["peers"]["relay"]["datagrams_in"] == r["sent"] and s["dropped"]["malformed"] == 0' \
  's["dropped"]["duplicate_events"] >= r["duplicated"]'  # a duplicate's events are dropped, not passed on twice

# 2. Clean traffic, after malformed, oversized and stray datagrams: each is
# counted by kind, and the bridge goes on forwarding. Oversized datagrams are
# dropped before the sender is looked at, so they are not counted as the
# peer's datagrams; malformed ones are.
start_synapse clean
python3 - "$R" "$S" "$X" "$U" <<'PY' >inject.txt 2>&1 || { echo "FAIL: inject"; cat inject.txt; fails=$((fails + 1)); }
import socket, struct, sys
R, S, X, U = (int(p) for p in sys.argv[1:])
poly, table = 0x82F63B78, []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ poly if c & 1 else c >> 1
    table.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = table[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
def framed(site, node, seq, events):  # docs/bridge.md 1.2
    h = struct.pack("<4sBBHBBHIQQQ", b"SLB1", 1, 0, len(events), ord(site), 0, node, 0, 0x5EED, seq, 0)
    body = h + b"".join(struct.pack("<QIBBH", t, ch, 0, v, 0) for t, ch, v in events)
    return body + struct.pack("<I", crc32c(body))
def legacy(site, neuron, value, tick):
    return struct.pack(">II", (ord(site) << 24) | neuron, (value << 24) | tick)
def sock(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(3)
    return s
dst = ("127.0.0.1", S)
good = framed("D", 7, 0, [(1000, 0, 2)])
with sock(X) as x:  # the legacy peer
    x.sendto(b"\0" * 7, dst)                        # wrong size
    x.sendto(b"\0" * 9, dst)                        # wrong size
    x.sendto(struct.pack(">II", ord("Z") << 24, 0), dst)  # unknown sender
    x.sendto(b"\0" * 1500, dst)                     # oversized
with sock(R) as r:  # the framed peer
    bad = bytearray(good); bad[45] ^= 0x01
    r.sendto(bytes(bad), dst)                       # bad CRC
    r.sendto(good[:30], dst)                        # too short
    r.sendto(b"\0" * 1473, dst)                     # oversized
with sock(U) as u:  # no peer
    u.sendto(legacy("A", 100, 0, 5), dst)
    u.sendto(good, dst)
with sock(R) as r:  # then real traffic from both peers
    r.sendto(good, dst)
with sock(X) as x:
    x.sendto(legacy("A", 100, 0, 5), dst)
    back, frm = x.recvfrom(2048)
    w0, w1 = struct.unpack(">II", back)
    assert frm[1] == S and len(back) == 8 and w0 >> 24 == ord("S") and w0 & 0xFFFFFF == 0, back
    print("forwarded:", back.hex())
PY
grep -q "^forwarded:" inject.txt && echo "ok: after malformed datagrams the synapse bridge still forwards a spike" \
  || { echo "FAIL: no spike forwarded after the malformed datagrams"; cat inject.txt; fails=$((fails + 1)); }
run_traffic clean 2
verify clean 'd["lost"] == 0 and d["duplicates"] == 0 and d["reordered"] == 0' \
  'd["datagrams"] == r["sent"] == r["in"] > 100' \
  's["dropped"]["unknown_peer"] == 2 and s["dropped"]["oversized"] == 2' \
  's["dropped"]["malformed"] == 5' \
  'k["legacy_wrong_size"] == 2 and k["legacy_unknown_sender"] == 1' \
  'k["framed_bad_crc"] == 1 and k["framed_too_short"] == 1' \
  'sum(k.values()) == s["dropped"]["malformed"]' \
  's["peers"]["silicon"]["datagrams_in"] == 4 and s["peers"]["silicon"]["datagrams_out"] == 1' \
  's["peers"]["relay"]["datagrams_in"] == r["sent"] + 3 and s["site"]["forwards"] == 1' \
  'any(x["site"] == "D" and x["node"] == 7 and x["datagrams"] == 1 for x in s["senders"])'

# 3. A fixed extra delay of 30 ms on every datagram: the delay the bridge
# measures (same host, same clock) rises by that much over the clean run's.
start_synapse delayed
run_traffic delayed 2 --delay-ms 30
verify delayed 'r["delayed"] == r["in"] == d["datagrams"] and d["lost"] == 0 and d["reordered"] == 0'
python3 - <<'PY' || fails=$((fails + 1))
import json
try:
    p50 = {n: [x for x in json.load(open(f"{n}.json"))["senders"] if x["site"] == "D" and x["node"] == 0][0]
           ["delay_us"]["p50"] for n in ("clean", "delayed")}
except (OSError, ValueError, KeyError, IndexError) as e:
    print(f"FAIL: delay p50: no statistics ({e!r})")
    raise SystemExit(1)
rise = p50["delayed"] - p50["clean"]
ok = 27000 <= rise <= 36000  # the relay's timer and the p50's bucket (0.8 %) blur it a little
print(f"{'ok' if ok else 'FAIL'}: delay p50 {p50['clean']:.0f} us clean, {p50['delayed']:.0f} us with 30 ms added: "
      f"+{rise:.0f} us")
raise SystemExit(0 if ok else 1)
PY

finish
