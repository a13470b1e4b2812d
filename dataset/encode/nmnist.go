package encode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SensorSide is the side of the synthetic event camera, in pixels: 34, like N-MNIST's crop.
const SensorSide = 34

// SensorPixels is the number of pixels of the synthetic sensor (34×34).
const SensorPixels = SensorSide * SensorSide

// SyntheticNMNIST turns a still image into the event stream of a simulated event camera
// (DVS) that watches it while making three saccades, after the recording protocol of N-MNIST
// (Orchard et al. 2015). It is named "synthetic-nmnist" everywhere so that no one mistakes it
// for the recorded dataset: its events come from this model, not from a sensor.
//
// The image (square, at most 34 pixels on a side: 28×28 for MNIST) is centred on a 34×34
// sensor and moved along a closed triangle of offsets (−A, +A) → (+A, +A) → (0, −A) → (−A, +A)
// (A = Amplitude pixels, +y down), one saccade per third of the steps at constant speed;
// it ends where it started. Each sensor pixel sees the bilinearly interpolated intensity I
// and keeps a reference log intensity, adapted to the first frame. At each step a pixel whose
// log(I + Eps) has risen by at least Threshold above its reference emits an ON event, one
// whose log intensity fell by at least Threshold an OFF event, and the reference moves by one
// Threshold towards the present value. A pixel emits at most one event per step (a
// refractory period of one step), so a large change comes out as a burst over several steps.
//
// Input neuron ids: ON events of pixel (x, y) are y·34 + x, OFF events 1156 + y·34 + x; there
// are 2312 inputs. With Noise and Mismatch zero (the default) the encoding is deterministic
// and rng may be nil. With the defaults an MNIST digit gives about 5,000 events (4,200 at
// 30 steps, 5,100 at 100 or 300 steps), the order of N-MNIST's recordings.
type SyntheticNMNIST struct {
	Threshold float64 // log-intensity contrast per event; 0 means 0.3
	Amplitude float64 // saccade amplitude A in pixels (the image stays in view if A ≤ (34−side)/2); 0 means 2.5
	Eps       float64 // offset inside the logarithm (dark current); 0 means 0.1
	Noise     float64 // probability per step of a spurious event at each of the 2312 inputs
	Mismatch  float64 // relative standard deviation of per-pixel, per-polarity thresholds
}

// Name returns "synthetic-nmnist".
func (SyntheticNMNIST) Name() string { return "synthetic-nmnist" }

// Inputs returns 2·34·34 = 2312 whatever the image size.
func (SyntheticNMNIST) Inputs(int) int { return 2 * SensorPixels }

func (e SyntheticNMNIST) defaults() SyntheticNMNIST {
	if e.Threshold == 0 {
		e.Threshold = 0.3
	}
	if e.Amplitude == 0 {
		e.Amplitude = 2.5
	}
	if e.Eps == 0 {
		e.Eps = 0.1
	}
	return e
}

// saccadeVertices are the triangle's corners in units of the amplitude.
var saccadeVertices = [4][2]float64{{-1, 1}, {1, 1}, {0, -1}, {-1, 1}}

// Saccade returns which saccade (0, 1 or 2) step t of steps belongs to.
func Saccade(t, steps int) int {
	for k := 2; k > 0; k-- {
		if t >= k*steps/3 {
			return k
		}
	}
	return 0
}

// Offset returns the image's displacement in pixels (x right, y down) at step t of steps.
// Before step 0 the image is at the first corner, where the sensor has adapted; the last step
// brings it back there.
func (e SyntheticNMNIST) Offset(t, steps int) (dx, dy float64) {
	e = e.defaults()
	k := Saccade(t, steps)
	lo, hi := k*steps/3, (k+1)*steps/3
	s := float64(t-lo+1) / float64(hi-lo)
	a, b := saccadeVertices[k], saccadeVertices[k+1]
	return e.Amplitude * (a[0] + s*(b[0]-a[0])), e.Amplitude * (a[1] + s*(b[1]-a[1]))
}

