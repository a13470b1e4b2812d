package attack

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/snnsim/snnsim/lr"
)

// Model is what the attacks need of a classifier: its logits and the gradient of each
// row's loss with respect to its input, either deterministic or, with noise true, with the
// noise draw selected by seed (the same draw in both methods).
type Model interface {
	In() int
	Classes() int
	Logits(dst, x []float32, rows int, noise bool, seed uint64)
	InputGrad(dx, x []float32, y []uint8, rows int, noise bool, seed uint64) error
}

// Setting selects who crafts the attack and how the target is evaluated.
type Setting string

const (
	// WhiteBox: gradients of the deterministic target (noise off), evaluated noise off.
	WhiteBox Setting = "whitebox"
	// EOT: the target keeps its noise at inference; the attacker averages input gradients
	// over EOTSamples noise draws per step (expectation over transformation), and each
	// example is evaluated on a fresh noise draw.
	EOT Setting = "eot"
	// Transfer: black box; examples are crafted on a surrogate's deterministic gradients
	// and evaluated on the deterministic target.
	Transfer Setting = "transfer"
)

// ParseSetting parses whitebox, eot or transfer.
func ParseSetting(s string) (Setting, error) {
	switch Setting(s) {
	case WhiteBox, EOT, Transfer:
		return Setting(s), nil
	}
	return "", fmt.Errorf("attack: unknown setting %q (want whitebox, eot, transfer)", s)
}

// Kind is one attack: FGSM, PGD with Steps steps (random start, step ε/4), or Gaussian
// noise corruption of standard deviation ε (a baseline, not an adversary).
type Kind struct {
	Name  string // fgsm, pgd, noise
	Steps int    // PGD steps
}

func (k Kind) String() string {
	if k.Name == "pgd" {
		return fmt.Sprintf("pgd%d", k.Steps)
	}
	return k.Name
}

// ParseKinds parses a comma-separated list: fgsm, pgd (= pgd10,pgd40), pgdN, noise.
func ParseKinds(s string) ([]Kind, error) {
	var out []Kind
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "fgsm" || f == "noise":
			out = append(out, Kind{Name: f})
		case f == "pgd":
			out = append(out, Kind{Name: "pgd", Steps: 10}, Kind{Name: "pgd", Steps: 40})
		case strings.HasPrefix(f, "pgd"):
			n, err := strconv.Atoi(f[3:])
			if err != nil || n < 1 || n > 10000 {
				return nil, fmt.Errorf("attack: bad PGD step count in %q", f)
			}
			out = append(out, Kind{Name: "pgd", Steps: n})
		default:
			return nil, fmt.Errorf("attack: unknown attack %q (want fgsm, pgd, pgdN, noise)", f)
		}
	}
	return out, nil
}

// Config sets up [Run].
type Config struct {
	Kinds      []Kind
	Eps        []float64 // L∞ budgets on the [0,1] pixel scale (noise: standard deviations)
	Setting    Setting
	EOTSamples int   // noise draws averaged per gradient (EOT; default 10)
	Surrogate  Model // the model the examples are crafted on (Transfer)
	Seed       uint64
	Batch      int // rows per chunk (default 500)
}

// Table is a robustness table: the clean accuracy, then each attack's accuracy at each ε.
type Table struct {
	Setting Setting   `json:"setting"`
	N       int       `json:"n"`
	Clean   float64   `json:"clean"`
	Eps     []float64 `json:"eps"`
	Rows    []Row     `json:"rows"`
	Seed    uint64    `json:"seed"`
	EOT     int       `json:"eot_samples,omitempty"`
}

// Row is one attack's accuracies, one per ε.
type Row struct {
	Attack string    `json:"attack"`
	Acc    []float64 `json:"acc"`
}

