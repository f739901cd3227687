#!/usr/bin/env python3
"""Checks a three-site run (examples/three-site) in the current folder:
silicon/summary.json, silicon.json, synapse.json, culture.json and
culture-events.csv. Exits non-zero with the reason when the paper's result
or the bookkeeping does not hold; prints what it measured.

The culture's answer to each pacing stimulus, in order (evoked, 1, or not,
0, a PSP), is split into the silicon site's phases by the pacemaker's spike
counts: measured where the answer is decided, so a slow machine's network
delays do not blur it. The silicon site's own view, through the network,
must show the same separation.
"""
import csv
import json

s = json.load(open("silicon/summary.json"))
outcomes = [int(r["value"]) for r in csv.DictReader(open("culture-events.csv"))
            if r["dir"] == "out" and r["value"] in ("0", "1")]
frac, at = {}, 0
for p in s["phases"]:
    n = p["spikes"]["pacemaker"]
    part = outcomes[at:at + n]
    at += n
    frac[p["name"]] = sum(part) / max(1, len(part))
ph = {p["name"]: p["responses"][0]["fraction"] for p in s["phases"]}
syn = json.load(open("synapse.json"))
cul = json.load(open("culture.json"))
print("evoked by pacing, at the culture:", {n: round(f, 2) for n, f in frac.items()})
print("pacemaker then culture spike at the silicon site:", {n: round(f, 2) for n, f in ph.items()})
print("synapse site:", syn["site"], syn["weights"])

assert len(outcomes) == sum(p["spikes"]["pacemaker"] for p in s["phases"]), (len(outcomes), "stimuli answered")
assert frac["before"] < 0.2, "10 Hz pacing already evokes the culture before potentiation"
# Only stimuli that evoke nothing (and spontaneous spikes) teach, so
# potentiation slows as the synapse starts to evoke: it levels off where
# about 95 % of stimuli evoke.
assert frac["after-potentiation"] > 0.85, "10 Hz pacing does not evoke the culture after potentiation"
assert frac["after-depression"] < 0.2, "10 Hz pacing still evokes the culture after depression"
assert ph["after-potentiation"] > ph["before"] + 0.3 and ph["after-potentiation"] > ph["after-depression"] + 0.3, ph
assert syn["site"]["pulses_pot"] > 0 and syn["site"]["pulses_dep"] > 0, syn["site"]
assert cul["site"]["stimuli"] == syn["peers"]["culture"]["events_out"], (cul["site"], syn["peers"])
# Nothing was lost on loopback.
for j in (syn, cul, json.load(open("silicon.json"))):
    d = j["dropped"]
    assert d["unknown_peer"] == 0 and d["malformed"] == 0 and d["oversized"] == 0, d
    for p in j["peers"].values():
        assert p["rate_limited"] == 0 and p["send_failed"] == 0 and p["unrouted"] == 0, p