// Encode writes the events of image x over steps steps into dst. x must be a square image of
// side at most 34 with values in [0,1].
func (e SyntheticNMNIST) Encode(dst *Spikes, x []float32, steps int, rng *rand.Rand) {
	e = e.defaults()
	side := int(math.Round(math.Sqrt(float64(len(x)))))
	if side*side != len(x) || side > SensorSide || side == 0 {
		panic(fmt.Sprintf("encode: synthetic-nmnist needs a square image of side at most %d, have %d values", SensorSide, len(x)))
	}
	margin := float64(SensorSide-side) / 2
	if !(e.Amplitude >= 0) || !(e.Threshold > 0) || !(e.Eps > 0) || !(e.Noise >= 0) || !(e.Mismatch >= 0) {
		panic(fmt.Sprintf("encode: synthetic-nmnist settings out of range: %+v", e))
	}
	if (e.Noise > 0 || e.Mismatch > 0) && rng == nil {
		panic("encode: synthetic-nmnist with noise or mismatch needs a random stream")
	}
	dst.Reset(steps)
	const P = SensorPixels
	// The image with a zero border wide enough for every displacement: no bounds checks.
	pad := int(math.Ceil(margin+e.Amplitude)) + 2
	pw := side + 2*pad
	dst.f32 = slices.Grow(dst.f32[:0], 6*P+pw*pw)[:6*P+pw*pw]
	buf := dst.f32
	ref, lastI, cur, frame := buf[:P], buf[P:2*P], buf[2*P:3*P], buf[3*P:4*P]
	thrOn, thrOff, padded := buf[4*P:5*P], buf[5*P:6*P], buf[6*P:]
	clear(padded)
	for y := range side {
		copy(padded[(y+pad)*pw+pad:], x[y*side:(y+1)*side])
	}
	img := paddedImage{padded, pw, pad, margin}
	for p := range P {
		thrOn[p], thrOff[p] = float32(e.Threshold), float32(e.Threshold)
		if e.Mismatch > 0 {
			thrOn[p] = float32(e.Threshold * max(0.1, 1+e.Mismatch*rng.NormFloat64()))
			thrOff[p] = float32(e.Threshold * max(0.1, 1+e.Mismatch*rng.NormFloat64()))
		}
	}
	eps := float64(e.Eps)
	logOf := func(v float32) float32 { return float32(math.Log(max(float64(v), 0) + eps)) }

	// The sensor has adapted to the image at the first corner.
	a := saccadeVertices[0]
	img.render(lastI, e.Amplitude*a[0], e.Amplitude*a[1])
	for p := range P {
		ref[p] = logOf(lastI[p])
		cur[p] = ref[p]
	}
	noiseNext := math.Inf(1) // next noise event, as an index over (step, input)
	if e.Noise > 0 {
		noiseNext = e.noiseGap(rng)
	}
	for t := range steps {
		dst.beginStep(t)
		dx, dy := e.Offset(t, steps)
		img.render(frame, dx, dy)
		off := dst.id[:0]
		for p := range P {
			if v := frame[p]; v != lastI[p] { // the logarithm only where the light changed
				lastI[p] = v
				cur[p] = logOf(v)
			}
			switch d := cur[p] - ref[p]; {
			case d >= thrOn[p]:
				ref[p] += thrOn[p]
				dst.IDs = append(dst.IDs, int32(p))
			case d <= -thrOff[p]:
				ref[p] -= thrOff[p]
				off = append(off, int32(P+p))
			}
		}
		dst.IDs = append(dst.IDs, off...) // OFF ids are all above ON ids: still ascending
		dst.id = off[:0]
		if lo, hi := float64(t)*2*P, float64(t+1)*2*P; noiseNext < hi {
			for ; noiseNext < hi; noiseNext += 1 + e.noiseGap(rng) {
				dst.IDs = append(dst.IDs, int32(noiseNext-lo))
			}
			step := dst.IDs[dst.Ptr[t]:]
			slices.Sort(step)
			dst.IDs = append(dst.IDs[:dst.Ptr[t]], slices.Compact(step)...)
		}
	}
	dst.endSteps()
}

// noiseGap draws the number of inputs skipped before the next noise event.
func (e SyntheticNMNIST) noiseGap(rng *rand.Rand) float64 {
	if e.Noise >= 1 {
		return 0
	}
	return math.Floor(math.Log(1-rng.Float64()) / math.Log1p(-e.Noise))
}

// paddedImage is a side×side image inside a zero border of pad pixels (width w = side+2·pad),
// centred on the sensor with margin (34 − side)/2 on each side.
type paddedImage struct {
	pix    []float32
	w, pad int
	margin float64
}

// render writes the sensor's view of the image displaced by (dx, dy), bilinearly
// interpolated.
func (m paddedImage) render(dst []float32, dx, dy float64) {
	cx, cy := -m.margin-dx, -m.margin-dy
	fx0, fy0 := math.Floor(cx), math.Floor(cy)
	ox, oy := int(fx0)+m.pad, int(fy0)+m.pad
	fx, fy := float32(cx-fx0), float32(cy-fy0)
	w00, w01, w10, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
	for sy := range SensorSide {
		r0 := m.pix[(sy+oy)*m.w+ox:][: SensorSide+1 : SensorSide+1]
		r1 := m.pix[(sy+oy+1)*m.w+ox:][: SensorSide+1 : SensorSide+1]
		d := dst[sy*SensorSide : (sy+1)*SensorSide : (sy+1)*SensorSide]
		for sx := range d {
			d[sx] = w00*r0[sx] + w01*r0[sx+1] + w10*r1[sx] + w11*r1[sx+1]
		}
	}
}
