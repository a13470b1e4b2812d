package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFormat is wrapped by every error about malformed bytes in a data file (idx, CIFAR binary,
// JPEG archive, NPZ): test it with errors.Is.
var ErrFormat = errors.New("malformed data")

func formatErr(what string, format string, args ...any) error {
	return fmt.Errorf("dataset: %s: %w: %s", what, ErrFormat, fmt.Sprintf(format, args...))
}

// IDX is a decoded idx file (the container of MNIST and Fashion-MNIST) of unsigned bytes.
type IDX struct {
	Dims []int  // e.g. [60000 28 28] for images, [60000] for labels
	Data []byte // prod(Dims) values, row-major
}

const (
	idxMaxDims = 4
	// gzipMaxRatio bounds how many bytes a deflate stream can expand to per input byte
	// (the format's limit is 1032:1); it guards against headers that claim absurd sizes.
	gzipMaxRatio = 1032
	// idxMaxElems bounds any idx payload (MNIST train images hold 47M values): at most 1 GB
	// of float32 is allocated before the payload is read.
	idxMaxElems = 1 << 28
)

// DecodeIDX decodes an idx file of unsigned bytes (element type 0x08), gzip-compressed or
// plain: gzip is recognised by its magic number. The whole payload and, for gzip, its checksum
// are verified; trailing bytes are an error. Errors wrap ErrFormat.
func DecodeIDX(b []byte) (*IDX, error) {
	r, dims, n, err := openIDX(b)
	if err != nil {
		return nil, err
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, formatErr("idx", "payload of %d bytes: %v", n, err)
	}
	if err := expectEOF(r); err != nil {
		return nil, err
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// decodeIDXFloat decodes an idx file of unsigned bytes straight into float32 values scaled to
// [0,1], without holding the bytes: this is the MNIST hot path. Large payloads are
// decompressed and converted by two goroutines in a pipeline, so that writing (and
// page-faulting) the float32 slice overlaps with gzip, which dominates.
func decodeIDXFloat(b []byte) (dims []int, x []float32, err error) {
	r, dims, n, err := openIDX(b)
	if err != nil {
		return nil, nil, err
	}
	x = make([]float32, n)
	const block = 256 << 10
	if n <= 4*block {
		var buf [32 << 10]byte
		for off := 0; off < n; {
			m, err := io.ReadFull(r, buf[:min(len(buf), n-off)])
			convertBytes(x[off:off+m], buf[:m])
			off += m
			if err != nil {
				return nil, nil, formatErr("idx", "payload of %d bytes: %v at byte %d", n, err, off)
			}
		}
	} else {
		type chunk struct {
			off int
			buf []byte
		}
		const nbuf = 4
		full, free := make(chan chunk, nbuf), make(chan []byte, nbuf)
		for range nbuf {
			free <- make([]byte, block)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for c := range full {
				convertBytes(x[c.off:c.off+len(c.buf)], c.buf)
				free <- c.buf[:cap(c.buf)]
			}
		}()
		var rerr error
		for off := 0; off < n && rerr == nil; {
			buf := <-free
			var m int
			m, rerr = io.ReadFull(r, buf[:min(len(buf), n-off)])
			full <- chunk{off, buf[:m]}
			off += m
			if rerr != nil {
				rerr = formatErr("idx", "payload of %d bytes: %v at byte %d", n, rerr, off)
			}
		}
		close(full)
		<-done
		if rerr != nil {
			return nil, nil, rerr
		}
	}
	if err := expectEOF(r); err != nil {
		return nil, nil, err
	}
	return dims, x, nil
}

func convertBytes(dst []float32, src []byte) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = byteScale[v]
	}
}

// openIDX checks the header and returns a reader positioned at the payload.
func openIDX(b []byte) (r io.Reader, dims []int, n int, err error) {
	limit := int64(len(b))
	r = bytes.NewReader(b)
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, nil, 0, formatErr("idx", "gzip: %v", err)
		}
		r, limit = zr, int64(len(b))*gzipMaxRatio+64
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, nil, 0, formatErr("idx", "header: %v", err)
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, nil, 0, formatErr("idx", "bad magic % x (want 00 00 08 ndim)", hdr)
	}
	if hdr[2] != 0x08 {
		return nil, nil, 0, formatErr("idx", "element type 0x%02x, only unsigned bytes (0x08) are supported", hdr[2])
	}
	nd := int(hdr[3])
	if nd < 1 || nd > idxMaxDims {
		return nil, nil, 0, formatErr("idx", "%d dimensions, want 1 to %d", nd, idxMaxDims)
	}
	raw := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, nil, 0, formatErr("idx", "dimensions: %v", err)
	}
	dims = make([]int, nd)
	n = 1
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(raw[4*i:]))
		if d == 0 {
			n = 0
		}
		if n != 0 && d > idxMaxElems/int64(n) {
			return nil, nil, 0, formatErr("idx", "dimension %d of %d makes more than %d values", i, d, idxMaxElems)
		}
		dims[i] = int(d)
		n *= int(d)
	}
	if int64(n) > limit {
		return nil, nil, 0, formatErr("idx", "header claims %v = %d values but the file can hold at most %d", dims, n, limit)
	}
	return r, dims, n, nil
}

// expectEOF reads r to its end: gzip verifies its checksum there, and extra bytes are an error.
func expectEOF(r io.Reader) error {
	var one [1]byte
	m, err := io.ReadFull(r, one[:])
	if m > 0 {
		return formatErr("idx", "trailing bytes after the payload")
	}
	if err != io.EOF {
		return formatErr("idx", "%v", err)
	}
	return nil
}
