#!/usr/bin/env bash
# Side-by-side CUBA/COBA timing: Brian2 2.5.1 (C++ standalone, the peer the issues cite) and
# snnsim on one core, run alternately so that both see the same machine load. Prints one
# line per run; quote medians. Needs Debian's python3-brian (apt-get install -y python3-brian)
# and the peer script from the workplace's shared/peers folder (not part of this repository).
#
#   scripts/compare-brian2.sh [cuba|coba] [runs] [duration_s]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-cuba}
runs=${2:-3}
dur=${3:-10}
peer=${PEER:-../shared/peers/brian2_cuba.py}
[ -f "$peer" ] || { echo "no peer script at $peer (set PEER=...)" >&2; exit 2; }
make -s build
for i in $(seq "$runs"); do
  out=$(mktemp -d)
  /usr/bin/python3 "$peer" --target cpp_standalone --model "$model" --duration "$dur" --no-csv --outdir "$out" 2>/dev/null |
    sed -n 's/^RESULT //p' |
    /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); t=d["timings_s"]; print("brian2 run %.3fs  rate %.3f Hz  cv %.3f  silent %.3f  events/s %.3g" % (t["run"], d["mean_rate_hz"], d["cv_isi_mean"], d["frac_silent"], d["syn_events_per_s_run"]))'
  rm -rf "$out"
  GOMAXPROCS=1 bin/snnsim bench "$model" --duration "${dur}s"
done
