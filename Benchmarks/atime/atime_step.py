"""What the 8-second atime step costs in lateness, and what watching terminal reads with inotify would cost instead.

An interactive bash runs on a new pty (pty.fork) and this script types into its master, as a user's keyboard does
through sshd. It measures, on the real kernel:

A. the lateness the daemon's rule gives: after the last key press L of a burst, the atime A that the kernel kept
   (the first read in L's 8-second bucket), and the end of A's bucket B, which the daemon takes as the last input:
   B - L is how late a session idle from L is ended, the farewell and scheduling aside (uniform in (0, 8] for a
   last key press at a random moment);
B. what a watch on every read would cost: IN_ACCESS events on the pty per key press, for a steady typist, against
   the atime updates the kernel makes (one per 8 s at most).

Usage: python3 atime_step.py TRIALS KEYS_PER_SECOND SECONDS > results.md
"""
import ctypes
import os
import pty
import random
import select
import statistics
import struct
import sys
import time

IN_ACCESS = 0x1
libc = ctypes.CDLL("libc.so.6", use_errno=True)


def drain(fd):
    while select.select([fd], [], [], 0)[0]:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def count_events(fd):
    n = 0
    while select.select([fd], [], [], 0)[0]:
        data = os.read(fd, 65536)
        i = 0
        while i < len(data):
            _, mask, _, length = struct.unpack_from("iIII", data, i)
            i += 16 + length
            if mask & IN_ACCESS:
                n += 1
    return n


def key(master, byte, watch):
    """One key press, once the shell has read it (the pty's first IN_ACCESS event, however busy the machine is);
    returns the IN_ACCESS events it caused."""
    os.write(master, byte)
    select.select([watch], [], [], 5)
    time.sleep(0.002)  # the shell's further reads for the same key press, if any
    drain(master)
    return count_events(watch)


def main():
    trials, rate, seconds = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    pid, master = pty.fork()
    if pid == 0:
        os.environ["PS1"] = "$ "
        os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
    time.sleep(0.5)
    drain(master)
    slave = os.readlink("/proc/%d/fd/0" % pid)
    watch = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    libc.inotify_add_watch(watch, slave.encode(), IN_ACCESS)

    # A. lateness of the bucket rule: the last key press at a random moment of an 8 s bucket, after (or not) an
    # earlier one in the same bucket, the first read of the bucket being what the kernel keeps.
    # A trial whose key press was read in one bucket and seen back in the next (a busy machine) is made again.
    late = []
    count_events(watch)
    for attempt in range(3 * trials):
        if len(late) == trials:
            break
        time.sleep(8 - time.time() % 8 + 0.02)  # a new bucket: its first read moves the atime
        moment = random.uniform(0.05, 7.9)
        if attempt % 2:
            time.sleep(random.uniform(0, moment))
            key(master, b"x", watch)
        time.sleep(max(0, moment - time.time() % 8))
        key(master, b"\x7f", watch)
        last = time.time()
        st = os.stat(slave)
        assert st.st_atime_ns % 1_000_000_000 == 0, "a read stored a fraction of a second"
        atime = st.st_atime_ns // 1_000_000_000
        if atime // 8 != int(last) // 8:
            continue
        late.append((atime // 8 + 1) * 8 - last)
    assert len(late) == trials, "only %d of %d trials in %d attempts: the others straddled a bucket's end" % (
        len(late), trials, 3 * trials)
    count_events(watch)

    # B. the cost of watching every read. inotify merges an event with an identical one still unread, so the queue
    # is read after each key press, as a daemon woken by each event would.
    updates, keys, events, last_atime = 0, 0, 0, os.stat(slave).st_atime_ns
    start = time.time()
    while time.time() - start < seconds:
        events += key(master, b"x" if keys % 2 == 0 else b"\x7f", watch)
        keys += 1
        atime = os.stat(slave).st_atime_ns
        if atime != last_atime:
            updates += 1
            last_atime = atime
        time.sleep(max(0, 1 / rate - 0.002))
    elapsed = time.time() - start
    os.kill(pid, 9)
    os.waitpid(pid, 0)

    late.sort()
    q = lambda p: late[min(len(late) - 1, int(p * len(late)))]
    print("| trials | lateness of the 8 s bucket rule, B - L (s): min / median / p90 / max | mean |")
    print("|---|---|---|")
    print("| %d | %.1f / %.1f / %.1f / %.1f | %.1f |" % (
        len(late), late[0], statistics.median(late), q(0.9), late[-1], statistics.mean(late)))
    print()
    print("| typing | key presses | IN_ACCESS events (a watch on every read) | per key press | per second | atime updates (what the daemon reads) | per second |")
    print("|---|---|---|---|---|---|---|")
    print("| %.0f keys/s for %.0f s | %d | %d | %.2f | %.1f | %d | %.2f |" % (
        rate, elapsed, keys, events, events / keys, events / elapsed, updates, updates / elapsed))


main()
