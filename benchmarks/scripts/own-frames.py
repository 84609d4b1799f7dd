#!/usr/bin/env python3
"""Shares of a TLS benchmark's loop threads, from the collapsed stacks that `tls --profile DIR` writes.

For graceful:1 and raw:1, reads DIR's 10,000-connection bidirectional files and keeps the
samples of the stack's loop thread (graceful: frames under SelectorLoop.run; the raw loop:
under NioLoop.run). Each sample is charged to the innermost frame that is either the JDK's
TLS, crypto or NIO code, or graceful's, Reactor's or the harness's own; a frame of neither kind
(collections, locks, the VM's allocation and barriers) is charged to the frame that called it.

    python3 benchmarks/scripts/own-frames.py DIR [TOP]
"""
import collections
import glob
import os
import re
import sys

JDK = ("sun/security/", "com/sun/crypto/", "sun/nio/", "java/nio/", "javax/crypto/",
       "java/security/", "javax/net/", "jdk/internal/")
OWN = ("dev/graceful/", "reactor/")
STACKS = (("graceful-1", "SelectorLoop.run"), ("raw-1", "NioLoop.run"))


def charge(frames):
    """The frame a sample is charged to, or None for the JDK's TLS, crypto and NIO code.

    Only loop-thread samples come here, and the loop's own run method is an own frame, so one of
    the two kinds is always found.
    """
    for frame in reversed(frames):
        if frame.startswith(JDK):
            return None
        if frame.startswith(OWN):
            return re.sub(r"\$\$Lambda[\w./$]*", "$$Lambda", frame)
    raise ValueError("a loop-thread sample without its loop frame: " + ";".join(frames))


def main():
    if len(sys.argv) < 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__)
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    for stack, loop in STACKS:
        files = sorted(glob.glob(os.path.join(sys.argv[1], stack + "-*-BIDIRECTIONAL-10000-*.collapsed")))
        if not files:
            print(f"{stack}: no 10000-connection bidirectional profiles in {sys.argv[1]}")
            continue
        own = collections.Counter()
        jdk = 0
        for name in files:
            with open(name) as f:
                for line in f:
                    stack_text, _, count = line.rstrip().rpartition(" ")
                    frames = stack_text.split(";")
                    if not any(loop in frame for frame in frames):
                        continue
                    charged = charge(frames)
                    if charged is None:
                        jdk += int(count)
                    else:
                        own[charged] += int(count)
        total = jdk + sum(own.values())
        if total == 0:
            print(f"{stack}: {len(files)} files, no loop-thread samples")
            continue
        print(f"{stack}: {len(files)} files, loop thread {total} samples")
        print(f"  {jdk:7d} {100 * jdk / total:5.1f} %  JDK TLS, crypto and NIO code")
        print(f"  {total - jdk:7d} {100 * (total - jdk) / total:5.1f} %  own code (graceful, Reactor, harness)")
        for frame, n in own.most_common(top):
            print(f"  {n:7d} {100 * n / total:5.2f} %    {frame}")


if __name__ == "__main__":
    main()
