#!/usr/bin/env python3
"""A UDP relay that injects faults, seeded, for testing a receiver's statistics.

    udp_relay.py --listen HOST:PORT --target HOST:PORT [faults] [--seed N]
                 [--seconds S] [--faults-for S] [--report FILE] [--ready FILE]

It receives datagrams on --listen and sends each one on to --target from the
same socket, so the receiver sees them coming from the --listen address (that
is the address a bridge must have configured as its peer). Datagrams that
come from the target itself, or from anyone but --source when it is given,
are counted as `ignored` and not forwarded.

Faults, each decided per datagram by one draw of a random.Random(seed):

    --drop P        the datagram is not sent on
    --duplicate P   it is sent on twice
    --reorder P     it is held and sent just after the next datagram (which
                    itself gets no fault): one reordered pair
    --delay P       it is sent D ms late (--delay-ms D; --delay defaults to 1
                    when only --delay-ms is given)

--FAULT-max N caps how many of that fault are applied. A datagram gets at most
one fault, and a delay never reorders (a datagram never overtakes an earlier
one: later ones wait behind a delayed one), so what a receiver tracking
sequence numbers must see is exactly predictable from the report:
    distinct datagrams received = forwarded, lost = dropped (provided a later
    datagram arrives), duplicates = duplicated, reordered = reordered,
    datagrams received in all = forwarded + duplicated.
--faults-for S applies faults only during the first S seconds, so that the
last datagrams arrive cleanly and the receiver can see every gap.

It stops on SIGINT/SIGTERM or after --seconds, sends on a held datagram (as
a plain forward: there was no next one to swap it with) and whatever is
still waiting out its delay, then writes a JSON report (to --report, else
stdout): datagrams in, forwarded, dropped, duplicated, reordered pairs,
delayed, sent, ignored, send errors, and the arrival index (0 = the first
datagram received) of each one that got a fault.

Standard library only.
"""

import argparse
import json
import random
import select
import signal
import socket
import sys
import time


PAST = {"drop": "dropped", "duplicate": "duplicated", "reorder": "reordered", "delay": "delayed"}


def endpoint(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not HOST:PORT")
    return (host.strip("[]"), int(port))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=endpoint, required=True)
    ap.add_argument("--target", type=endpoint, required=True)
    ap.add_argument("--source", type=endpoint, help="forward only datagrams from this address")
    ap.add_argument("--seed", type=int, default=1)
    for fault in ("drop", "duplicate", "reorder", "delay"):
        ap.add_argument(f"--{fault}", type=float, default=None, metavar="P")
        ap.add_argument(f"--{fault}-max", type=int, default=None, metavar="N")
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--faults-for", type=float, default=None, metavar="S")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--report")
    ap.add_argument("--ready", help="a file created once the socket is bound")
    a = ap.parse_args()
    if a.delay is None:
        a.delay = 1.0 if a.delay_ms > 0 else 0.0
    prob = {f: getattr(a, f) or 0.0 for f in ("drop", "duplicate", "reorder", "delay")}
    if any(p < 0 or p > 1 for p in prob.values()) or sum(prob.values()) > 1:
        ap.error("fault probabilities must be in [0, 1] and add up to at most 1")
    cap = {f: getattr(a, f"{f}_max") for f in prob}

    rng = random.Random(a.seed)
    sock = socket.socket(socket.AF_INET6 if ":" in a.listen[0] else socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(a.listen)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if a.ready:
        open(a.ready, "w").close()

    stop = False

    def on_signal(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    counts = {"in": 0, "forwarded": 0, "dropped": 0, "duplicated": 0, "reordered": 0, "delayed": 0,
              "held_at_end": 0, "sent": 0, "ignored": 0, "send_errors": 0}
    which = {"dropped": [], "duplicated": [], "reordered": [], "delayed": []}
    queue = []  # [release time, bytes]; release times never decrease, so nothing overtakes
    last_release = 0.0
    held = None  # (arrival index, bytes): waiting for the next datagram to overtake it

    def enqueue(data, release):
        nonlocal last_release
        last_release = max(last_release, release)
        queue.append((last_release, data))

    def send_due(now):
        while queue and queue[0][0] <= now:
            _, data = queue.pop(0)
            try:
                sock.sendto(data, a.target)
                counts["sent"] += 1
            except OSError:
                counts["send_errors"] += 1

    def pick(elapsed):
        if a.faults_for is not None and elapsed >= a.faults_for:
            return None
        r = rng.random()
        for f in ("drop", "duplicate", "reorder", "delay"):
            if r < prob[f]:
                return f if cap[f] is None or len(which[PAST[f]]) < cap[f] else None
            r -= prob[f]
        return None

    start = time.monotonic()
    while not stop:
        now = time.monotonic()
        if a.seconds is not None and now - start >= a.seconds:
            break
        timeout = 0.05
        if queue:
            timeout = max(0.0, min(timeout, queue[0][0] - now))
        try:
            ready, _, _ = select.select([sock], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        if ready:
            try:
                data, frm = sock.recvfrom(65535)
            except OSError:
                continue
            if frm[:2] == a.target or (a.source is not None and frm[:2] != a.source):
                counts["ignored"] += 1
            else:
                index = counts["in"]
                counts["in"] += 1
                if held is not None:
                    # The datagram after a held one goes first, with no fault of its own.
                    enqueue(data, now)
                    enqueue(held[1], now)
                    counts["forwarded"] += 2
                    counts["reordered"] += 1
                    which["reordered"].append(held[0])
                    held = None
                else:
                    fault = pick(now - start)
                    if fault == "drop":
                        counts["dropped"] += 1
                        which["dropped"].append(index)
                    elif fault == "duplicate":
                        enqueue(data, now)
                        enqueue(data, now)
                        counts["forwarded"] += 1
                        counts["duplicated"] += 1
                        which["duplicated"].append(index)
                    elif fault == "reorder":
                        held = (index, data)
                    elif fault == "delay":
                        enqueue(data, now + a.delay_ms / 1000)
                        counts["forwarded"] += 1
                        counts["delayed"] += 1
                        which["delayed"].append(index)
                    else:
                        enqueue(data, now)
                        counts["forwarded"] += 1
        send_due(time.monotonic())

    # Stopping: a held datagram has no partner left; send it on plainly,
    # then wait out the delays still queued.
    if held is not None:
        enqueue(held[1], time.monotonic())
        counts["forwarded"] += 1
        counts["held_at_end"] += 1
    while queue:
        time.sleep(max(0.0, queue[0][0] - time.monotonic()))
        send_due(time.monotonic())

    report = dict(counts)
    report["seed"] = a.seed
    report["delay_ms"] = a.delay_ms
    report["seconds"] = round(time.monotonic() - start, 3)
    report["indices"] = which
    text = json.dumps(report, indent=2) + "\n"
    if a.report:
        with open(a.report, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
