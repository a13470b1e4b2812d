package dataset

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small reader for NumPy .npy arrays inside .npz (zip) archives, limited to what graph
// files use: 1-D little-endian integers, floats, booleans and fixed-width unicode strings,
// C order. It is written here rather than taken from codeberg.org/sbinet/npyio because that
// package's header parser panics on malformed headers (for example one without a newline),
// and every decoder of outside bytes here must fail with an error instead.

const (
	npyMaxHeader = 1 << 16
	npzMaxFile   = 1 << 30 // one array
	npzMaxTotal  = 2 << 30 // all arrays
	npzMaxFiles  = 1 << 10
)

// npyArray is one decoded .npy array: raw little-endian data and its description.
type npyArray struct {
	kind  byte // 'f' float, 'i' signed, 'u' unsigned, 'b' bool, 'U' unicode
	size  int  // bytes per element (per character for 'U' is 4: size is 4*width)
	shape []int
	data  []byte
}

func (a *npyArray) len() int { return prod(a.shape) }

// readNPZ decodes every .npy member of an .npz archive, keyed by name without ".npy".
func readNPZ(b []byte) (map[string]*npyArray, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, formatErr("npz", "zip: %v", err)
	}
	if len(zr.File) > npzMaxFiles {
		return nil, formatErr("npz", "%d members, more than %d", len(zr.File), npzMaxFiles)
	}
	out := map[string]*npyArray{}
	var total uint64
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".npy") {
			continue
		}
		name := strings.TrimSuffix(f.Name, ".npy")
		if _, dup := out[name]; dup {
			return nil, formatErr("npz", "member %s appears twice", f.Name)
		}
		if f.UncompressedSize64 > npzMaxFile {
			return nil, formatErr("npz", "%s: %d bytes, more than %d", f.Name, f.UncompressedSize64, npzMaxFile)
		}
		if f.CompressedSize64 > uint64(len(b)) || f.UncompressedSize64 > f.CompressedSize64*gzipMaxRatio+1024 {
			return nil, formatErr("npz", "%s: sizes in the zip header are impossible (%d bytes from %d)",
				f.Name, f.UncompressedSize64, f.CompressedSize64)
		}
		if total += f.UncompressedSize64; total > npzMaxTotal {
			return nil, formatErr("npz", "more than %d bytes in all", npzMaxTotal)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, formatErr("npz", "%s: %v", f.Name, err)
		}
		// The zip reader fails if the member does not hold exactly UncompressedSize64 bytes.
		data := make([]byte, f.UncompressedSize64)
		_, err = io.ReadFull(rc, data)
		if err == nil {
			err = expectEOFPlain(rc)
		}
		rc.Close()
		if err != nil {
			return nil, formatErr("npz", "%s: %v", f.Name, err)
		}
		a, err := parseNPY(data)
		if err != nil {
			return nil, formatErr("npz", "%s: %v", f.Name, err)
		}
		out[name] = a
	}
	return out, nil
}

func expectEOFPlain(r io.Reader) error {
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		return errString("more bytes than the zip header says")
	}
	if err != io.EOF {
		return err
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

// parseNPY decodes a .npy file of format version 1, 2 or 3.
func parseNPY(b []byte) (*npyArray, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, errString("not a .npy array (bad magic)")
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, errString("truncated header")
		}
		h := binary.LittleEndian.Uint32(b[8:12])
		if h > npyMaxHeader {
			return nil, errString("header of " + strconv.FormatUint(uint64(h), 10) + " bytes is too long")
		}
		hlen, off = int(h), 12
	default:
		return nil, errString("unsupported .npy version " + strconv.Itoa(int(b[6])))
	}
	if off+hlen > len(b) {
		return nil, errString("truncated header")
	}
	hdr := string(b[off : off+hlen])
	if !utf8.ValidString(hdr) {
		return nil, errString("header is not text")
	}
	descr, ok := npyField(hdr, "descr")
	if !ok {
		return nil, errString("header has no 'descr'")
	}
	order, ok := npyField(hdr, "fortran_order")
	if !ok {
		return nil, errString("header has no 'fortran_order'")
	}
	shapeLit, ok := npyField(hdr, "shape")
	if !ok {
		return nil, errString("header has no 'shape'")
	}
	a := &npyArray{data: b[off+hlen:]}
	if err := a.setDescr(descr); err != nil {
		return nil, err
	}
	if a.shape, ok = parseShape(shapeLit); !ok {
		return nil, errString("bad shape " + shapeLit)
	}
	if order != "False" && !(order == "True" && len(a.shape) <= 1) {
		return nil, errString("fortran_order " + order + " is not supported")
	}
	n := a.len()
	if n < 0 || (a.size > 0 && n > len(a.data)/a.size) || n*a.size != len(a.data) {
		return nil, errString("shape " + shapeLit + " of " + descr + " does not match the " +
			strconv.Itoa(len(a.data)) + " data bytes")
	}
	return a, nil
}

