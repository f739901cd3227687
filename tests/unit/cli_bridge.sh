#!/usr/bin/env bash
# `spikelink bridge` end to end on loopback (docs/bridge.md): the three
# sites of examples/three-site as three processes reproduce the paper's
# result; bridge configuration errors with their positions; datagrams from
# unknown addresses and malformed ones are counted and ignored.
#   cli_bridge.sh SPIKELINK_BINARY DEVICE_URI
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
examples="$(cd "$here/../../examples" && pwd)"
bin="$1"
dev="$2"
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
source "$here/cli_lib.sh"

# Four free UDP ports on loopback, so that runs in parallel do not meet.
read -r p_syn p_sil p_cul p_x < <(free_udp_ports 4)
cp "$examples"/three-site/*.yaml "$examples"/three-site/connectivity.txt .
sed -i "s/127.0.0.1:5005/127.0.0.1:$p_syn/; s/127.0.0.1:5010/127.0.0.1:$p_sil/; s/127.0.0.1:5020/127.0.0.1:$p_cul/" ./*.yaml
sed -i "s/127.0.0.1:5005/127.0.0.1:$p_syn/g; s/127.0.0.1:5010/127.0.0.1:$p_sil/g; s/127.0.0.1:5020/127.0.0.1:$p_cul/g" ./*.yaml

# The three sites. Before the potentiation phase, 10 Hz pacing rarely evokes
# the culture's neuron; after it, almost always; after depression, rarely.
"$bin" --json bridge synapse.yaml >synapse.json 2>synapse.err &
pids+=($!)
"$bin" --json bridge culture.yaml >culture.json 2>culture.err &
pids+=($!)
sleep 0.3
check "bridge silicon (three sites)" 0 "$bin" --json bridge silicon.yaml --device "$dev" -o silicon
cp out.txt silicon.json
kill -INT "${pids[@]}"
wait "${pids[@]}"
pids=()
python3 "$here/../tools/three_site_check.py" ||
  { echo "FAIL: the three-site phases"; cat silicon/summary.json synapse.json culture.json | head -80; fails=$((fails + 1)); }

# Configuration errors: exit 4 with file:line:column.
printf 'bridge:\n  role: synapse\n  listen: 127.0.0.1:%s\n  peers: {a: {address: 127.0.0.1:1}}\n  connectivity: connectivity.txt\n  posts: [{peer: b, ids: 0}]\n' "$p_x" > bad1.yaml
check "bridge: a post owner that is no peer" 4 "$bin" bridge bad1.yaml
contains "unknown peer position" err.txt "bad1.yaml:6:.*'b' is not a peer"
printf 'bridge:\n  role: culture\n  send_to: a\n  peers: {a: {adress: 127.0.0.1:1}}\n' > bad2.yaml
check "bridge: a misspelt key" 4 "$bin" bridge bad2.yaml
contains "did you mean" err.txt "bad2.yaml:4:.*unknown key 'adress'.*did you mean 'address'"
printf 'bridge:\n  role: culture\n  send_to: a\n  peers: {a: {address: example.org:1}}\n' > bad3.yaml
check "bridge: a host name" 4 "$bin" bridge bad3.yaml
contains "not an IP" err.txt "bad3.yaml:4:.*not an IP address"
printf 'bridge:\n  role: cultur\n' > bad4.yaml
check "bridge: a misspelt role" 4 "$bin" bridge bad4.yaml
contains "role" err.txt "did you mean 'culture'"

# Only configured peers are heard: datagrams from another address, and
# malformed ones from a peer, are counted and dropped; the bridge goes on.
printf 'bridge:\n  role: culture\n  listen: 127.0.0.1:%s\n  send_to: syn\n  culture: {neurons: 2, spontaneous_rate: 0 Hz, burst_rate: 0 Hz}\n  peers: {syn: {address: 127.0.0.1:%s}}\n' "$p_x" "$p_syn" > lone.yaml
"$bin" --json bridge lone.yaml >lone.json 2>lone.err &
pid=$!
pids+=($pid)
sleep 0.5
python3 - "$p_x" "$p_syn" <<'PY'
import socket, struct, sys, time
to = ("127.0.0.1", int(sys.argv[1]))
peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); peer.bind(("127.0.0.1", int(sys.argv[2])))
stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); stranger.bind(("127.0.0.1", 0))
good = struct.pack(">II", (ord("S") << 24) | 1, (255 << 24) | 7)  # a stimulus of neuron 1, weight 255
for _ in range(5): stranger.sendto(good, to)                      # unknown address: 5 dropped
peer.sendto(b"\x53\x00\x00", to)                                  # wrong size
peer.sendto(struct.pack(">II", (ord("Z") << 24) | 1, 0), to)      # unknown sender code
peer.sendto(b"\x00" * 2000, to)                                   # oversized
for n in (0, 1):                                                  # two real stimuli at weight 255: each evokes
    peer.sendto(struct.pack(">II", (ord("S") << 24) | n, (255 << 24) | 7), to)
peer.settimeout(2)
got = set()
try:
    while len(got) < 2:
        data, _ = peer.recvfrom(100)
        w0, w1 = struct.unpack(">II", data)
        assert w0 >> 24 == ord("D") and w1 >> 24 == 1, (hex(w0), hex(w1))  # an evoked spike
        got.add(w0 & 0xFFFFFF)
except socket.timeout:
    pass
print("evoked spikes back from neurons:", sorted(got))
sys.exit(0 if got == {0, 1} else 1)
PY
[ $? -eq 0 ] || { echo "FAIL: the culture did not answer real stimuli after the bad datagrams"; fails=$((fails + 1)); }
kill -INT "$pid"
wait "$pid"
pids=()
python3 -c "
import json
j = json.load(open('lone.json'))
d = j['dropped']
assert d['unknown_peer'] == 5 and d['oversized'] == 1 and d['malformed'] == 2, d
k = d['malformed_by_kind']
assert k['legacy_wrong_size'] == 1 and k['legacy_unknown_sender'] == 1, k
assert j['site']['stimuli'] == 2 and j['site']['evoked'] == 2, j['site']
" || { echo "FAIL: the drops were not counted exactly"; cat lone.json lone.err; fails=$((fails + 1)); }

# A peer's rate limit: 200 stimuli sent at once to a culture that takes 100
# events a second from that peer (bursts of 10) pass about 10; the rest are
# dropped and counted, and every one is accounted for.
printf 'bridge:\n  role: culture\n  listen: 127.0.0.1:%s\n  send_to: syn\n  culture: {neurons: 200, spontaneous_rate: 0 Hz, burst_rate: 0 Hz}\n  peers: {syn: {address: 127.0.0.1:%s, max_rate: 100 Hz}}\n' "$p_x" "$p_syn" > limited.yaml
"$bin" --json bridge limited.yaml >limited.json 2>limited.err &
pid=$!
pids+=($pid)
sleep 0.5
python3 - "$p_x" "$p_syn" <<'PY'
import socket, struct, sys
to = ("127.0.0.1", int(sys.argv[1]))
peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); peer.bind(("127.0.0.1", int(sys.argv[2])))
for n in range(200):
    peer.sendto(struct.pack(">II", (ord("S") << 24) | n, (255 << 24) | 1), to)
PY
sleep 0.5
kill -INT "$pid"
wait "$pid"
pids=()
python3 -c "
import json
j = json.load(open('limited.json'))
p = j['peers']['syn']
assert p['events_in'] == 200, p
assert p['rate_limited'] + j['site']['stimuli'] == 200, (p, j['site'])
assert 100 <= p['rate_limited'] <= 195, p  # about 190: a burst of 10 passes, then 100 a second
" || { echo "FAIL: the rate limit"; cat limited.json limited.err; fails=$((fails + 1)); }

finish
