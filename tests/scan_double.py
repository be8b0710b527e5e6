"""A stand-in virus scanner for the tests (EVIDENCE_SCAN_COMMAND): reads the file on its standard
input; exits 1 with "EICAR test file" when it holds the EICAR test string, 0 otherwise.

`scan_double.py fail` exits 2 (the scanner is broken); `scan_double.py sleep SECONDS` answers
only after SECONDS (past the timeout).
"""

import sys
import time

EICAR = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"

data = sys.stdin.buffer.read()
mode = sys.argv[1] if len(sys.argv) > 1 else "scan"
if mode == "fail":
    sys.stderr.write("cannot open the signature database\n")
    sys.exit(2)
if mode == "sleep":
    time.sleep(float(sys.argv[2]))
if EICAR in data:
    sys.stdout.write("EICAR test file\nsecond line\n")
    sys.exit(1)
sys.exit(0)
