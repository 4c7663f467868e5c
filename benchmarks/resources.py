"""Resources of the processes under test, read from ``/proc``.

Resident memory now and at its peak (``VmRSS``, ``VmHWM``, with the peak
reset where Linux allows), CPU time per process and per thread, and the
children of a process (gunicorn's worker).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass(frozen=True)
class Memory:
    """Resident set of a process: now (``VmRSS``) and peak (``VmHWM``), bytes."""

    rss: int
    peak: int


def child_pids(parent: int) -> list[int]:
    """Pids whose parent is ``parent``, from ``/proc/<pid>/stat``."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the fields after its ")" do not.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return sorted(children)


def memory(pid: int) -> Memory:
    """The resident set of ``pid`` now and at its peak, in bytes."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0]) * 1024
    return Memory(rss=values["VmRSS"], peak=values["VmHWM"])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time that ``pid`` has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def cpu_usage(processes: dict[str, int]) -> Iterator[dict[str, float]]:
    """CPU seconds each named process uses inside the block (filled on exit)."""
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    used: dict[str, float] = {}
    yield used
    used.update(
        {name: cpu_seconds(pid) - before[name] for name, pid in processes.items()}
    )


class ThreadCpuSampler:
    """CPU seconds of each thread of a process while a block runs.

    Pool threads end with their pool, taking their counters with them, so
    ``/proc/<pid>/task`` is sampled every ``interval`` seconds and the last
    reading of each thread is kept.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self._pid = pid
        self._interval = interval
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ThreadCpuSampler:
        self._read()
        self._start = dict(self._last)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read()

    def old_and_new(self) -> tuple[float, float]:
        """CPU seconds of the threads that existed on entry (a gthread
        worker's request threads) and of those started since (pools)."""
        old = new = 0.0
        for tid, seconds in self._last.items():
            if tid in self._start:
                old += seconds - self._start[tid]
            else:
                new += seconds
        return old, new

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self._read()

    def _read(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{self._pid}/task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self._last[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks


def reset_peak(pid: int) -> bool:
    """Set the peak (``VmHWM``) of ``pid`` back to its current RSS.

    Writing ``5`` to ``/proc/<pid>/clear_refs`` does that (Linux 4.0+); where
    it is refused, the peak keeps counting from the process start.
    """
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@contextmanager
def peak_growth(pid: int) -> Iterator[dict[str, float]]:
    """Measure how far the RSS of ``pid`` rises above its level on entry.

    Yields a dict filled on exit with ``before``, ``after``, ``peak`` and
    ``growth`` (peak minus before), all in MiB, and ``peak_reset`` (whether
    the peak counter started at the entry level).
    """
    measured: dict[str, float] = {}
    peak_reset = reset_peak(pid)
    before = memory(pid)
    yield measured
    after = memory(pid)
    measured.update(
        before=before.rss / MIB,
        after=after.rss / MIB,
        peak=after.peak / MIB,
        growth=(after.peak - before.rss) / MIB,
        peak_reset=float(peak_reset),
    )