// npyField returns the literal value of key in the header dictionary: a quoted string without
// its quotes, a parenthesised tuple with its parentheses, or a bare word.
func npyField(hdr, key string) (string, bool) {
	i := strings.Index(hdr, "'"+key+"'")
	if i < 0 {
		return "", false
	}
	rest := strings.TrimLeft(hdr[i+len(key)+2:], " ")
	if !strings.HasPrefix(rest, ":") {
		return "", false
	}
	rest = strings.TrimLeft(rest[1:], " ")
	switch {
	case strings.HasPrefix(rest, "'"):
		j := strings.IndexByte(rest[1:], '\'')
		if j < 0 {
			return "", false
		}
		return rest[1 : 1+j], true
	case strings.HasPrefix(rest, "("):
		j := strings.IndexByte(rest, ')')
		if j < 0 {
			return "", false
		}
		return rest[:j+1], true
	default:
		j := strings.IndexAny(rest, ",}")
		if j < 0 {
			return "", false
		}
		return strings.TrimSpace(rest[:j]), true
	}
}

func parseShape(lit string) ([]int, bool) {
	if len(lit) < 2 || lit[0] != '(' || lit[len(lit)-1] != ')' {
		return nil, false
	}
	shape := []int{}
	n := 1
	for tok := range strings.SplitSeq(lit[1:len(lit)-1], ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		d, err := strconv.Atoi(tok)
		if err != nil || d < 0 || d > math.MaxInt32 || len(shape) >= 8 {
			return nil, false
		}
		if d > 0 && n > math.MaxInt32/d {
			return nil, false
		}
		n *= d
		shape = append(shape, d)
	}
	return shape, true
}

func (a *npyArray) setDescr(d string) error {
	bad := errString("unsupported dtype " + strconv.Quote(d))
	if len(d) < 3 {
		return bad
	}
	endian, kind := d[0], d[1]
	size, err := strconv.Atoi(d[2:])
	if err != nil || size <= 0 || size > 1<<16 {
		return bad
	}
	switch kind {
	case 'f':
		if size != 4 && size != 8 {
			return bad
		}
	case 'i', 'u':
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return bad
		}
	case 'b':
		if size != 1 {
			return bad
		}
	case 'U':
		size *= 4
	default:
		return bad
	}
	switch {
	case endian == '>' && size > 1:
		return errString("big-endian dtype " + strconv.Quote(d) + " is not supported")
	case endian != '<' && endian != '|' && endian != '=' && endian != '>':
		return bad
	}
	a.kind, a.size = kind, size
	return nil
}

// ints returns the array's values as int64 (integers and booleans only).
func (a *npyArray) ints() ([]int64, bool) {
	n := a.len()
	out := make([]int64, n)
	le := binary.LittleEndian
	for i := range out {
		p := a.data[i*a.size:]
		switch {
		case a.kind == 'b' || a.kind == 'u' && a.size == 1:
			out[i] = int64(p[0])
		case a.kind == 'i' && a.size == 1:
			out[i] = int64(int8(p[0]))
		case a.kind == 'i' && a.size == 2:
			out[i] = int64(int16(le.Uint16(p)))
		case a.kind == 'u' && a.size == 2:
			out[i] = int64(le.Uint16(p))
		case a.kind == 'i' && a.size == 4:
			out[i] = int64(int32(le.Uint32(p)))
		case a.kind == 'u' && a.size == 4:
			out[i] = int64(le.Uint32(p))
		case a.kind == 'i' && a.size == 8:
			out[i] = int64(le.Uint64(p))
		case a.kind == 'u' && a.size == 8:
			v := le.Uint64(p)
			if v > math.MaxInt64 {
				return nil, false
			}
			out[i] = int64(v)
		default:
			return nil, false
		}
	}
	return out, true
}

// floats returns the array's values as float32 (floats, integers and booleans).
func (a *npyArray) floats() ([]float32, bool) {
	n := a.len()
	le := binary.LittleEndian
	switch {
	case a.kind == 'f' && a.size == 4:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(a.data[4*i:]))
		}
		return out, true
	case a.kind == 'f' && a.size == 8:
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(a.data[8*i:])))
		}
		return out, true
	}
	v, ok := a.ints()
	if !ok {
		return nil, false
	}
	out := make([]float32, n)
	for i, x := range v {
		out[i] = float32(x)
	}
	return out, true
}

// strings returns the array's values as strings (fixed-width UTF-32 'U' only).
func (a *npyArray) strings() ([]string, bool) {
	if a.kind != 'U' {
		return nil, false
	}
	n := a.len()
	out := make([]string, n)
	var sb strings.Builder
	for i := range out {
		sb.Reset()
		p := a.data[i*a.size : (i+1)*a.size]
		for j := 0; j+4 <= len(p); j += 4 {
			r := rune(binary.LittleEndian.Uint32(p[j:]))
			if r == 0 {
				break
			}
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		}
		out[i] = sb.String()
	}
	return out, true
}
