package main

// Input downsampling for small cores: a dataset name "NAME@poolF" (for example
// mnist@pool2) is NAME with every image average-pooled over F×F blocks (28×28 MNIST
// becomes 14×14 = 196 pixels, which fits the 256 axons of a board core). The name is
// recorded in the model file (Info.Data), so eval and deploy pool the same way.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/snnsim/snnsim/dataset"
)

// splitPool splits "NAME@poolF" into NAME and F (1 when there is no suffix).
func splitPool(name string) (string, int, error) {
	base, suf, ok := strings.Cut(name, "@")
	if !ok {
		return name, 1, nil
	}
	f, err := strconv.Atoi(strings.TrimPrefix(suf, "pool"))
	if !strings.HasPrefix(suf, "pool") || err != nil || f < 1 || f > 16 {
		return "", 0, fmt.Errorf("data %q: want NAME@poolF with F in 1..16 (e.g. mnist@pool2)", name)
	}
	return base, f, nil
}

// poolSet returns s with every image (shape [C,H,W]) average-pooled over f×f blocks
// (trailing rows and columns that do not fill a block are dropped).
func poolSet(s *dataset.Set, f int) (*dataset.Set, error) {
	if f == 1 {
		return s, nil
	}
	if len(s.Shape) != 3 || s.Encoder != "" {
		return nil, fmt.Errorf("data %s: @pool needs images of shape [C,H,W], have %v", s.Name, s.Shape)
	}
	c, h, w := s.Shape[0], s.Shape[1], s.Shape[2]
	ho, wo := h/f, w/f
	if ho < 1 || wo < 1 {
		return nil, fmt.Errorf("data %s: %dx%d images cannot be pooled by %d", s.Name, h, w, f)
	}
	t := *s
	t.Shape = []int{c, ho, wo}
	t.Dim = c * ho * wo
	t.X = make([]float32, s.N*t.Dim)
	inv := 1 / float32(f*f)
	for n := range s.N {
		src := s.X[n*s.Dim : (n+1)*s.Dim]
		dst := t.X[n*t.Dim : (n+1)*t.Dim]
		for ch := range c {
			for y := range ho {
				for x := range wo {
					var sum float32
					for dy := range f {
						for dx := range f {
							sum += src[ch*h*w+(y*f+dy)*w+x*f+dx]
						}
					}
					dst[ch*ho*wo+y*wo+x] = sum * inv
				}
			}
		}
	}
	return &t, nil
}
