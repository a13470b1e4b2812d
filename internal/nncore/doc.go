// Package nncore holds what the cnn, rnn and gnn packages share and package mlp does not
// export: fast row-major matrix products (AVX2/FMA with gonum's blas32 as the portable
// fallback), the derivative of mlp's activations and of the softmax cross-entropy, the
// shared model-file container, and the loss centring of the likelihood-ratio estimators
// that cannot be written as an lr.Estimator stack (recurrent and graph networks).
//
// # Matrix products
//
// [MatMul] (C = A·B) and [MatMulTN] (C += Aᵀ·D) run on the calling goroutine with a fixed
// order of sums; callers split rows between goroutines (lr.ParallelFor), so every result
// is bit-identical at any GOMAXPROCS. Built with GOEXPERIMENT=simd on amd64 with AVX2 and
// FMA, blocks of 16 columns go through assembly kernels holding a 6×16 block of C in
// twelve registers ([Kernel] = "avx2-fma"); otherwise gonum's blas32 Sgemm does the work.
// Measured in CPU time on one core of the project's EPYC machine (wall-clock numbers are
// meaningless there under load), for a CIFAR-10 convolution product 8192×288 · 288×32:
// 42–45 GFLOP/s for MatMul and 27–29 for MatMulTN, against 13–18 and 11–14 for the same
// blocking written with archsimd (whose accumulators the compiler spills to the stack)
// and about 4 GFLOP/s of wall time on two cores for gonum's Sgemm.
//
// # Model files
//
// [Encode] and [DecodeHeader] / [Header.ReadTensors] read and write the container of
// docs/model-format.md (magic, version 1, JSON header, float32 payload, CRC-32C) for the
// kinds cnn, rnn and gnn; the JSON header carries a kind-specific "arch" object. mlp's
// decoder rejects these kinds with an error wrapping mlp.ErrFormat, and so do these
// decoders for each other's kinds.
package nncore
