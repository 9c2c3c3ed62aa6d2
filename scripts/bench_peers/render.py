"""Re-renders docs/benchmarks.md from the last run's results (no measuring):

    python3 scripts/bench_peers/render.py [build/bench-peers/results.json] [docs/benchmarks.md]

Used after editing notes.md; the figures stay those of the run that made
results.json.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import report  # noqa: E402

results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/bench-peers/results.json")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs/benchmarks.md")
with open(results) as f:
    data = json.load(f)
with open(out, "w") as f:
    f.write(report.render(data, HERE))
print(f"wrote {out} from {results}")
