//go:build goexperiment.simd && amd64

package mlp

import "simd/archsimd"

//go:noescape
func sparse64(z *float32, idx *int32, val *float32, n int, w *float32, stride uintptr)

// sparseRowsAVX2 is sparseRows with blocks of 64 outputs held in eight registers while
// every k streams past (sparse64, assembly: the Go compiler's archsimd version of the same
// loop spilled and shuffled its accumulators and ran at half the speed). Per k, one
// broadcast and eight FMAs; z is loaded and stored once per block instead of once per
// four k. Fewer than 64 outputs go eight at a time, then one at a time.
func sparseRowsAVX2(z []float32, idx []int32, val []float32, w []float32, stride int) {
	n := len(z)
	val = val[:len(idx)]
	if len(idx) == 0 {
		return
	}
	i := 0
	if n >= 64 {
		// Bounds: every row idx[k] of w must hold the n outputs.
		lo, hi := idx[0], idx[0]
		for _, j := range idx {
			lo, hi = min(lo, j), max(hi, j)
		}
		if lo < 0 || int(hi)*stride+n > len(w) {
			panic("mlp: sparseRows: index out of range")
		}
		full := n &^ 63
		if full < n {
			// The last n−full outputs: a block of 64 ending at n, on a copy, of which only
			// those outputs are kept (the others are the regular blocks' below). Every
			// output is the same chain of FMAs in k order, wherever its block starts.
			var t [64]float32
			copy(t[:], z[n-64:n])
			sparse64(&t[0], &idx[0], &val[0], len(idx), &w[n-64], uintptr(4*stride))
			copy(z[full:n], t[64-(n-full):])
		}
		for ; i < full; i += 64 {
			sparse64(&z[i], &idx[0], &val[0], len(idx), &w[i], uintptr(4*stride))
		}
		return
	}
	for ; i+8 <= n; i += 8 {
		a := archsimd.LoadFloat32x8Slice(z[i:])
		for k, j := range idx {
			o := int(j)*stride + i
			a = archsimd.LoadFloat32x8Slice(w[o:o+8]).MulAdd(archsimd.BroadcastFloat32x8(val[k]), a)
		}
		a.StoreSlice(z[i:])
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		s := z[i]
		for k, j := range idx {
			s += val[k] * w[int(j)*stride+i]
		}
		z[i] = s
	}
}

//go:noescape
func dot8(w *float32, stride uintptr, x *float32, n int, out *[64]float32)

// dotRowsAVX2 is dotRows with groups of eight weight rows against one x (dot8, assembly:
// x is loaded once for eight rows); the rest of the rows go through dot4 and dot.
func dotRowsAVX2(dst, w, x []float32) {
	n := len(x)
	if len(w) < len(dst)*n {
		panic("mlp: dotRows: weights too short")
	}
	n8 := n &^ 7
	i := 0
	if n8 > 0 {
		var lanes [64]float32
		for ; i+8 <= len(dst); i += 8 {
			dot8(&w[i*n], uintptr(4*n), &x[0], n8/8, &lanes)
			for m := range 8 {
				l := lanes[8*m : 8*m+8]
				s := ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]))
				row := w[(i+m)*n : (i+m+1)*n]
				for k := n8; k < n; k++ {
					s += row[k] * x[k]
				}
				dst[i+m] = s
			}
		}
	}
	for ; i+4 <= len(dst); i += 4 {
		dst[i], dst[i+1], dst[i+2], dst[i+3] = dot4(w[i*n:(i+1)*n], w[(i+1)*n:(i+2)*n], w[(i+2)*n:(i+3)*n], w[(i+3)*n:(i+4)*n], x)
	}
	for ; i < len(dst); i++ {
		dst[i] = dot(w[i*n:(i+1)*n], x)
	}
}

//go:noescape
func outer8(gt *float32, gstride uintptr, d *float32, dstride uintptr, x *float32, xstride uintptr, rows int)

// narrowGradAVX2 adds Σ_r delta_r[i]·x_r into gt[i] (gt: out×in, transposed gradient) for
// the outputs i in [i0, i0+8) over the inputs [c0, c1), rows in order (outer8, assembly:
// each x_r block is loaded once for eight outputs). The last c1−c0 mod 8 inputs are
// summed one at a time.
func narrowGradAVX2(gt, x, delta []float32, rows, in, out, i0, c0, c1 int) {
	if i0+8 > out || c1 > in || len(x) < rows*in || len(delta) < rows*out || len(gt) < out*in {
		panic("mlp: narrowGrad: out of range")
	}
	c := c0
	if rows > 0 {
		for ; c+8 <= c1; c += 8 {
			outer8(&gt[i0*in+c], uintptr(4*in), &delta[i0], uintptr(4*out), &x[c], uintptr(4*in), rows)
		}
	}
	for ; c < c1; c++ {
		for i := i0; i < i0+8; i++ {
			s := gt[i*in+c]
			for r := range rows {
				s += delta[r*out+i] * x[r*in+c]
			}
			gt[i*in+c] = s
		}
	}
}
