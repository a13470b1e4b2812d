package cnn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

// Shape is the shape of one sample between layers: C channels of H×W. Inside the network
// samples are laid out channels-last (HWC: value (y, x, c) at (y·W + x)·C + c); the
// dataset's images are channel-major (CHW), which the first convolution reads directly.
type Shape struct{ C, H, W int }

// Size is C·H·W.
func (s Shape) Size() int { return s.C * s.H * s.W }

func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

// Layer is one layer of a CNN: an lr.Mean (what LR needs) with the input half of a
// backward pass (what BP needs).
type Layer interface {
	lr.Mean
	// Backward writes dx = (∂z/∂x)ᵀ·delta for rows rows, where x (rows×in) is the layer's
	// input and delta (rows×out) the gradient at its output. It may be called concurrently
	// on different rows. Layers with cached weights need Prepare first.
	Backward(dx, x, delta []float32, rows int)
	// Prepare refreshes derived weights after a change of the parameters.
	Prepare()
	// Spec is the layer's token in an architecture string (see ParseSpec).
	Spec() string
}

// dense is mlp's dense layer as a CNN layer.
type dense struct{ *mlp.Dense }

func (d dense) Backward(dx, _, delta []float32, rows int) { d.Dense.Backward(dx, delta, rows) }
func (d dense) Spec() string                              { return "d" + strconv.Itoa(d.Out) }

// LayerSpec is one parsed token of an architecture string.
type LayerSpec struct {
	Kind   string // conv, maxpool, avgpool, dense
	N      int    // filters (conv) or outputs (dense)
	K      int    // kernel or window size
	Stride int
	Pad    int
}

// ParseSpec parses an architecture: tokens separated by commas, each one of
//
//	cF kK [sS] [pP]   convolution with F filters of K×K, stride S (1), zero padding P (K/2)
//	mpK [sS]          max pooling over K×K windows, stride S (K)
//	apK [sS]          average pooling
//	dN                dense layer of N outputs
//
// for example "c16k5,mp2,c32k5,mp2,d128". The classifier (a dense layer to the classes)
// is appended by [New]; convolutions and hidden dense layers take the hidden activation.
func ParseSpec(s string) ([]LayerSpec, error) {
	var out []LayerSpec
	for _, tok := range strings.Split(s, ",") {
		tok = strings.ToLower(strings.TrimSpace(tok))
		if tok == "" {
			continue
		}
		ls, err := parseToken(tok)
		if err != nil {
			return nil, fmt.Errorf("cnn: architecture %q: token %q: %w", s, tok, err)
		}
		out = append(out, ls)
	}
	return out, nil
}

func parseToken(tok string) (LayerSpec, error) {
	var ls LayerSpec
	var rest string
	switch {
	case strings.HasPrefix(tok, "mp"):
		ls.Kind, rest = "maxpool", tok[2:]
	case strings.HasPrefix(tok, "ap"):
		ls.Kind, rest = "avgpool", tok[2:]
	case strings.HasPrefix(tok, "c"):
		ls.Kind, rest = "conv", tok[1:]
	case strings.HasPrefix(tok, "d"):
		ls.Kind, rest = "dense", tok[1:]
	default:
		return ls, fmt.Errorf("want cF kK, mpK, apK or dN")
	}
	// Fields: a leading number, then letter+number pairs.
	num := func() (int, error) {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 6 {
			return 0, fmt.Errorf("want a number at %q", rest)
		}
		n, _ := strconv.Atoi(rest[:i])
		rest = rest[i:]
		return n, nil
	}
	first, err := num()
	if err != nil {
		return ls, err
	}
	ls.Pad = -1
	switch ls.Kind {
	case "conv", "dense":
		ls.N = first
	default:
		ls.K = first
	}
	for rest != "" {
		c := rest[0]
		rest = rest[1:]
		v, err := num()
		if err != nil {
			return ls, err
		}
		switch {
		case c == 'k' && ls.Kind == "conv":
			ls.K = v
		case c == 's' && ls.Kind != "dense":
			ls.Stride = v
		case c == 'p' && ls.Kind == "conv":
			ls.Pad = v
		default:
			return ls, fmt.Errorf("unexpected %q", c)
		}
	}
	switch ls.Kind {
	case "conv":
		if ls.K == 0 {
			return ls, fmt.Errorf("convolution needs a kernel size kK")
		}
		if ls.Stride == 0 {
			ls.Stride = 1
		}
		if ls.Pad < 0 {
			ls.Pad = ls.K / 2
		}
	case "maxpool", "avgpool":
		if ls.Stride == 0 {
			ls.Stride = ls.K
		}
		ls.Pad = 0
	case "dense":
		ls.Pad = 0
	}
	if ls.N < 0 || ls.N > 1<<16 || ls.K < 0 || ls.K > 64 || ls.Stride > 64 || ls.Pad > 64 {
		return ls, fmt.Errorf("size out of range")
	}
	if (ls.Kind == "conv" || ls.Kind == "dense") && ls.N < 1 {
		return ls, fmt.Errorf("needs at least one output")
	}
	if ls.Kind != "dense" && ls.K < 1 {
		return ls, fmt.Errorf("needs a window of at least 1")
	}
	return ls, nil
}

func (ls LayerSpec) String() string {
	switch ls.Kind {
	case "conv":
		return fmt.Sprintf("c%dk%ds%dp%d", ls.N, ls.K, ls.Stride, ls.Pad)
	case "maxpool":
		return fmt.Sprintf("mp%ds%d", ls.K, ls.Stride)
	case "avgpool":
		return fmt.Sprintf("ap%ds%d", ls.K, ls.Stride)
	}
	return fmt.Sprintf("d%d", ls.N)
}
