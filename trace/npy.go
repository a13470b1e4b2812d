package trace

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"
)

// Reading one .npy entry of an .npz archive.
//
// The header is checked here before npyio parses it: npyio's header parser
// trusts its input (it slices at offsets found by searching the text, and
// allocates the header length it reads), so only the canonical header numpy
// writes is passed on. Element data is then read by npyio in bounded chunks,
// so memory grows with the data actually present, never with the element
// count a header claims.

const (
	maxHeaderLen = 1 << 16 // numpy itself refuses headers over 10000 bytes
	maxElems     = 1 << 40 // any larger shape is rejected before reading
	readChunk    = 1 << 14 // elements decoded per npyio call
	maxMetaBytes = 1 << 20 // the "meta" JSON array
)

// headerRE matches the header dict numpy (and npyio) write:
// {'descr': '<i8', 'fortran_order': False, 'shape': (3,), } padded with
// spaces and ended by a newline.
var headerRE = regexp.MustCompile(`^\{'descr': '([^']*)', 'fortran_order': (True|False), 'shape': \(([0-9, ]*)\), \}[ \x00]*\n$`)

// npyEntry is an open array in the archive, header read, data not yet.
type npyEntry struct {
	name  string // array name (without .npy)
	descr string // numpy dtype string, e.g. "<i8"
	kind  byte   // 'i', 'u' or 'f'
	size  int    // bytes per element
	shape []int
	n     int // number of elements
	rc    io.ReadCloser
	br    *bufio.Reader
	rp    *npy.Reader
}

func (e *npyEntry) Close() error { return e.rc.Close() }

// errorf returns a *FormatError for this array.
func (e *npyEntry) errorf(format string, args ...any) error {
	return formatErr(e.name, format, args...)
}

