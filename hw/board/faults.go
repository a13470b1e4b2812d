package board

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Faults configures fault injection. Byte faults hit both directions of every SPI
// transaction independently (request bytes before the board reads them, answer bytes
// before the host gets them); bit flips also hit I2C bytes.
type Faults struct {
	Seed      uint64        // fault stream seed
	FlipRate  float64       // per byte: one random bit flipped
	DropRate  float64       // per byte: the byte is lost; later bytes move up, the end is padded
	DupRate   float64       // per byte: the byte arrives twice; later bytes move down, the end is cut
	StallRate float64       // per transaction: the board stops answering for StallTime
	StallTime time.Duration // length of a stall (default 2 ms)
	BusyRate  float64       // per SPI transaction: the board answers BUSY without executing
	ResetRate float64       // per transaction: spontaneous reset (power-on state) first
	NackRate  float64       // per I2C transaction: NACK
}

func (f *Faults) byteFaults() bool { return f.FlipRate > 0 || f.DropRate > 0 || f.DupRate > 0 }

// mangle copies src into dst (reused; returned with len(src)) applying byte faults:
// clean runs between faults have geometric lengths, so the cost is per fault, not per
// byte. The length is kept: dropped bytes are replaced by fill at the end, duplicated
// ones push the last bytes out.
func mangle(rng *rand.Rand, f *Faults, dst, src []byte, fill byte) []byte {
	total := f.FlipRate + f.DropRate + f.DupRate
	dst = dst[:0]
	logq := math.Log1p(-min(total, 0.999999))
	for i := 0; i < len(src); {
		gap := math.Floor(math.Log(1-rng.Float64()) / logq)
		end := len(src)
		if gap < float64(len(src)-i) {
			end = i + int(gap)
		}
		dst = append(dst, src[i:end]...)
		i = end
		if i >= len(src) {
			break
		}
		switch u := rng.Float64() * total; {
		case u < f.FlipRate:
			dst = append(dst, src[i]^1<<rng.IntN(8))
		case u < f.FlipRate+f.DropRate:
		default:
			dst = append(dst, src[i], src[i])
		}
		i++
	}
	for len(dst) < len(src) {
		dst = append(dst, fill)
	}
	return dst[:len(src)]
}

// Clock tells the time and sleeps; the board uses Now for stalls, the driver both for
// backoff and timeouts.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

// RealClock is the system clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep sleeps for d.
func (RealClock) Sleep(d time.Duration) { time.Sleep(d) }

// FakeClock is a simulated clock: Sleep advances it at once. Tests share one between the
// driver and the board so that backoff, stalls and timeouts take no wall time. It is
// safe for concurrent use.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a fake clock at a fixed instant.
func NewFakeClock() *FakeClock {
	return &FakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Now returns the simulated time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep advances the simulated time by d.
func (c *FakeClock) Sleep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
