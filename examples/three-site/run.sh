#!/usr/bin/env bash
# The three-site experiment of Serb et al. (2020) on one machine: a
# silicon-neuron site (a board, or the simulated board), the memristive
# synapse site and a stand-in for the biological site, three processes that
# exchange spikes over UDP on loopback (docs/bridge.md).
#
#   examples/three-site/run.sh [DEVICE]      DEVICE: sim:// (default), model://, usb://
#
# Prints, per phase of the pacemaker, how often its 10 Hz pacing evoked the
# culture's neuron, and the synapses' weight bytes at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
device="${1:-sim://}"
tool="${SPIKELINK:-}"
if [ -z "$tool" ]; then
  SPIKELINK_QUIET_SETUP=1 bash "$root/scripts/setup"
  cmake --preset default -S "$root" >/dev/null
  cmake --build "$root/build/default" --target spikelink_cli >/dev/null
  tool="$root/build/default/bin/spikelink"
fi
work="$(mktemp -d)"
cp "$here"/*.yaml "$here"/connectivity.txt "$work"/
cd "$work"
"$tool" --json bridge synapse.yaml >synapse.json 2>synapse.err &
synapse=$!
"$tool" --json bridge culture.yaml >culture.json 2>culture.err &
culture=$!
trap 'kill "$synapse" "$culture" 2>/dev/null || true' EXIT
sleep 0.5
echo "three sites on loopback; the silicon site runs on $device (about 25 s)"
"$tool" --json bridge silicon.yaml --device "$device" -o silicon >silicon.json
kill -INT "$synapse" "$culture"
wait "$synapse" "$culture" || true
trap - EXIT
python3 - <<'PY'
import json
s = json.load(open("silicon/summary.json"))
print("\npacemaker spikes followed by a culture spike 1..40 ms later (the culture's spikes come back")
print("to the silicon site through the synapse site):")
for p in s["phases"]:
    r = p["responses"][0]
    print(f"  {p['name']:<20} {r['hits']:>4} of {r['trials']:<4} {100 * r['fraction']:5.0f} %")
syn = json.load(open("synapse.json"))
print("\nsynapse site:", ", ".join(f"{k} {v}" for k, v in syn["site"].items()))
for w in syn["weights"]:
    print(f"  synapse {w['synapse']}: weight byte {w['weight_byte']} at the end")
cul = json.load(open("culture.json"))
print("culture:", ", ".join(f"{k} {v}" for k, v in cul["site"].items()))
for name, j in (("silicon", json.load(open("silicon.json"))), ("synapse", syn), ("culture", cul)):
    d = j["dropped"]
    # out_unrouted: spikes of neurons that no route sends anywhere (kept local), not losses.
    lost = sum(v for k, v in d.items() if isinstance(v, int) and k != "out_unrouted") + sum(
        p["rate_limited"] + p["unrouted"] + p["wrong_site"] + p["send_failed"] for p in j["peers"].values())
    print(f"{name}: {lost} datagrams or events dropped, {d['out_unrouted']} spikes kept local (no route)")
PY
echo "files in $work"
