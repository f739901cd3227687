#!/usr/bin/env bash
# The real spikelink binary's `run` on one device URI (docs/cli.md,
# docs/config.md): the examples, the paper's phases, --json, --check, the
# files a run leaves (also when interrupted or when the board goes away),
# configuration errors with their positions, and plots without gnuplot.
#   cli_run.sh SPIKELINK_BINARY DEVICE_URI
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
examples="$(cd "$here/../../examples" && pwd)"
bin="$1"
dev="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
source "$here/cli_lib.sh"

# The paper's experiment (examples/paper-ltp-ltd.yaml): 10 Hz pacing does not
# make the middle neuron fire before the potentiation phase, does after it,
# and no longer does after the depression phase; the pacemaker's synapse
# grows in the potentiation phase and shrinks in the depression phase.
check "run paper-ltp-ltd" 0 "$bin" --json run "$examples/paper-ltp-ltd.yaml" --device "$dev" -o paper
python3 - <<'EOF' || { echo "FAIL: the paper's phases"; sed 's/^/  /' out.txt; fails=$((fails + 1)); }
import json
j = json.load(open("out.txt"))
ph = {p["name"]: p for p in j["phases"]}
frac = lambda name: ph[name]["responses"][0]["fraction"]
level = lambda name, when: ph[name]["weights"][0][when + "_level"]
print("responses:", {n: round(frac(n), 2) for n in ph})
assert j["failure"] is None and not j["interrupted"]
assert ph["before"]["responses"][0]["trials"] >= 40
assert frac("before") < 0.3, "10 Hz pacing already evokes the middle neuron before potentiation"
assert frac("after-potentiation") > 0.7, "10 Hz pacing does not evoke the middle neuron after potentiation"
assert frac("after-depression") < 0.3, "10 Hz pacing still evokes the middle neuron after depression"
assert level("potentiation", "after") > level("potentiation", "before")
assert level("depression", "after") < level("depression", "before")
# The 10 Hz phases leave the weights (almost) alone: the rule's dead band.
for n in ("after-potentiation", "after-depression"):
    assert abs(level(n, "after") - level(n, "before")) <= 4, n
# A level of the pacemaker's synapse weighs 2 units of the middle neuron's 0.25 mV.
w = ph["after-potentiation"]["weights"][0]
assert abs(w["after_mV"] - 0.5 * w["after_level"]) < 1e-9, w
c = j["counters"]
assert c["spikes_dropped_tx_full"] == 0 and c["host_ring_dropped"] == 0 and c["events_dropped_no_credit"] == 0
EOF
for f in spikes.csv inputs.csv weights.csv summary.json; do
  [ -s "paper/$f" ] || { echo "FAIL: paper/$f missing or empty"; fails=$((fails + 1)); }
done
# The spike file holds exactly the spikes the summary counted.
python3 -c "
import json
j = json.load(open('paper/summary.json'))
n = sum(sum(p['spikes'].values()) for p in j['phases'])
rows = [l for l in open('paper/spikes.csv') if l[0].isdigit()]
assert len(rows) == n, (len(rows), n)
" || { echo "FAIL: spikes.csv and the summary disagree"; fails=$((fails + 1)); }
if command -v gnuplot >/dev/null; then
  for f in raster.png weights.png; do
    head -c 8 "paper/$f" | od -An -tx1 | grep -q "89 50 4e 47" || { echo "FAIL: paper/$f is not a PNG"; fails=$((fails + 1)); }
  done
else
  echo "skipped: the PNG checks need gnuplot (scripts/setup installs gnuplot-nox)"
fi

# The human summary: phases, responses, weights, counters, where the files
# are; the same spikes for the same seed, other inputs for another. The RTL
# board (sim://) runs the paper once: these repeats test only the host.
if [ "$dev" = "model://" ]; then
check "run paper-ltp-ltd, text" 0 "$bin" run "$examples/paper-ltp-ltd.yaml" --device "$dev" -o paper2 --no-plots
for want in "spikes (rate per neuron)" "responses: pacemaker spikes followed by a middle spike" \
            "pacemaker\[0\]->middle\[0\]" "losses: none" "files in paper2"; do
  contains "summary text" out.txt "$want"
done
cmp -s paper/spikes.csv paper2/spikes.csv || { echo "FAIL: two runs of one seed differ"; fails=$((fails + 1)); }
check "run --seed" 0 "$bin" run "$examples/paper-ltp-ltd.yaml" --device "$dev" -o paper3 --no-plots --seed 99 -q
cmp -s paper/inputs.csv paper3/inputs.csv && { echo "FAIL: another seed gave the same inputs"; fails=$((fails + 1)); }
fi

