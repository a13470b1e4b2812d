package mlp

// sparseRows adds Σ_k val[k]·w[idx[k]·stride : idx[k]·stride+len(z)] into z, in
// ascending k: a sparse row of coefficients times a matrix with row stride stride. It
// is the whole of a wide dense layer: the forward pass (z a row of outputs, idx the
// non-zero inputs, w the weights) and the weight gradient (z a row of GW, idx the rows
// whose input is non-zero, w the deltas). The portable version goes four rows at a
// time through axpy4; builds with GOEXPERIMENT=simd on amd64 hold blocks of z in
// registers over all k (sparse_simd_amd64.go).
var sparseRows = sparseRowsGeneric

// narrowGrad8, when set (AVX2 builds), adds the gradient of eight outputs of a narrow
// layer over a range of inputs (narrowGradAVX2).
var narrowGrad8 func(gt, x, delta []float32, rows, in, out, i0, c0, c1 int)

// sparseCols is the width of the column blocks of a wide forward pass: the whole row for
// gonum's kernels (long calls), a block of weights that stays in L2 for the AVX2 kernel.
var sparseCols = 512

func sparseRowsGeneric(z []float32, idx []int32, val []float32, w []float32, stride int) {
	n := len(z)
	k := 0
	for ; k+4 <= len(idx); k += 4 {
		o0, o1, o2, o3 := int(idx[k])*stride, int(idx[k+1])*stride, int(idx[k+2])*stride, int(idx[k+3])*stride
		axpy4(val[k], val[k+1], val[k+2], val[k+3], w[o0:o0+n], w[o1:o1+n], w[o2:o2+n], w[o3:o3+n], z)
	}
	for ; k < len(idx); k++ {
		o := int(idx[k]) * stride
		axpy(val[k], w[o:o+n], z)
	}
}

// pattern is the non-zero pattern of a block of rows: row r's non-zero entries are at
// positions idx[ptr[r]:ptr[r+1]] with values val[ptr[r]:ptr[r+1]].
type pattern struct {
	ptr []int32
	idx []int32
	val []float32
}

// rowsOf fills p with the non-zero pattern of the rows×in matrix x. The compaction has no
// branch on the data: MNIST pixels are zero or not at random, which a branch mispredicts.
func (p *pattern) rowsOf(x []float32, rows, in int) {
	p.ptr = grow(p.ptr, rows+1)
	p.idx = grow(p.idx, rows*in)
	p.val = grow(p.val, rows*in)
	n := 0
	idx, val := p.idx[:rows*in], p.val[:rows*in]
	for r := range rows {
		p.ptr[r] = int32(n)
		for j, v := range x[r*in : (r+1)*in] {
			idx[n] = int32(j)
			val[n] = v
			n += b2i(v != 0)
		}
	}
	p.ptr[rows] = int32(n)
}

// transpose fills t with the pattern of p's transpose (cols columns of p become rows),
// each row in ascending order of p's rows.
func (p *pattern) transpose(t *pattern, rows, cols int) {
	nnz := int(p.ptr[rows])
	t.ptr = grow(t.ptr, cols+1)
	t.idx = grow(t.idx, nnz)
	t.val = grow(t.val, nnz)
	ptr := t.ptr[:cols+1]
	clear(ptr)
	for _, j := range p.idx[:nnz] {
		ptr[j+1]++
	}
	for j := range cols {
		ptr[j+1] += ptr[j]
	}
	for r := range rows {
		for k := p.ptr[r]; k < p.ptr[r+1]; k++ {
			j := p.idx[k]
			t.idx[ptr[j]] = int32(r)
			t.val[ptr[j]] = p.val[k]
			ptr[j]++
		}
	}
	// ptr[j] now holds the end of row j: shift back to starts.
	copy(ptr[1:], ptr[:cols])
	ptr[0] = 0
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