// openEntry opens the archive member file (array name) and checks its header.
func openEntry(zr *npz.Reader, name, file string) (_ *npyEntry, err error) {
	rc, err := zr.Open(file)
	if err != nil {
		return nil, formatErr(name, "%w", unwrapAll(err))
	}
	e := &npyEntry{name: name, rc: rc, br: bufio.NewReaderSize(rc, 32<<10)}
	defer func() {
		if err != nil {
			_ = rc.Close()
		}
	}()

	pre := make([]byte, 8, 12)
	if _, err := io.ReadFull(e.br, pre); err != nil {
		return nil, e.errorf("reading npy header: %w", err)
	}
	if !bytes.Equal(pre[:6], npy.Magic[:]) {
		return nil, e.errorf("not an npy array (bad magic %q)", pre[:6])
	}
	var hlen int
	switch major := pre[6]; major {
	case 1:
		pre = pre[:10]
		if _, err := io.ReadFull(e.br, pre[8:]); err != nil {
			return nil, e.errorf("reading npy header: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(pre[8:]))
	case 2:
		pre = pre[:12]
		if _, err := io.ReadFull(e.br, pre[8:]); err != nil {
			return nil, e.errorf("reading npy header: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(pre[8:]))
	default:
		return nil, e.errorf("npy format version %d.%d not supported (want 1.0 or 2.0)", major, pre[7])
	}
	if hlen > maxHeaderLen {
		return nil, e.errorf("npy header of %d bytes is too long (limit %d)", hlen, maxHeaderLen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(e.br, hdr); err != nil {
		return nil, e.errorf("reading npy header: %w", err)
	}
	m := headerRE.FindSubmatch(hdr)
	if m == nil {
		return nil, e.errorf("malformed npy header %s", quoteShort(hdr))
	}
	e.descr = string(m[1])
	if string(m[2]) == "True" {
		return nil, e.errorf("Fortran-order arrays are not supported (write C order)")
	}
	if err := e.parseDescr(); err != nil {
		return nil, err
	}
	if e.shape, e.n, err = parseShape(string(m[3])); err != nil {
		return nil, e.errorf("shape (%s): %w", m[3], err)
	}

	// The header is canonical: let npyio parse it and read the data.
	rp, err := npy.NewReader(io.MultiReader(bytes.NewReader(slices.Concat(pre, hdr)), e.br))
	if err != nil {
		return nil, e.errorf("%w", err)
	}
	if rp.Header.Descr.Type != "'"+e.descr+"'" || !slices.Equal(rp.Header.Descr.Shape, e.shape) {
		return nil, e.errorf("npy header %s not understood", quoteShort(hdr))
	}
	e.rp = rp
	return e, nil
}

// parseDescr checks the dtype: little-endian (or byte-order free) integers
// and float32/float64.
func (e *npyEntry) parseDescr() error {
	d := e.descr
	if d != "" && strings.ContainsRune("<>|=", rune(d[0])) {
		if d[0] == '>' {
			return e.errorf("big-endian dtype %q not supported (convert to little-endian, e.g. with .astype('<%s'))", d, d[1:])
		}
		d = d[1:]
	}
	if len(d) < 2 {
		return e.errorf("dtype %q not supported", e.descr)
	}
	size, err := strconv.Atoi(d[1:])
	ok := err == nil
	switch d[0] {
	case 'i', 'u':
		ok = ok && (size == 1 || size == 2 || size == 4 || size == 8)
	case 'f':
		ok = ok && (size == 4 || size == 8)
	default:
		ok = false
	}
	if !ok {
		return e.errorf("dtype %q not supported (want an integer or float32/float64 array)", e.descr)
	}
	e.kind, e.size = d[0], size
	return nil
}

// parseShape parses the inside of a shape tuple: "", "3,", "2, 3".
func parseShape(s string) ([]int, int, error) {
	shape := []int{}
	n := 1
	for i, tok := range strings.Split(s, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			if i == 0 && strings.TrimSpace(s) != "" {
				return nil, 0, errors.New("empty dimension")
			}
			continue
		}
		d, err := strconv.Atoi(tok)
		if err != nil || d < 0 || d > maxElems {
			return nil, 0, fmt.Errorf("bad dimension %q", tok)
		}
		shape = append(shape, d)
		if d != 0 && n > maxElems/d {
			return nil, 0, fmt.Errorf("more than %d elements", int64(maxElems))
		}
		n *= d
	}
	return shape, n, nil
}

// want1D checks that the array is one-dimensional; scalarOK also accepts a
// 0-d array (numpy's np.float64(x) or np.array(x)).
func (e *npyEntry) want1D(scalarOK bool) error {
	if len(e.shape) == 1 || (scalarOK && len(e.shape) == 0) {
		return nil
	}
	return e.errorf("shape %v: want a 1-d array", e.shape)
}

type npyNum interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// readAs reads the elements (stored as T) and calls visit on each, in order.
func readAs[T npyNum](e *npyEntry, visit func(i int, v T) error) error {
	buf := make([]T, min(e.n, readChunk))
	for done := 0; done < e.n; {
		b := buf[:min(readChunk, e.n-done)]
		if err := e.rp.Read(&b); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return e.errorf("data truncated: header says %d elements of %d bytes", e.n, e.size)
			}
			return e.errorf("reading data: %w", err)
		}
		for j, v := range b {
			if err := visit(done+j, v); err != nil {
				return err
			}
		}
		done += len(b)
	}
	// The data must end here. Reading to the end also makes the zip reader
	// verify the member's checksum.
	var one [1]byte
	k, err := io.ReadFull(e.br, one[:])
	switch {
	case k > 0:
		return e.errorf("trailing bytes after %d elements of %d bytes", e.n, e.size)
	case !errors.Is(err, io.EOF):
		return e.errorf("reading data: %w", err)
	}
	return nil
}

// widen reads integers stored as T and passes them on as int64.
func widen[T ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64](e *npyEntry, visit func(i int, v int64) error) error {
	return readAs(e, func(i int, v T) error {
		x := int64(v)
		if x < 0 && v > 0 {
			return e.errorf("element %d = %d overflows int64", i, uint64(v))
		}
		return visit(i, x)
	})
}

// ints reads an integer array.
func (e *npyEntry) ints(visit func(i int, v int64) error) error {
	switch {
	case e.kind == 'i' && e.size == 1:
		return widen[int8](e, visit)
	case e.kind == 'i' && e.size == 2:
		return widen[int16](e, visit)
	case e.kind == 'i' && e.size == 4:
		return widen[int32](e, visit)
	case e.kind == 'i' && e.size == 8:
		return widen[int64](e, visit)
	case e.kind == 'u' && e.size == 1:
		return widen[uint8](e, visit)
	case e.kind == 'u' && e.size == 2:
		return widen[uint16](e, visit)
	case e.kind == 'u' && e.size == 4:
		return widen[uint32](e, visit)
	case e.kind == 'u' && e.size == 8:
		return widen[uint64](e, visit)
	}
	return e.errorf("dtype %q: want an integer array", e.descr)
}

// floats reads a float32 or float64 array.
func (e *npyEntry) floats(visit func(i int, v float64) error) error {
	switch {
	case e.kind == 'f' && e.size == 4:
		return readAs(e, func(i int, v float32) error { return visit(i, float64(v)) })
	case e.kind == 'f' && e.size == 8:
		return readAs(e, visit)
	}
	return e.errorf("dtype %q: want a float32 or float64 array", e.descr)
}

// scalarFloat reads a float array with exactly one element.
func (e *npyEntry) scalarFloat() (float64, error) {
	if e.n != 1 || len(e.shape) > 1 {
		return 0, e.errorf("shape %v: want a single value", e.shape)
	}
	var x float64
	err := e.floats(func(_ int, v float64) error { x = v; return nil })
	return x, err
}

// scalarUint reads a non-negative integer array with exactly one element.
func (e *npyEntry) scalarUint() (uint64, error) {
	if e.n != 1 || len(e.shape) > 1 {
		return 0, e.errorf("shape %v: want a single value", e.shape)
	}
	var x uint64
	if e.kind == 'u' && e.size == 8 {
		err := readAs(e, func(_ int, v uint64) error { x = v; return nil })
		return x, err
	}
	err := e.ints(func(_ int, v int64) error {
		if v < 0 {
			return e.errorf("negative value %d", v)
		}
		x = uint64(v)
		return nil
	})
	return x, err
}

// bytes reads a uint8/int8 array of at most limit elements.
func (e *npyEntry) bytes(limit int) ([]byte, error) {
	if e.size != 1 || e.kind == 'f' {
		return nil, e.errorf("dtype %q: want uint8 bytes", e.descr)
	}
	if e.n > limit {
		return nil, e.errorf("%d bytes is too long (limit %d)", e.n, limit)
	}
	out := make([]byte, e.n)
	if e.kind == 'i' {
		err := readAs(e, func(i int, v int8) error { out[i] = byte(v); return nil })
		return out, err
	}
	err := readAs(e, func(i int, v uint8) error { out[i] = v; return nil })
	return out, err
}

// quoteShort quotes b, cut to a readable length.
func quoteShort(b []byte) string {
	b = bytes.TrimRight(b, " \x00\n")
	if len(b) > 80 {
		return strconv.Quote(string(b[:80])) + "..."
	}
	return strconv.Quote(string(b))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Writing. npyio's writer records an empty slice as a 0-d array without data
// (which numpy cannot load) and does not align its headers, so arrays are
// encoded here: npy format 1.0, header padded to a multiple of 64 bytes as
// numpy does, data little-endian in C order.

// vecShape returns the shape tuple of a 1-d array of n elements.
func vecShape(n int) string { return "(" + strconv.Itoa(n) + ",)" }

// npyHeader returns the npy preamble and header for an array of dtype descr
// and shape (a Python tuple literal).
func npyHeader(descr, shape string) []byte {
	dict := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	const pre = 10 // magic, version, uint16 header length
	hlen := (pre+len(dict)+1+63)/64*64 - pre
	b := make([]byte, 0, pre+hlen)
	b = append(b, npy.Magic[:]...)
	b = append(b, 1, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	b = append(b, dict...)
	for len(b) < pre+hlen-1 {
		b = append(b, ' ')
	}
	return append(b, '\n')
}

// appendLE appends the little-endian encoding of v ([]int32, []int64,
// []uint64 or []float64) to b.
func appendLE[T int32 | int64 | uint64 | float64](b []byte, v []T) []byte {
	b = slices.Grow(b, len(v)*binary.Size(T(0)))
	switch v := any(v).(type) {
	case []int32:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		}
	case []int64:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, uint64(x))
		}
	case []uint64:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, x)
		}
	case []float64:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	return b
}
