#!/usr/bin/env bash
# The real spikelink binary: image pack / inspect and flash on model:// with
# a file-backed flash, checking output and exit codes (docs/cli.md).
#   cli_flash.sh SPIKELINK_BINARY WORK_DIR
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
work="$2"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
source "$here/cli_lib.sh"

# An icepack-shaped bitstream: FF 00, comment, 00 FF, sync word, data.
python3 - <<'PY'
import random
r = random.Random(5)
data = bytes(r.choice([b for b in range(256) if b != 0x7E]) for _ in range(30000))
open("top.bin", "wb").write(b"\xff\x00test\x00\x00\xff\x7e\xaa\x99\x7e" + data)
PY

check "pack" 0 "$bin" image pack --bitstream top.bin -o a.spkimg --gateware-version 2.3.4 --source-hash 1234abcd --build-time 1800000000
contains "pack" out.txt "board icebreaker (id 1), gateware 2.3.4"
check "pack is reproducible" 0 "$bin" image pack --bitstream top.bin -o a2.spkimg --gateware-version 2.3.4 --source-hash 1234abcd --build-time 1800000000
cmp -s a.spkimg a2.spkimg || { echo "FAIL: the same inputs gave different images"; fails=$((fails + 1)); }
check "inspect" 0 "$bin" image inspect a.spkimg
contains "inspect" out.txt "valid spikelink image"
check "inspect --json" 0 "$bin" --json image inspect a.spkimg
python3 -c 'import json,sys; j=json.load(open("out.txt")); assert j["gateware_version"]=="2.3.4" and j["board_id"]==1 and j["valid"], j' \
  || { echo "FAIL: inspect --json"; fails=$((fails + 1)); }

# Flash into a file-backed simulated flash; the next process boots from it.
check "flash" 0 "$bin" flash a.spkimg --device "model://?flash=flash.bin"
contains "flash" out.txt "FPGA configured (CDONE high)"
check "flash again: up to date" 0 "$bin" flash a.spkimg --device "model://?flash=flash.bin"
contains "flash again" out.txt "already holds this image"
check "flash --dry-run --json" 0 "$bin" --json flash a.spkimg --dry-run --device "model://?flash=flash.bin"
python3 -c 'import json; j=json.load(open("out.txt")); assert j["dry_run"] and j["up_to_date"] and j["cdone"], j' \
  || { echo "FAIL: flash --json"; fails=$((fails + 1)); }

# Refusals, each with its exit code, the flash file untouched.
cp flash.bin before.bin
cp a.spkimg bad.spkimg && printf '\x55' | dd of=bad.spkimg bs=1 seek=9000 conv=notrunc 2>/dev/null
check "damaged image: exit 4" 4 "$bin" flash bad.spkimg --device "model://?flash=flash.bin"
contains "damaged image" err.txt "bitstream CRC mismatch"
check "inspect damaged: exit 4" 4 "$bin" image inspect bad.spkimg
check "bare bitstream: exit 4" 4 "$bin" flash top.bin --device "model://?flash=flash.bin"
contains "bare bitstream" err.txt "bare iCE40 bitstream"
check "missing image: exit 4" 4 "$bin" flash nothing.spkimg --device "model://?flash=flash.bin"
cat > other.yaml <<'YAML'
name: otherboard
board_id: 9
usb: {vid: 0x0403, pid: 0x6010}
channels:
  a: {interface: 0, role: flash}
  b: {interface: 1, role: link}
mpsse: {sck: 0, mosi: 1, miso: 2, cs: 4, cdone: 6, creset: 7}
flash: {size_bytes: 16777216, jedec_id: [0xEF, 0x40, 0x18], page_bytes: 256, erase_bytes: [4096, 32768, 65536]}
clocks: {oscillator_hz: 12000000, core_hz: 24000000}
link: {baud: 3000000, max_baud: 6000000}
image: {flash_offset: 0, max_bytes: 1048576}
YAML
check "image for another board: exit 4" 4 "$bin" flash a.spkimg --board-file other.yaml --device "model://?flash=flash.bin"
contains "another board" err.txt "nothing was written"
cmp -s flash.bin before.bin || { echo "FAIL: a refused flash changed the flash file"; fails=$((fails + 1)); }
check "usage: no image: exit 2" 2 "$bin" flash
check "usage: bad freq: exit 2" 2 "$bin" flash a.spkimg --freq 90e6
check "usage: unknown board: exit 2" 2 "$bin" flash a.spkimg --board nosuchboard --device "model://?flash=flash.bin"
check "usage: a misspelt board: exit 2" 2 "$bin" flash a.spkimg --board icebraker --device "model://?flash=flash.bin"
contains "a misspelt board" err.txt "did you mean 'icebreaker'"
check "usage: a misspelt command: exit 2" 2 "$bin" flsh a.spkimg
contains "a misspelt command" err.txt "did you mean 'flash'"
check "device: bad URI: exit 2" 2 "$bin" flash a.spkimg --device "model://?bogus=1"

# A flash that misbehaves (docs/sim-flash.md's URI knobs): each refusal's
# exit code, and nothing written where nothing should be.
cp flash.bin before.bin
"$bin" image pack --bitstream top.bin -o b0.spkimg --gateware-version 2.3.9 --build-time 1800000000 >/dev/null
check "unknown JEDEC id: exit 3" 3 "$bin" flash b0.spkimg --device "model://?flash=flash.bin&flash_jedec=C22018"
contains "unknown JEDEC id" err.txt "unknown JEDEC id C2 20 18"
check "write-protected: exit 3" 3 "$bin" flash b0.spkimg --device "model://?flash=flash.bin&flash_status=1C"
contains "write-protected" err.txt "--unprotect"
cmp -s flash.bin before.bin || { echo "FAIL: a refused flash changed the flash file"; fails=$((fails + 1)); }
# The third page program (a page of the header's sector) leaves bits set.
cp before.bin flash2.bin
check "verify failure: exit 5" 5 "$bin" flash b0.spkimg --device "model://?flash=flash.bin&flash_fail_program=3"
contains "verify failure" err.txt "verify failed at flash address"
check "no verify, damaged image does not boot: exit 6" 6 "$bin" flash b0.spkimg --no-verify --device "model://?flash=flash2.bin&flash_fail_program=3"
contains "no verify" err.txt "CDONE"
check "unprotect: exit 0" 0 "$bin" flash b0.spkimg --unprotect --device "model://?flash=flash.bin&flash_status=1C"
contains "unprotect" out.txt "FPGA configured (CDONE high)"
check "no server: exit 3" 3 "$bin" flash b0.spkimg --device "tcp://127.0.0.1:1"

# A new version over the old one: only the header's sector changes.
check "pack v2" 0 "$bin" image pack --bitstream top.bin -o b.spkimg --gateware-version 2.4.0 --source-hash 1234abcd --build-time 1800000000
check "flash v2" 0 "$bin" --json flash b.spkimg --device "model://?flash=flash.bin"
python3 -c 'import json; j=json.load(open("out.txt")); assert len(j["erases"])==1 and j["erases"][0]["bytes"]==4096 and j["cdone"], j' \
  || { echo "FAIL: flash v2 should erase one 4 KiB sector"; fails=$((fails + 1)); }

finish
