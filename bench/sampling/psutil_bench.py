#!/usr/bin/env python3
"""The psutil side of the sampling benchmark: the same readings leakscope's
ProcReader::sample takes, per process per round, timed the same way.

What each round reads for every pid (psutil 7, Linux):
  with p.oneshot():                      # caches stat/status for the block
      p.memory_info()                    # /proc/PID/statm      -> rss
      p.ppid(), p.name(), p.create_time()# /proc/PID/stat (once) -> ppid, comm, start time
      p.num_threads()                    # /proc/PID/status (once) -> Threads
      p._proc._read_status_file()        # the same cached status bytes, parsed here for
                                         #   RssAnon/RssFile/RssShmem/VmSwap (psutil has no
                                         #   public API for them; memory_full_info reads smaps)
So psutil reads stat + statm + status (3 files) where leakscope reads stat + status (2) and
takes CLOCK_BOOTTIME instead of /proc/uptime (psutil caches boot time once).
Process objects are created once, before timing, as a long-running monitor would keep them.

--raw instead times plain Python open/read/parse of /proc/PID/stat and /proc/PID/status,
no psutil: the floor for any Python sampler.

usage: psutil_bench.py [--rounds N] [--raw] PID...   (or pids on stdin)
"""
import os
import re
import sys
import time

STATUS_FIELDS = re.compile(rb"^(VmRSS|RssAnon|RssFile|RssShmem|VmSwap):\s+(\d+) kB", re.M)


def parse_status(data):
    return {k.decode(): int(v) * 1024 for k, v in STATUS_FIELDS.findall(data)}


def sample_psutil(p):
    with p.oneshot():
        mem = p.memory_info()
        ppid, name, created = p.ppid(), p.name(), p.create_time()
        threads = p.num_threads()
        fields = parse_status(p._proc._read_status_file())
    return mem.rss + fields.get("RssAnon", 0) + threads + ppid + int(created) + len(name)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def sample_raw(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    rest = stat[stat.rindex(b")") + 2 :].split()
    ppid, start = int(rest[1]), int(rest[19]) / CLK_TCK
    uptime = time.clock_gettime(time.CLOCK_BOOTTIME) - start
    with open(f"/proc/{pid}/status", "rb") as f:
        fields = parse_status(f.read())
    return fields.get("RssAnon", 0) + ppid + int(uptime)


def main():
    args = sys.argv[1:]
    rounds, raw, pids = 50, False, []
    while args:
        a = args.pop(0)
        if a == "--rounds":
            rounds = int(args.pop(0))
        elif a == "--raw":
            raw = True
        else:
            pids.append(int(a))
    if not pids:
        pids = [int(x) for x in sys.stdin.read().split()]
    if raw:
        targets, fn, label = pids, sample_raw, "python-raw"
    else:
        import psutil

        targets, fn, label = [psutil.Process(pid) for pid in pids], sample_psutil, "psutil"
    sink = 0
    for t in targets:  # warm-up
        sink += fn(t)
    per_round = []
    cpu0 = time.process_time()
    for _ in range(rounds):
        t0 = time.perf_counter()
        for t in targets:
            sink += fn(t)
        per_round.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    per_round.sort()
    n = len(pids)
    us = lambda s: s * 1e6 / n
    cpu_round = cpu / rounds
    print(
        f"{label} procs={n} rounds={rounds} median_us_per_proc={us(per_round[len(per_round)//2]):.2f} "
        f"p90_us_per_proc={us(per_round[min(len(per_round)*9//10, len(per_round)-1)]):.2f} "
        f"min_us_per_proc={us(per_round[0]):.2f} cpu_us_per_proc={cpu_round*1e6/n:.2f} "
        f"core_pct_at_1s={cpu_round*100:.3f} (checksum {sink % 10})"
    )


if __name__ == "__main__":
    main()
