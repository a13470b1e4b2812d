package dataset

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// ImageOf renders sample i as an image: grey for one channel, RGB for three (CHW), a
// steps×values picture for sequences; a sequence of single values whose length is a square
// (pmnist: 784) is shown as that square, in step order.
func (s *Set) ImageOf(i int) image.Image {
	x := s.Sample(i)
	c, h, w := 1, 1, s.Dim
	switch len(s.Shape) {
	case 3:
		c, h, w = s.Shape[0], s.Shape[1], s.Shape[2]
	case 2:
		h, w = s.Shape[0], s.Shape[1]
	}
	if w == 1 {
		if r := int(math.Round(math.Sqrt(float64(h)))); r*r == h {
			h, w = r, r
		}
	}
	if c == 3 {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		p := h * w
		for k := range p {
			img.Pix[4*k] = toByte(x[k])
			img.Pix[4*k+1] = toByte(x[p+k])
			img.Pix[4*k+2] = toByte(x[2*p+k])
			img.Pix[4*k+3] = 0xff
		}
		return img
	}
	img := image.NewGray(image.Rect(0, 0, w, h*c))
	for k, v := range x {
		img.Pix[k] = toByte(v)
	}
	return img
}

func toByte(v float32) uint8 {
	switch {
	case v >= 1:
		return 255
	case v > 0:
		return uint8(v*255 + 0.5)
	}
	return 0
}

// Grid draws images in a grid of cols columns with a one-pixel border, each pixel scaled by
// scale. Every image must have the bounds of the first.
func Grid(imgs []image.Image, cols, scale int) *image.RGBA {
	if len(imgs) == 0 || cols < 1 || scale < 1 {
		panic(fmt.Sprintf("dataset: grid of %d images, %d columns, scale %d", len(imgs), cols, scale))
	}
	b := imgs[0].Bounds()
	cw, ch := b.Dx()*scale+1, b.Dy()*scale+1
	rows := (len(imgs) + cols - 1) / cols
	out := image.NewRGBA(image.Rect(0, 0, cols*cw+1, rows*ch+1))
	border := color.RGBA{0x40, 0x40, 0x40, 0xff}
	for k := 0; k < len(out.Pix); k += 4 {
		out.Pix[k], out.Pix[k+1], out.Pix[k+2], out.Pix[k+3] = border.R, border.G, border.B, border.A
	}
	for n, img := range imgs {
		if img.Bounds().Size() != b.Size() {
			panic(fmt.Sprintf("dataset: grid image %d is %v, want %v", n, img.Bounds().Size(), b.Size()))
		}
		ib := img.Bounds()
		x0, y0 := (n%cols)*cw+1, (n/cols)*ch+1
		for y := range b.Dy() * scale {
			for x := range b.Dx() * scale {
				out.Set(x0+x, y0+y, img.At(ib.Min.X+x/scale, ib.Min.Y+y/scale))
			}
		}
	}
	return out
}

// FirstOfEachClass returns the indices of the first per samples of each class, class by
// class (fewer where a class has fewer samples).
func (s *Set) FirstOfEachClass(per int) []int {
	byClass := make([][]int, s.Classes)
	for i, y := range s.Y {
		if int(y) < s.Classes && len(byClass[y]) < per {
			byClass[y] = append(byClass[y], i)
		}
	}
	var out []int
	for _, c := range byClass {
		out = append(out, c...)
	}
	return out
}
