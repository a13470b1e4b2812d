#!/usr/bin/python3
"""Writes the numpy-made fixtures that trace's tests read (run once, by hand;
the tests themselves never need Python):

    cd trace/testdata && /usr/bin/python3 make_fixtures.py

The spikes are tiny and fixed; trace/npz_test.go knows the same values.
"""
import json

import numpy as np

# Brian2 style: what a SpikeMonitor user saves with
#   np.savez(f, i=mon.i[:], t=mon.t/second)
# Spikes are in time order (Brian2's order), times are multiples of dt = 0.1 ms.
dt = 1e-4
i = np.array([3, 0, 2, 3, 1, 3, 0], dtype=np.int64)
ticks = np.array([0, 2, 2, 5, 7, 7, 11], dtype=np.int64)
t = ticks * dt  # float64 seconds

# No dt stored: the reader needs ReadOptions.DT.
np.savez("brian2_savez.npz", i=i, t=t)
# Compressed, with dt.
np.savez_compressed("brian2_compressed.npz", i=i, t=t, dt=np.float64(dt))
# Other accepted names and dtypes, unsorted on purpose, dt as a 1-element array.
order = np.array([6, 0, 3, 1, 5, 2, 4])
np.savez("numpy_aliases.npz",
         spike_ids=i[order].astype(np.uint16),
         spike_times=t[order].astype(np.float32),
         dt=np.array([dt]))
np.savez_compressed("numpy_indices_times.npz",
                    indices=i.astype(np.int32), times=t, dt=np.float64(dt))
# The full snnsim layout written by numpy (what docs/trace-format.md shows).
meta = {"format": "snnsim-trace/1", "source": "numpy", "num_neurons": 5,
        "duration_steps": 20, "populations": [{"name": "E", "first": 0, "size": 4},
                                              {"name": "I", "first": 4, "size": 1}]}
np.savez("numpy_full.npz", i=i.astype(np.int32), t=t, tick=ticks,
         dt=np.float64(dt), seed=np.uint64(42),
         meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
# Empty trace.
np.savez("numpy_empty.npz", i=np.zeros(0, np.int64), t=np.zeros(0), dt=np.float64(dt))
