// Package trace holds recorded spike traces: which neuron fired at which time
// step, with the metadata needed to interpret and reproduce them. Traces are
// read and written as NumPy .npz archives, so they move freely between snnsim,
// numpy and other simulators (a Brian2 SpikeMonitor's i and t arrays are a
// trace), and two traces can be compared exactly or within a few steps.
//
// # Model
//
// A [Trace] is two parallel slices, IDs (global neuron index, int32) and Ticks
// (time step, int64; the spike's time is Tick*Meta.DT seconds), sorted by
// (tick, id), plus a [Meta] (step length, seed, source, network hash, neuron
// count, duration, population ranges). A simulator's monitor fills one with
// [Trace.Append]. Statistics: [Trace.Counts], [Trace.Rates],
// [Trace.MeanRate], [Trace.FractionSilent], [Trace.CVs] and [Trace.MeanCV]
// (coefficient of variation of inter-spike intervals, computed as the usual
// numpy analysis does); [Trace.Slice] cuts a time window.
//
// # File format
//
// A trace file is an .npz archive (a zip of .npy arrays, as np.savez writes)
// that np.load reads without allow_pickle. [Trace.Write] stores, each as
// NAME.npy, deflate-compressed:
//
//	i     int32[n]    neuron id of each spike
//	t     float64[n]  spike time in seconds (tick*dt)
//	tick  int64[n]    time step of each spike
//	dt    float64     0-d: step length in seconds (SI units)
//	seed  uint64      0-d: seed of the run
//	meta  uint8[m]    UTF-8 JSON: {"format": "snnsim-trace/1", "source": ...,
//	                  "network_hash": ..., "num_neurons": ..., "duration_steps": ...,
//	                  "populations": [{"name": ..., "first": ..., "size": ...}]}
//
// Empty metadata fields are left out of the JSON. Headers are npy format 1.0,
// little-endian, C order, padded to 64 bytes as numpy pads them.
//
// [Read] and [ReadFile] accept what numpy users write, compressed
// (np.savez_compressed) or not (np.savez):
//
//   - neuron ids under "i" (or "indices", or "spike_ids"): any integer dtype,
//     values in [0, 2³¹);
//   - spike times in seconds under "t" (or "times", or "spike_times"):
//     float32 or float64, finite and non-negative; and/or ticks under
//     "tick" (any integer dtype). Without "tick", ticks are the times divided
//     by dt, rounded to the nearest integer; with both, they must agree
//     within half a step;
//   - "dt" (any float, 0-d or one element) — or, when the file has none,
//     [ReadOptions].DT; "seed" and "meta" are optional.
//
// Arrays must be 1-d, little-endian (or single-byte) and in C order; only one
// of the alias names may be present. Spikes need not be sorted: the reader
// sorts them. Anything else is rejected with a one-line [FormatError] such as
//
//	trace: run.npz: array "t": negative time -0.5 at index 3
//
// The reader never trusts sizes in the file: memory grows with the data
// actually present, not with a header's claimed shape. In Python:
//
//	import json, numpy as np
//	f = np.load("run.npz")
//	i, t, dt = f["i"], f["t"], float(f["dt"])
//	meta = json.loads(f["meta"].tobytes())
//
//	np.savez("mine.npz", i=mon.i[:], t=mon.t / second, dt=float(defaultclock.dt))
//
// docs/trace-format.md describes the format for users.
//
// Comparison: [Compare] pairs the spikes of two traces neuron by neuron,
// exactly or within ±k ticks, and returns a [Diff]. The golden-file helper
// for tests is in the sub-package tracetest.
package trace