# The other examples.
check "run replay" 0 "$bin" --json run "$examples/replay.yaml" --device "$dev" -o replay --no-plots
json "replay: every recorded spike was sent" 'j["phases"][0]["input_events"]["recording"] == 289'
json "replay: the readout fires in the bursts" 'j["phases"][0]["spikes"]["readout"] >= 2'
check "run fill-the-board" 0 "$bin" --json run "$examples/fill-the-board.yaml" --device "$dev" -o fill --no-plots --format spk
json "fill-the-board: the whole board" 'j["phases"][0]["spikes"]["exc"] > 0 and j["phases"][0]["spikes"]["inh"] > 0'
[ -s fill/spikes.spk ] || { echo "FAIL: --format spk wrote no fill/spikes.spk"; fails=$((fails + 1)); }

# --check: the plan and its quantisation, nothing run.
check "run --check" 0 "$bin" --json run --check "$examples/paper-ltp-ltd.yaml" --device "$dev"
json "run --check" 'j["neurons"] == 3 and j["plastic_synapses"] == 2 and any(q["what"] == "pacemaker.tau_m" for q in j["quantisation"])'

# Configuration errors: exit 4, file:line:column, and what to do.
cat > bad.yaml <<'EOF'
neurons:
  exc: {size: 4, tau_n: 20 ms}
duration: 1 s
EOF
check "run: an unknown key" 4 "$bin" run bad.yaml --device "$dev"
contains "unknown key position" err.txt "bad.yaml:2:18: unknown key 'tau_n' in 'neurons.exc' (did you mean 'tau_m'?)"
cat > big.yaml <<'EOF'
neurons:
  exc: {size: 200}
  inh: {size: 100}
duration: 1 s
EOF
check "run: more neurons than the board has" 4 "$bin" run big.yaml --device "$dev"
contains "too many neurons" err.txt "big.yaml:3:3: population 'inh' needs neurons 200..299"
printf 'neurons: [\n' > broken.yaml
check "run: not YAML" 4 "$bin" run broken.yaml --device "$dev"
contains "not YAML" err.txt "broken.yaml:.*not valid YAML"
check "run: no such file" 4 "$bin" run missing.yaml --device "$dev"
contains "no file" err.txt "missing.yaml: cannot open"
check "run: no configuration" 2 "$bin" run --device "$dev"
check "run: a bad format" 2 "$bin" run "$examples/replay.yaml" --format txt --device "$dev"

# Without gnuplot the run still succeeds and says what to install.
SPIKELINK_GNUPLOT=/nonexistent/gnuplot check "run without gnuplot" 0 "$bin" run "$examples/replay.yaml" --device "$dev" -o nogp
contains "no gnuplot" err.txt "gnuplot-nox"
[ -e nogp/raster.png ] && { echo "FAIL: a raster without gnuplot"; fails=$((fails + 1)); }

# Ctrl-C: exit 130, and valid files holding everything until then.
cat > long.yaml <<'EOF'
neurons:
  n: {size: 8, tau_m: 10 ms}
inputs:
  x: {size: 8, poisson: {rate: 100 Hz}}
connections:
  - {from: x, to: n, pattern: one_to_one, weight: 20 mV}
duration: 60 min
EOF
started() {  # started DIR: the run has sent inputs (the board is loaded and stepping)
  for _ in $(seq 1 600); do
    local n
    n="$(grep -c '^[0-9]' "$1/inputs.csv" 2>/dev/null)"
    [ "${n:-0}" -gt 100 ] && return 0
    sleep 0.1
  done
  return 1
}
"$bin" --json run long.yaml --device "$dev" -o long >long.json 2>long.err &
pid=$!
started long || echo "FAIL: the long run did not start in 60 s"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || { echo "FAIL: run after Ctrl-C: exit $rc, expected 130"; cat long.err; fails=$((fails + 1)); }
python3 -c "
import json
j = json.load(open('long.json'))
assert j['interrupted'] and 0 < j['timesteps'] < 3600000, j['timesteps']
rows = [l for l in open('long/spikes.csv') if l[0].isdigit()]
assert len(rows) == sum(p['spikes']['n'] for p in j['phases']) > 0
assert json.load(open('long/summary.json'))['interrupted']
" || { echo "FAIL: the interrupted run's files"; cat long.json long.err; fails=$((fails + 1)); }

# The board goes away mid-run (its server is killed): exit 3, and the files
# hold everything received before.
start_server "$dev" server.txt
"$bin" --json run long.yaml --device "tcp://127.0.0.1:$port" -o lost --no-plots >lost.json 2>lost.err &
pid=$!
started lost || echo "FAIL: the run over tcp:// did not start in 60 s"
kill -KILL "$server"
wait "$server" 2>/dev/null
wait "$pid"
rc=$?
[ "$rc" -eq 3 ] || { echo "FAIL: run when the board goes away: exit $rc, expected 3"; cat lost.err; fails=$((fails + 1)); }
python3 -c "
import json
j = json.load(open('lost.json'))
assert j['failure'], j
rows = [l for l in open('lost/spikes.csv') if l[0].isdigit()]
assert len(rows) == sum(p['spikes']['n'] for p in j['phases']) > 0, len(rows)
" || { echo "FAIL: the run cut by a lost board"; cat lost.json lost.err; fails=$((fails + 1)); }

finish
