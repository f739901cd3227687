#!/usr/bin/env bash
# `spikelink bridge` with the synapse site's memristive synapses on a board
# (docs/bridge.md section 3.6): the three sites of examples/three-site, the
# synapse site running its synapses on DEVICE_URI with the board's rate rule,
# reproduce the paper's phases (checked as cli_bridge.sh does); a device
# table from scripts/memristor-tables loads; configuration errors of the
# board keys at their positions.
#   cli_bridge_board.sh SPIKELINK_BINARY DEVICE_URI
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
examples="$(cd "$here/../../examples" && pwd)"
scripts="$(cd "$here/../../scripts" && pwd)"
bin="$1"
dev="$2"
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
source "$here/cli_lib.sh"

# Four free UDP ports on loopback, so that runs in parallel do not meet.
read -r p_syn p_sil p_cul p_x < <(python3 -c "
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for x in s: x.bind(('127.0.0.1', 0))
print(*[x.getsockname()[1] for x in s])")
cp "$examples"/three-site/*.yaml "$examples"/three-site/connectivity.txt .
sed -i "s/127.0.0.1:5005/127.0.0.1:$p_syn/g; s/127.0.0.1:5010/127.0.0.1:$p_sil/g; s/127.0.0.1:5020/127.0.0.1:$p_cul/g" ./*.yaml
# The synapse site on the board: the example's devices on 64 levels, every
# synapse from level 0, but 20 potentiation pulses across the range instead
# of 30: once pacing evokes the culture most of the time, only its rare
# failures (PSPs) teach, and the quicker devices get the synapse well up
# the range (byte 202 after 12 pulses) before they run out.
sed -i "s|^  role: synapse|  role: synapse\n  device: $dev\n  levels: 64|; s|pulses_up: 30|pulses_up: 20|" synapse.yaml
grep -q "device: $dev" synapse.yaml && grep -q "pulses_up: 20" synapse.yaml ||
  { echo "FAIL: could not add the device to synapse.yaml"; exit 1; }

# The three sites. Before the potentiation phase, 10 Hz pacing rarely evokes
# the culture's neuron; after it, almost always; after depression, rarely.
"$bin" --json bridge synapse.yaml >synapse.json 2>synapse.err &
pids+=($!)
"$bin" --json bridge culture.yaml >culture.json 2>culture.err &
pids+=($!)
sleep 0.5
check "bridge silicon (three sites, synapses on $dev)" 0 "$bin" --json bridge silicon.yaml --device model:// -o silicon
cp out.txt silicon.json
kill -INT "${pids[@]}"
wait "${pids[@]}"
pids=()
python3 "$here/../tools/three_site_check.py" ||
  { echo "FAIL: the three-site phases with the synapses on a board"; cat silicon/summary.json synapse.json synapse.err culture.json | head -120; fails=$((fails + 1)); }
# What only a board-backed synapse site has.
python3 - <<'PY' || { echo "FAIL: the board-backed synapse site's counters"; cat synapse.json; fails=$((fails + 1)); }
import json
syn = json.load(open("synapse.json"))
site = syn["site"]
assert site["pre_events"] > 0 and site["post_events"] > 0 and site["forwards"] > 0, site
assert site["unknown_pre"] == 0 and site["unknown_post"] == 0, site
# The board kept pace with the wall clock: about a timestep a millisecond.
assert abs(site["timesteps"] - 1000 * syn["seconds"]) < 0.05 * 1000 * syn["seconds"] + 50, (site, syn["seconds"])
assert [w["synapse"] for w in syn["weights"]] == ["100->0", "0->101"], syn["weights"]
assert syn["weights"][0]["weight_byte"] < 128, syn["weights"]  # depressed at the end
PY

# A device table from scripts/memristor-tables, and the start level from
# r_initial: halfway up the range is level 16 of 32, weight byte 132.
python3 "$scripts/memristor-tables" --levels 32 --pulses-up 30 --pulses-down 10 --nonlinearity-up 2 \
  --nonlinearity-down 2 -o table.yaml || { echo "FAIL: memristor-tables"; fails=$((fails + 1)); }
printf 'bridge:\n  role: synapse\n  listen: 127.0.0.1:%s\n  device: %s\n  table: table.yaml\n  duration: 300 ms\n  connectivity: connectivity.txt\n  devices: {r_min: 4000, r_max: 9000, r_initial: 6500}\n  peers: {a: {address: 127.0.0.1:%s}}\n  posts: [{peer: a, ids: [0, 101]}]\n' "$p_x" "$dev" "$p_sil" > table_site.yaml
check "bridge synapse on $dev with a device table" 0 "$bin" --json bridge table_site.yaml
json "start level from r_initial" '[w["weight_byte"] for w in j["weights"]] == [132, 132] and j["site"]["timesteps"] >= 250'

# Configuration errors: exit 4 with file:line:column.
printf 'bridge:\n  role: synapse\n  listen: 127.0.0.1:%s\n  connectivity: connectivity.txt\n  levels: 32\n  peers: {a: {address: 127.0.0.1:1}}\n  posts: [{peer: a, ids: [0, 101]}]\n' "$p_x" > bad1.yaml
check "bridge: levels without a device" 4 "$bin" bridge bad1.yaml
contains "levels needs device" err.txt "bad1.yaml:5:.*needs bridge.device"
printf 'bridge:\n  role: synapse\n  listen: 127.0.0.1:%s\n  connectivity: connectivity.txt\n  device: modle://\n  peers: {a: {address: 127.0.0.1:1}}\n  posts: [{peer: a, ids: [0, 101]}]\n' "$p_x" > bad2.yaml
check "bridge: a bad device URI" 4 "$bin" bridge bad2.yaml
contains "device position" err.txt "bad2.yaml:5:.*bridge.device"
printf 'bridge:\n  role: synapse\n  listen: 127.0.0.1:%s\n  connectivity: connectivity.txt\n  device: %s\n  rule: {window: 20 s}\n  peers: {a: {address: 127.0.0.1:1}}\n  posts: [{peer: a, ids: [0, 101]}]\n' "$p_x" "$dev" > bad3.yaml
check "bridge: a rate window longer than a board's" 4 "$bin" bridge bad3.yaml
contains "window position" err.txt "bad3.yaml:6:.*at most 16383 ms"
printf 'bridge:\n  role: synapse\n  listen: 127.0.0.1:%s\n  connectivity: connectivity.txt\n  device: %s\n  table: table.yaml\n  levels: 64\n  peers: {a: {address: 127.0.0.1:1}}\n  posts: [{peer: a, ids: [0, 101]}]\n' "$p_x" "$dev" > bad4.yaml
check "bridge: levels that differ from the table's" 4 "$bin" bridge bad4.yaml
contains "levels position" err.txt "bad4.yaml:7:.*differs from the table's 32"

finish
