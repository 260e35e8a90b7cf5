#!/usr/bin/env bash
# What the firmware costs a board at run time, measured on this machine (README "Measured
# figures", lean runtime):
#   - shared libraries gated maps (unique .so files in /proc/PID/maps once it is ready) and
#     gatectl's (ldd), with the same for the pre-lean baseline when BASELINE_BIN is given;
#   - gated's resident memory (VmRSS, VmHWM) idle on board sim after 3 s;
#   - start to ready: exec to the READY=1 datagram on NOTIFY_SOCKET, median of 10, against
#     exec to exit of /bin/true (the cost of starting any process here, same run);
#   - `gatectl verify` of one pass, whole process: CPU time (wait4's user + system) and wall
#     time, median of 20, against /bin/true.
# On a loaded machine wall times include waiting for a core; the CPU time does not.
#   tests/bench/runtime/run.sh [BIN_DIR]     (default build/bin)
#   BASELINE_BIN=/path/to/other/bin           also measure another build, for ratios
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN=$(cd "${1:-build/bin}" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$BIN/gatectl" keygen --out "$T/keys" >/dev/null
mkdir -p "$T/trust" && cp "$T/keys/issuer.pub" "$T/trust/"
"$BIN/gatectl" issue --key "$T/keys/issuer.key" --site sz-futian-lianhua-01 --role resident \
  --building 12 --unit 3-402 --name 张伟 --json | sed -E 's/.*"pass":"([^"]*)".*/\1/' >"$T/pass.txt"
sed -e 's#^state_dir = .*#state_dir = "state"#' -e 's#^trust_dir = .*#trust_dir = "trust"#' \
  boards/sim/gated.toml >"$T/gated.toml"

/usr/bin/python3 - "$T" "$BIN" "${BASELINE_BIN:-}" <<'PY'
import os, socket, statistics, subprocess, sys, time
T, BIN, BASE = sys.argv[1], sys.argv[2], sys.argv[3]

def spawn_ready(gated):
    """exec -> READY=1 on NOTIFY_SOCKET; returns (seconds, process)."""
    path = os.path.join(T, "notify.sock")
    if os.path.exists(path): os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); s.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    t0 = time.monotonic()
    p = subprocess.Popen([gated, "--config", os.path.join(T, "gated.toml")], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        msg = s.recv(4096).decode()
        if "READY=1" in msg.split("\n"): break
    t = time.monotonic() - t0
    s.close()
    return t, p

def stop(p):
    p.terminate(); p.wait()

def libs_of_pid(pid):
    seen = set()
    for line in open("/proc/%d/maps" % pid):
        f = line.split()[-1]
        if ".so" in os.path.basename(f): seen.add(f)
    return len(seen)

def ldd_count(exe):
    out = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    return sum(1 for l in out.splitlines() if "vdso" not in l and l.strip())

def status(pid, key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"): return int(line.split()[1]) / 1024.0

def wall(cmd, n):
    ts = []
    for _ in range(n):
        t0 = time.monotonic(); subprocess.run(cmd, stdout=subprocess.DEVNULL); ts.append(time.monotonic() - t0)
    return statistics.median(ts)

def cpu(cmd, n):
    """user + system CPU time of the process (wait4's rusage: microseconds, not clock ticks)."""
    ts = []
    for _ in range(n):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        p.returncode = 0
        ts.append(ru.ru_utime + ru.ru_stime)
    return statistics.median(ts)

def measure(bin_dir, label):
    gated, gatectl = os.path.join(bin_dir, "gated"), os.path.join(bin_dir, "gatectl")
    import shutil; shutil.rmtree(os.path.join(T, "state"), ignore_errors=True)
    t, p = spawn_ready(gated)            # first start creates the databases
    time.sleep(3)
    libs, rss, hwm = libs_of_pid(p.pid), status(p.pid, "VmRSS"), status(p.pid, "VmHWM")
    stop(p)
    starts = []
    for _ in range(10):
        t, p = spawn_ready(gated); starts.append(t); stop(p)
    verify = [gatectl, "verify", "--trust", os.path.join(T, "trust"), os.path.join(T, "pass.txt")]
    return dict(label=label, libs=libs, gatectl_libs=ldd_count(gatectl), rss=rss, hwm=hwm,
                ready=statistics.median(starts), verify_wall=wall(verify, 20), verify_cpu=cpu(verify, 20))

true_wall, true_cpu = wall(["/bin/true"], 20), cpu(["/bin/true"], 20)
rows = [measure(BIN, "this build")]
if BASE: rows.append(measure(BASE, "baseline"))
print("%-11s %5s %8s %9s %9s %10s %12s %12s" % ("build", "libs", "gatectl", "RSS MiB", "peak MiB",
      "ready ms", "verify ms", "verify CPU"))
for r in rows:
    print("%-11s %5d %8d %9.1f %9.1f %10.1f %12.1f %12.1f" % (r["label"], r["libs"], r["gatectl_libs"],
          r["rss"], r["hwm"], r["ready"] * 1e3, r["verify_wall"] * 1e3, r["verify_cpu"] * 1e3))
print("/bin/true (same run): exec to exit %.1f ms wall, %.1f ms CPU" % (true_wall * 1e3, true_cpu * 1e3))
if BASE:
    a, b = rows
    print("ratios this/baseline: libs %.2f, RSS %.2f, ready %.2f, verify wall %.2f, verify CPU %.2f" % (
        a["libs"] / b["libs"], a["rss"] / b["rss"], a["ready"] / b["ready"],
        a["verify_wall"] / b["verify_wall"], a["verify_cpu"] / max(b["verify_cpu"], 1e-9)))
PY
