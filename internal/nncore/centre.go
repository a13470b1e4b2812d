package nncore

import "github.com/snnsim/snnsim/lr"

// Centre turns the K copy losses of each of G samples (loss, G×K, copy-minor) into score
// weights c = (L − b)·norm, with the baseline b of an lr.Estimator:
//
//   - lr.BaselineLOO: the mean loss of the sample's other copies (under antithetic pairs,
//     of its other pairs), independent of the copy's own noise and so unbiased;
//   - lr.BaselineClean: clean[n], the sample's noise-free loss;
//   - lr.BaselineNone: 0.
//
// Antithetic copies are in pairs (2j, 2j+1).
func Centre(c, loss, clean []float32, G, K int, base lr.Baseline, anti bool, norm float64) {
	for n := range G {
		ls := loss[n*K : (n+1)*K]
		cs := c[n*K : (n+1)*K]
		var tot float64
		for _, v := range ls {
			tot += float64(v)
		}
		for k, v := range ls {
			var b float64
			switch base {
			case lr.BaselineLOO:
				if anti {
					b = (tot - float64(v) - float64(ls[k^1])) / float64(K-2)
				} else {
					b = (tot - float64(v)) / float64(K-1)
				}
			case lr.BaselineClean:
				b = float64(clean[n])
			}
			cs[k] = float32((float64(v) - b) * norm)
		}
	}
}

// ResolveBaseline resolves lr.BaselineAuto as lr.Estimator does (leave-one-out when there
// are enough copies, else the clean loss) and checks that a leave-one-out baseline has
// enough copies (2, or 4 under antithetic pairs).
func ResolveBaseline(pkg string, b lr.Baseline, K int, anti bool) (lr.Baseline, error) {
	need := 2
	if anti {
		need = 4
	}
	if b == lr.BaselineAuto {
		if K >= need {
			return lr.BaselineLOO, nil
		}
		return lr.BaselineClean, nil
	}
	if b == lr.BaselineLOO && K < need {
		return b, errorf(pkg, "a leave-one-out baseline needs %d copies, got %d", need, K)
	}
	return b, nil
}

// Noise fills dst with standard variates of law from the stream (s1, s2): the fast
// ziggurat for the Gaussian, the law's sampler otherwise.
func Noise(dst []float32, law lr.Law, s1, s2 uint64) {
	if _, ok := law.(lr.Gaussian); ok || law == nil {
		ns := lr.NewNormalStream(s1, s2)
		ns.Fill(dst)
		return
	}
	r := newRand(s1, s2)
	for i := range dst {
		dst[i] = float32(law.Sample(r))
	}
}

// Scores replaces standard variates by their scores Score(ε) (identity for the Gaussian).
func Scores(dst []float32, law lr.Law) {
	if _, ok := law.(lr.Gaussian); ok || law == nil {
		return
	}
	for i, v := range dst {
		dst[i] = law.Score(v)
	}
}
