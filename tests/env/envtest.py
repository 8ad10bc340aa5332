"""Shared helpers of the environment tests (tests/env/test_*.py): the
library path from --lib, a check() with readable messages, and a runner
that prints "N passed, M failed" and exits non-zero on a failure (77 when
python3-msgpack is missing, which CTest reports as skipped)."""
import argparse
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "pylib"))

try:
    import msgpack  # noqa: F401
except ImportError:
    print("python3-msgpack is missing: apt-get install python3-msgpack")
    sys.exit(77)


class Failure(AssertionError):
    pass


def check(cond, what, *details):
    if not cond:
        raise Failure(what + (": " + " ".join(repr(d) for d in details)
                              if details else ""))


def expect_raises(exc, fn, *args, contains=None, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        if contains:
            check(contains in str(e), "the error says %r" % contains, str(e))
        return e
    raise Failure("expected %s from %s" % (exc.__name__, fn.__name__))


def run(tests, extra_args=()):
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    for a in extra_args:
        ap.add_argument(a)
    args = ap.parse_args()
    os.environ["LANTHANIDE_LIB"] = args.lib
    passed = failed = 0
    for fn in tests:
        try:
            fn(args)
            print("ok   %s" % fn.__name__)
            passed += 1
        except Exception:
            print("FAIL %s" % fn.__name__)
            traceback.print_exc()
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
