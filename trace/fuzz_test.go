package trace

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read: it must return an error or a valid
// trace that survives a write/read round trip, and never panic.
func FuzzRead(f *testing.F) {
	files, err := filepath.Glob("testdata/*.npz")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	var buf bytes.Buffer
	if err := randomTrace(1, 6, 30, 0.1).Write(&buf); err != nil {
		f.Fatal(err)
	}
	valid := buf.Bytes()
	f.Add(valid)
	for _, k := range []int{20, 70, 100, len(valid) / 2, len(valid) - 30} {
		b := bytes.Clone(valid)
		b[k] ^= 0x55
		f.Add(b)
	}
	f.Add(makeNPZ(false, brian()...))
	f.Add(makeNPZ(false, with(brian(), "meta.npy", metaMember(`{"num_neurons": 3, "duration_steps": 9}`))...))
	f.Add(makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000000,), }", nil))...))
	f.Add(makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '>i8', 'fortran_order': True, 'shape': (3, 1), }", nil))...))
	f.Add([]byte("PK\x05\x06"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Read(bytes.NewReader(data), int64(len(data)), ReadOptions{DT: 1e-4})
		if err != nil {
			if _, ok := err.(*FormatError); !ok {
				t.Fatalf("error %v is a %T, not a *FormatError", err, err)
			}
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("Read returned an invalid trace: %v", err)
		}
		var buf bytes.Buffer
		if err := tr.Write(&buf); err != nil {
			t.Fatalf("Write: %v", err)
		}
		back, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{})
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if d := Compare(tr, back, 0); !d.Equal() {
			t.Fatalf("round trip: %v", d)
		}
	})
}

// FuzzReadArray fuzzes the npy layer: the bytes are the "i" member (stored,
// so they reach the npy parser unchanged) of an otherwise valid archive.
func FuzzReadArray(f *testing.F) {
	for _, b := range [][]byte{
		arr("<i8", []int64{1, 0, 2}),
		arr("<i4", []int32{1, 0, 2}),
		arr("|u1", []uint8{1, 0, 2}),
		npyHeader("<u8", "(3,)"),
		npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000000,), }", nil),
		npyBytes("{'descr': '<i8', 'fortran_order': True, 'shape': (3, 1), }", make([]byte, 24)),
		append([]byte("\x93NUMPY\x02\x00"), 0, 0, 0, 0x40),
		[]byte("\x93NUMPY\x01\x00\x08\x00{'descr'"),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, member []byte) {
		file := makeNPZ(false, with(brian(), "i.npy", member)...)
		tr, err := Read(bytes.NewReader(file), int64(len(file)), ReadOptions{})
		if err != nil {
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("Read returned an invalid trace: %v", err)
		}
		if tr.Len() != 3 {
			t.Fatalf("read %d spikes, the times array has 3", tr.Len())
		}
	})
}
