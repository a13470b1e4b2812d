// Package snn describes spiking networks: populations of neurons or spike sources,
// projections that connect them, and the YAML network files that hold them.
//
// A Network is a plain description; the engine (package sim) compiles it: each population
// becomes a contiguous block of neuron state, each projection a CSR synapse matrix built by
// Projection.Build.
//
// # Units
//
// Inside snnsim time is in milliseconds, potentials in millivolts and rates in hertz. In a
// file a quantity is a bare number in that unit (20 means 20 ms for a time constant) or a
// string with a unit: s, ms, us (also µs); V, mV, uV; Hz, kHz. Weights are potentials (mV)
// onto lif and cuba-lif neurons and plain numbers, in units of the leak conductance, onto
// coba-lif neurons. Writing a unit of the wrong kind ("tau_m: 5mV") is an error.
//
// # Network files
//
// A network file is one YAML document:
//
//	name: demo              # optional
//	dt: 0.1ms               # time step, default 0.1 ms
//	seed: 1                 # default run seed, optional
//	populations:
//	  - name: exc           # letters, digits, '_', '-', '.'; unique
//	    size: 320
//	    model: cuba-lif     # lif | cuba-lif | coba-lif | poisson | spikes
//	    params: {tau_m: 20ms, v_rest: -65mV, v_thresh: -50mV, v_reset: -65mV}
//	    init: {v: {uniform: [-65mV, -50mV]}}
//	  - name: stim
//	    size: 100
//	    model: poisson
//	    rate: 20Hz
//	  - name: replay
//	    size: 2
//	    model: spikes
//	    spikes: {ids: [0, 1, 0], times: [1ms, 2ms, 5ms]}
//	projections:
//	  - {name: ee, from: exc, to: exc, connect: {random: 0.1}, weight: 0.5mV, delay: 1ms}
//	  - {from: stim, to: exc, connect: {random: 0.2}, weight: {uniform: [8mV, 12mV]}}
//	  - {from: replay, to: exc, receptor: inh, connect: {list: {pre: [0, 1], post: [5, 7]}}, weights: [-2mV, -3mV]}
//
// Unknown keys, keys given twice and keys a model does not use are errors. YAML anchors,
// aliases and merge keys ("<<: *base") may be used to share parameters. The full reference,
// with every key, default and unit, is docs/network-format.md.
//
// Neuron parameters (params) default to DefaultParams: tau_m 20 ms, tau_e 5 ms, tau_i 10 ms,
// v_rest −65 mV, v_thresh −50 mV, v_reset −65 mV, refractory 2 ms, reset value, bias 0 mV,
// e_e 0 mV, e_i −80 mV, beta 0 (deterministic threshold). init.v defaults to v_rest. A
// projection's receptor defaults to exc and its delay to 0.
//
// Initial values, weights and delays are distributions: a constant (a plain quantity),
// {uniform: [low, high]} or {normal: [mean, sd]}. Connectivity rules: all, one-to-one,
// {random: P} (each pair independently with probability P) and {list: {pre: [...], post:
// [...]}} (explicit pairs, optionally with per-synapse weights). For a population projecting
// onto itself, all and random leave out i→i synapses unless allow_self: true is given
// ({random: 0.02, allow_self: true}); Brian2's connect(p=...) keeps them, and so do the CUBA
// and COBA benchmark networks.
//
// # Errors
//
// Parse and Load validate what they read. Every problem is reported as an *Error with a
// one-line message naming the line and the field, e.g.
//
//	snn: net.yaml:12: populations[1] (inh).params.tau_m: must be > 0, got -5ms
//	snn: net.yaml:20: projections[0].to: unknown population "exz"
//
// Sizes, synapse counts and delays are bounded (MaxNeurons, MaxSynapses, MaxDelaySteps) so
// that a file cannot make the simulator allocate without limit.
//
// # Random streams and determinism
//
// Nothing in the package holds global random state. Projection.Build draws from math/rand/v2
// PCG generators seeded by the projection's seed when it has one, else by the seed the caller
// passes (the engine derives it from the run seed and the projection's index), with three
// independent streams for connectivity, weights and delays. The same seed gives the same
// synapses; random connectivity costs one exponential variate per synapse (geometric
// skipping), not one draw per pair, so 400 000 neurons with 80 synapses each build in about
// a second.
//
// Network.Hash identifies a description (SHA-256 of a canonical encoding) for trace
// metadata. CUBA and COBA build the standard benchmark networks; examples/cuba.yaml and
// examples/coba.yaml hold the same networks as files.
package snn
