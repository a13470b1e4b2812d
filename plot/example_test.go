package plot_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/snnsim/snnsim/plot"
	"github.com/snnsim/snnsim/trace"
)

func ExampleRaster() {
	dir, err := os.MkdirTemp("", "plot-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Ten neurons firing in a wave, 0.1 ms steps, 50 ms.
	tr := &trace.Trace{Meta: trace.Meta{DT: 1e-4, NumNeurons: 10, Duration: 500}}
	for tick := int64(0); tick < 500; tick += 10 {
		tr.Append(int32(tick/10%10), tick)
	}
	path := filepath.Join(dir, "raster.png")
	if err := plot.Raster(tr, path, plot.RasterOptions{Title: "wave"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", filepath.Base(path))
	// Output: wrote raster.png
}
