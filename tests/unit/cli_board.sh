#!/usr/bin/env bash
# The real spikelink binary's list, info and reg on one device URI
# (docs/cli.md): output, --json and exit codes.
#   cli_board.sh SPIKELINK_BINARY DEVICE_URI
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
dev="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
source "$here/cli_lib.sh"

check "list" 0 "$bin" list
grep -q "^sim://" out.txt && grep -q "^model://" out.txt || { echo "FAIL: list lacks the simulators"; fails=$((fails + 1)); }
check "list --json" 0 "$bin" --json list
json "list --json" 'any(d["uri"] == "model://" for d in j["devices"])'

check "info" 0 "$bin" info --device "$dev"
grep -q "protocol     1.0" out.txt || { echo "FAIL: info: no protocol line"; cat out.txt; fails=$((fails + 1)); }
check "info --json" 0 "$bin" info --json --device "$dev"
json "info --json" 'j["protocol"] == "1.0" and j["neurons"] > 0 and "core_spikes" in j["counters"] and "host_ring_dropped" in j["counters"]'

# Registers: MAGIC and TICK_CYCLES read; SCRATCH written then read in one
# process is covered by the hil tests; here a write must be accepted.
check "reg read magic" 0 "$bin" --json reg read 0 --device "$dev"
json "reg read magic" 'j[0]["addr"] == 0 and j[0]["value"] == 0x4C4B5053'
check "reg read 4" 0 "$bin" reg read 0x10 4 --device "$dev"
[ "$(wc -l < out.txt)" -eq 4 ] || { echo "FAIL: reg read 4 printed $(wc -l < out.txt) lines"; fails=$((fails + 1)); }
check "reg write scratch" 0 "$bin" reg write 0x13 0xbeef --device "$dev"
check "reg: unknown register is refused" 3 "$bin" reg read 0x7000 --device "$dev"
check "reg: a write without a value" 2 "$bin" reg write 0x13 --device "$dev"
check "reg: a bad number" 2 "$bin" reg read 0x1g --device "$dev"
check "reg: a bad operation" 2 "$bin" reg poke 0x13 --device "$dev"
check "info: no such server" 3 "$bin" info --device "tcp://127.0.0.1:1"
check "info: bad URI" 2 "$bin" info --device "nope://x"

# record: every spike the board made is in the file, and none was lost.
check "record --steps" 0 "$bin" --json record --steps 30 -o rec.spk --device "$dev"
json "record --steps" 'j["spikes"] > 0 and j["spikes"] == j["board_spikes"] and j["spikes_dropped_tx_full"] == 0 and j["host_ring_dropped"] == 0'
python3 -c "import json,os; j=json.load(open('out.txt')); assert (os.path.getsize('rec.spk') - 32) // 8 == j['spikes']" \
  || { echo "FAIL: rec.spk does not hold the spikes recorded"; fails=$((fails + 1)); }
printf 'time_ms,channel\n1,0\n2,1\n' > in.csv
check "record --input" 0 "$bin" record --steps 10 -o rec.csv --input in.csv --device "$dev"
grep -q '^0.000,' rec.csv || { echo "FAIL: rec.csv has no spike at 0 ms"; head rec.csv; fails=$((fails + 1)); }
printf '1,9999\n' > far.csv
check "record: an input channel the board lacks" 4 "$bin" record --steps 10 -o rec2.csv --input far.csv --device "$dev"
check "record: neither --steps nor --seconds" 2 "$bin" record -o rec3.csv --device "$dev"
check "record: a file type it cannot write" 2 "$bin" record --steps 1 -o rec.txt --device "$dev"
# Ctrl-C during a real-time run: a valid file with everything received.
"$bin" --json record --seconds 30 -o int.spk --device "$dev" >int.json 2>int.err &
rec=$!
sleep 2
kill -INT "$rec"
wait "$rec"
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: record after Ctrl-C: exit $rc"; cat int.err; fails=$((fails + 1)); }
python3 -c "import json,os; j=json.load(open('int.json')); assert j['interrupted'] and (os.path.getsize('int.spk') - 32) // 8 == j['spikes'] and (os.path.getsize('int.spk') - 32) % 8 == 0, j" \
  || { echo "FAIL: the interrupted recording"; cat int.json int.err; fails=$((fails + 1)); }

# sim-server: the same device over TCP, then info through tcp://.
start_server "$dev" server.txt
if [ -z "$port" ]; then
  echo "FAIL: sim-server did not say its port"; cat server.txt; fails=$((fails + 1))
else
  check "info over sim-server" 0 "$bin" --json info --device "tcp://127.0.0.1:$port"
  json "info over sim-server" 'j["protocol"] == "1.0"'
  # The server's board keeps its state between clients: load, then dump.
  printf '# test\nsource,neuron,value\n0,1,17\n3,0,-5\n300,7,99\n' > w.csv
  check "weights load" 0 "$bin" weights load w.csv --device "tcp://127.0.0.1:$port"
  check "weights dump" 0 "$bin" weights dump -o d.csv --device "tcp://127.0.0.1:$port"
  for want in "0,1,17" "3,0,-5" "300,7,99"; do
    grep -qx "$want" d.csv || { echo "FAIL: weights dump lacks $want"; cat d.csv; fails=$((fails + 1)); }
  done
  [ "$(grep -c '^[0-9]' d.csv)" -eq 3 ] || { echo "FAIL: weights dump has other non-zero weights"; cat d.csv; fails=$((fails + 1)); }
  printf '0,1,17\n1,2\n' > bad.csv
  check "weights load: a bad line" 4 "$bin" weights load bad.csv --device "tcp://127.0.0.1:$port"
  grep -q "bad.csv:2: expected 'source,neuron,value'" err.txt || { echo "FAIL: no line number"; cat err.txt; fails=$((fails + 1)); }
  printf '0,99999,1\n' > range.csv
  check "weights load: out of range" 4 "$bin" weights load range.csv --device "tcp://127.0.0.1:$port"
fi
kill -INT "$server" 2>/dev/null
wait "$server"

# The board goes away mid-recording (the server is killed): exit 3, and the
# file holds, whole, every spike received before.
start_server "$dev" server2.txt
"$bin" --json record --seconds 30 -o lost.spk --device "tcp://127.0.0.1:$port" >lost.json 2>lost.err &
rec=$!
sleep 2
kill -KILL "$server"
wait "$server" 2>/dev/null
wait "$rec"
rc=$?
[ "$rc" -eq 3 ] || { echo "FAIL: record when the board goes away: exit $rc, expected 3"; cat lost.err; fails=$((fails + 1)); }
python3 -c "import json,os; j=json.load(open('lost.json')); n=os.path.getsize('lost.spk') - 32; assert j['failed'] and n % 8 == 0 and n // 8 == j['spikes'] and j['spikes'] > 0, j" \
  || { echo "FAIL: the recording cut by a lost board"; cat lost.json lost.err; fails=$((fails + 1)); }
grep -q "stopped after [0-9]* client" server.txt || { echo "FAIL: sim-server did not stop cleanly"; cat server.txt; fails=$((fails + 1)); }

finish
