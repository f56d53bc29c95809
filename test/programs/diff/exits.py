"""Runs the same lines, then exits with the status CODE names: runs that differ only in how they end."""
import os
import sys

sys.exit(int(os.environ.get("CODE", "0")))
