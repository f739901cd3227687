# Helpers for the tests that run the spikelink binary (cli_*.sh): each
# check prints "ok: ..." or "FAIL: ..." (ctest fails on "FAIL:") and counts
# failures in $fails. Sourced; the caller cd's into a scratch folder first.
fails=0
check() {  # check NAME EXPECTED_EXIT COMMAND...: runs it, output in out.txt / err.txt
  local name="$1" want="$2"
  shift 2
  "$@" >out.txt 2>err.txt
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $name: exit $got, expected $want"
    sed 's/^/  stdout: /' out.txt
    sed 's/^/  stderr: /' err.txt
    fails=$((fails + 1))
  else
    echo "ok: $name (exit $got)"
  fi
}
contains() {  # contains NAME FILE TEXT
  if ! grep -q -- "$3" "$2"; then
    echo "FAIL: $1: '$3' not in $2:"
    sed 's/^/  /' "$2"
    fails=$((fails + 1))
  fi
}
json() {  # json NAME PYTHON_EXPRESSION_ON_j: about out.txt
  python3 -c "import json,sys; j=json.load(open('out.txt')); sys.exit(0 if ($2) else 1)" \
    || { echo "FAIL: $1: $2"; sed 's/^/  /' out.txt; fails=$((fails + 1)); }
}
start_server() {  # start_server DEVICE LOG: a sim-server on a free port; sets $server (pid) and $port
  "$bin" sim-server --board "$1" --port 0 >"$2" 2>&1 &
  server=$!
  port=""
  for _ in $(seq 1 100); do
    port="$(grep -o '127.0.0.1:[0-9]*' "$2" | head -1 | cut -d: -f2)"
    [ -n "$port" ] && break
    sleep 0.1
  done
}
free_udp_ports() {  # free_udp_ports N: N free UDP ports on loopback, on one line
  python3 -c "
import socket, sys
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
for x in s: x.bind(('127.0.0.1', 0))
print(*[x.getsockname()[1] for x in s])" "$1"
}
finish() {
  if [ "$fails" -eq 0 ]; then echo "all passed"; else echo "$fails failed"; exit 1; fi
}