// Run attacks target on the n samples x (n×In) with labels y and returns the table.
func Run(target Model, x []float32, y []uint8, n int, cfg Config) (*Table, error) {
	if n == 0 {
		return nil, errors.New("attack: no samples")
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.EOTSamples <= 0 {
		cfg.EOTSamples = 10
	}
	src := target
	switch cfg.Setting {
	case WhiteBox, EOT:
	case Transfer:
		if cfg.Surrogate == nil {
			return nil, errors.New("attack: a transfer attack needs a surrogate model")
		}
		if cfg.Surrogate.In() != target.In() || cfg.Surrogate.Classes() != target.Classes() {
			return nil, errors.New("attack: the surrogate's inputs or classes differ from the target's")
		}
		src = cfg.Surrogate
	default:
		return nil, fmt.Errorf("attack: unknown setting %q", cfg.Setting)
	}
	noisy := cfg.Setting == EOT
	t := &Table{Setting: cfg.Setting, N: n, Eps: cfg.Eps, Seed: cfg.Seed}
	if noisy {
		t.EOT = cfg.EOTSamples
	}
	in := target.In()
	correct := func(xa []float32, r0, rows int, evalSeed uint64) (int, error) {
		return countCorrect(target, xa, y[r0:r0+rows], rows, noisy, evalSeed), nil
	}
	// Clean accuracy.
	ok := 0
	for r0 := 0; r0 < n; r0 += cfg.Batch {
		rows := min(cfg.Batch, n-r0)
		c, _ := correct(x[r0*in:(r0+rows)*in], r0, rows, lr.Hash(cfg.Seed, 0xc1ea, uint64(r0)))
		ok += c
	}
	t.Clean = float64(ok) / float64(n)
	g := &gradder{m: src, noisy: noisy, samples: cfg.EOTSamples}
	for ki, k := range cfg.Kinds {
		row := Row{Attack: k.String()}
		for ei, eps := range cfg.Eps {
			ok := 0
			for r0 := 0; r0 < n; r0 += cfg.Batch {
				rows := min(cfg.Batch, n-r0)
				xs := x[r0*in : (r0+rows)*in]
				ys := y[r0 : r0+rows]
				seed := lr.Hash(cfg.Seed, uint64(ki), uint64(ei), uint64(r0))
				adv := make([]float32, len(xs))
				var err error
				switch k.Name {
				case "fgsm":
					err = FGSM(adv, xs, ys, rows, float32(eps), g, seed)
				case "pgd":
					err = PGD(adv, xs, ys, rows, float32(eps), float32(eps)/4, k.Steps, g, seed)
				case "noise":
					GaussianNoise(adv, xs, float32(eps), seed)
				}
				if err != nil {
					return nil, err
				}
				c, _ := correct(adv, r0, rows, lr.Hash(seed, 0xe7a1))
				ok += c
			}
			row.Acc = append(row.Acc, float64(ok)/float64(n))
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func countCorrect(m Model, x []float32, y []uint8, rows int, noise bool, seed uint64) int {
	C := m.Classes()
	z := make([]float32, rows*C)
	m.Logits(z, x, rows, noise, seed)
	ok := 0
	for r := range rows {
		best := 0
		for i := 1; i < C; i++ {
			if z[r*C+i] > z[r*C+best] {
				best = i
			}
		}
		if best == int(y[r]) {
			ok++
		}
	}
	return ok
}

// Gradder returns input gradients of the attacked loss; seed selects noise draws.
type Gradder interface {
	Grad(dx, x []float32, y []uint8, rows int, seed uint64) error
}

type gradder struct {
	m       Model
	noisy   bool
	samples int
	buf     []float32
}

// Grad implements Gradder: deterministic, or averaged over noise draws (EOT).
func (g *gradder) Grad(dx, x []float32, y []uint8, rows int, seed uint64) error {
	if !g.noisy {
		return g.m.InputGrad(dx, x, y, rows, false, 0)
	}
	if cap(g.buf) < len(dx) {
		g.buf = make([]float32, len(dx))
	}
	b := g.buf[:len(dx)]
	clear(dx)
	for s := range g.samples {
		if err := g.m.InputGrad(b, x, y, rows, true, lr.Hash(seed, uint64(s))); err != nil {
			return err
		}
		for i, v := range b {
			dx[i] += v
		}
	}
	return nil
}

// NewGradder returns the gradient oracle of m: deterministic, or with eotSamples > 0 the
// average over that many noise draws.
func NewGradder(m Model, eotSamples int) Gradder {
	return &gradder{m: m, noisy: eotSamples > 0, samples: eotSamples}
}

// FGSM writes x + ε·sign(∇x loss), clipped to [0,1], into dst.
func FGSM(dst, x []float32, y []uint8, rows int, eps float32, g Gradder, seed uint64) error {
	grad := make([]float32, len(x))
	if err := g.Grad(grad, x, y, rows, seed); err != nil {
		return err
	}
	for i, v := range x {
		dst[i] = clip01(v + eps*sign(grad[i]))
	}
	return nil
}

// PGD writes the L∞ projected-gradient attack into dst: a uniform random start in the
// ε-ball, then steps of size alpha along the gradient's sign, each projected back onto the
// ball and [0,1].
func PGD(dst, x []float32, y []uint8, rows int, eps, alpha float32, steps int, g Gradder, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 0x706764))
	for i, v := range x {
		dst[i] = clip01(v + eps*float32(2*r.Float64()-1))
	}
	grad := make([]float32, len(x))
	for s := range steps {
		if err := g.Grad(grad, dst, y, rows, lr.Hash(seed, uint64(s))); err != nil {
			return err
		}
		for i, v := range dst {
			v += alpha * sign(grad[i])
			v = min(max(v, x[i]-eps), x[i]+eps)
			dst[i] = clip01(v)
		}
	}
	return nil
}

// GaussianNoise writes x + σ·N(0,1), clipped to [0,1], into dst.
func GaussianNoise(dst, x []float32, sigma float32, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x6e6f6973))
	for i, v := range x {
		dst[i] = clip01(v + sigma*float32(r.NormFloat64()))
	}
}

func sign(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func clip01(v float32) float32 { return min(max(v, 0), 1) }
