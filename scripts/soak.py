#!/usr/bin/env python3
"""The soak (issue 12): a fleet of simulated accessories provisioned ROUNDS times each, with faults.

Run by scripts/soak.sh, which builds the binary. Every accessory has a fault drawn at random when the
fleet starts (bad certificates of several kinds, a TLS alert, a reboot in the middle of the
exchange, a wrong passphrase, HTTP 500, malformed JSON, slow answers, or none), and every run may be
killed at a random moment (the provisioning station dying in the middle of an exchange). All runs
share one ledger, several at a time. At the end it counts, from the outside:

- accepted bad certificates: a run against an accessory serving a bad certificate that exited 0;
- credentials to a refused accessory: a request carrying a credential in the log of an accessory whose
  certificate is bad (the simulators log every request with `carried_credential`);
- lost ledger records: a finished run that reported attempt N, with no attempt N in the ledger (or
  a different outcome); duplicated: more attempts in the ledger than runs started.

Exit status 1 if any of the three is not zero.
"""

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

# Faults whose certificate no trust policy may accept (the fleet's manufacturer CA is the anchor).
BAD_CERTIFICATE = ["expired", "not-yet-valid", "wrong-name", "untrusted-root", "self-signed-unknown",
                   "ca-as-leaf", "sha1", "rsa-1024", "wrong-key"]
# Faults of a good accessory: the run may fail (or not), but the certificate is good.
OTHER = ["", "", "", "reboot-after-apply=0.2", "wrong-passphrase", "network-not-found", "http-500",
         "malformed-json", "slow-status=0.3", "alert=handshake_failure", "drip=1ms"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="target/debug/accessory")
    ap.add_argument("--accessories", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--kill-rate", type=float, default=0.15, help="share of runs killed mid-exchange")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="accessory-soak-")
    os.chmod(work, 0o700)
    print(f"soak: {args.accessories} accessories x {args.rounds} rounds, seed {seed}, in {work}")

    # One fleet process per fault (a fleet shares its faults), the accessories dealt at random.
    faults = [rng.choice(BAD_CERTIFICATE + OTHER) for _ in range(args.accessories)]
    groups = {}
    for f in faults:
        groups[f] = groups.get(f, 0) + 1
    fleets, accessories = [], []
    for n, (fault, count) in enumerate(sorted(groups.items())):
        prefix = f"F{n:02d}"
        log = open(os.path.join(work, f"{prefix}.log"), "w")
        cmd = [args.binary, "sim", "fleet", "--count", str(count), "--id-prefix", prefix,
               "--out", os.path.join(work, prefix), "--json", "-v"]
        if fault:
            cmd += ["--fault", fault]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                             env=dict(os.environ, NO_COLOR="1"))
        manifest = json.loads(p.stdout.readline())
        fleets.append((p, log, prefix, fault))
        for a in manifest["accessories"]:
            accessories.append(dict(id=a["id"], addr=a["addr"], anchors=a["anchors"], fault=fault,
                                    bad=fault in BAD_CERTIFICATE, log=log.name))
    passphrase = os.path.join(work, "home.pass")
    fd = os.open(passphrase, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"correct horse battery\n")
    os.close(fd)
    ledger = os.path.join(work, "ledger.sqlite3")

    runs = [(r, a) for r in range(args.rounds) for a in accessories]
    rng.shuffle(runs)
    plan = [(r, a, rng.random() < args.kill_rate, rng.uniform(0.0, 1.2)) for r, a in runs]

    def provision(item):
        _round, a, kill, after = item
        cmd = [args.binary, "provision", "--accessory", a["addr"], "--device-id", a["id"],
               "--anchors", a["anchors"], "--network-ssid", "Home", "--network-passphrase-file",
               passphrase, "--ledger", ledger, "--deadline", "10", "--json"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        killed = False
        try:
            out, err = p.communicate(timeout=after if kill else 60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            killed = True
        attempt, code = None, None
        try:
            answer = json.loads(out)
            attempt = answer.get("attempt")
            code = (answer.get("diagnosis") or {}).get("code") or answer.get("code")
        except (ValueError, AttributeError):
            pass
        return dict(a=a, status=p.returncode, killed=killed, attempt=attempt, code=code)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        results = list(pool.map(provision, plan))
    elapsed = time.monotonic() - started
    for p, log, _prefix, _fault in fleets:
        p.send_signal(signal.SIGINT)
    for p, log, _prefix, _fault in fleets:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
        log.close()

    finished = [r for r in results if not r["killed"]]
    killed = [r for r in results if r["killed"]]
    ok = [r for r in finished if r["status"] == 0]
    accepted_bad = [r for r in finished if r["a"]["bad"] and r["status"] == 0]
    # Credentials in the log of an accessory with a bad certificate.
    bad_ids = {a["id"] for a in accessories if a["bad"]}
    credentials_to_refused = 0
    # All of them too, so that a zero above is seen to come from logs that do record credentials.
    credentials_sent = 0
    for _p, log, _prefix, _fault in fleets:
        with open(log.name) as f:
            for line in f:
                line = ANSI.sub("", line)
                m = re.search(r"request device=(\S+) .*carried_credential=true", line)
                if m:
                    credentials_sent += 1
                if m and m.group(1) in bad_ids:
                    credentials_to_refused += 1
    # The ledger against what the runs reported.
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    rows = {i: (dev, outcome) for i, dev, outcome in
            db.execute("SELECT id, device_id, outcome FROM attempts")}
    reported = [r for r in finished if r["attempt"] is not None]
    lost = [r for r in reported if r["attempt"] not in rows]
    wrong_outcome = [r for r in reported if r["attempt"] in rows and r["status"] == 0
                     and rows[r["attempt"]][1] != "connected"]
    ids = [r["attempt"] for r in reported]
    duplicated_reports = len(ids) - len(set(ids))
    extra = max(0, len(rows) - len(results))
    outcomes = {}
    for _dev, outcome in rows.values():
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    print(f"runs: {len(results)} in {elapsed:.1f} s ({args.parallel} at a time): "
          f"{len(ok)} connected, {len(finished) - len(ok)} refused or failed, "
          f"{len(killed)} killed mid-exchange")
    print("by fault (accessories: runs connected / refused or failed [codes] / killed):")
    for fault, n in sorted(groups.items()):
        mine = [r for r in results if r["a"]["fault"] == fault]
        codes = sorted({str(r["code"]) for r in mine if not r["killed"] and r["status"] != 0})
        print(f"  {fault or 'none':24} {n:3}: {sum(1 for r in mine if r['status'] == 0 and not r['killed']):4}"
              f" / {sum(1 for r in mine if r['status'] != 0 and not r['killed']):4} [{' '.join(codes)}]"
              f" / {sum(1 for r in mine if r['killed']):3}")
    print(f"ledger: {len(rows)} attempts ({', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}); "
          f"{len(reported)} finished runs reported an attempt")
    print(f"accepted bad certificates: {len(accepted_bad)}")
    print(f"credentials to a refused accessory: {credentials_to_refused} "
          f"(of {credentials_sent} requests carrying one in the accessories' logs)")
    print(f"lost ledger records: {len(lost) + len(wrong_outcome)}")
    print(f"duplicated ledger records: {duplicated_reports + extra}")
    bad = len(accepted_bad) + credentials_to_refused + len(lost) + len(wrong_outcome) \
        + duplicated_reports + extra
    if bad:
        print(f"soak: FAILED (kept {work})", file=sys.stderr)
        return 1
    subprocess.run(["rm", "-rf", work], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
