package snn

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a problem with a network description, located by the path of the offending
// field (and by its line, when the network came from a file). Its message is one line:
//
//	snn: cuba.yaml:12: populations[1] (inh).params.tau_m: must be > 0, got -5ms
type Error struct {
	File string // file name when the network was read by Load; else empty
	Line int    // 1-based line in the file, 0 when unknown
	Path string // path of the offending field, e.g. "projections[0].to"; empty for the whole file
	Msg  string // what is wrong
	Err  error  // underlying cause (e.g. a YAML syntax error), or nil

	key string // Path without population/projection names, to find the field's line
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("snn: ")
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// oneLine folds a message onto a single line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// fieldPath names a field of the description both for people (disp, with population and
// projection names) and for finding it in the YAML tree (key, indices only).
type fieldPath struct{ key, disp string }

func (p fieldPath) dot(f string) fieldPath {
	if p.key == "" {
		return fieldPath{f, f}
	}
	return fieldPath{p.key + "." + f, p.disp + "." + f}
}

func (p fieldPath) at(i int) fieldPath {
	s := "[" + strconv.Itoa(i) + "]"
	return fieldPath{p.key + s, p.disp + s}
}

// named adds a name to the displayed path only: "populations[1] (inh)".
func (p fieldPath) named(name string) fieldPath {
	if name == "" {
		return p
	}
	if !validName(name) {
		name = strconv.Quote(name)
	}
	return fieldPath{p.key, p.disp + " (" + name + ")"}
}

func (p fieldPath) errorf(format string, args ...any) *Error {
	return &Error{Path: p.disp, key: p.key, Msg: fmt.Sprintf(format, args...)}
}

// splitKey splits "populations[1].params.tau_m" into "populations", "[1]", "params", "tau_m".
func splitKey(key string) []string {
	var segs []string
	for _, part := range strings.Split(key, ".") {
		for {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				segs = append(segs, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				break
			}
			segs = append(segs, part[i:i+j+1])
			part = part[i+j+1:]
		}
		if part != "" {
			segs = append(segs, part)
		}
	}
	return segs
}
