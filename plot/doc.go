// Package plot draws pictures of spike traces with gonum/plot: [Raster]
// writes a spike raster (neuron id against time, one dot per spike, coloured
// by population) above the population firing-rate histogram, as PNG, SVG or
// PDF. Fonts are gonum/plot's embedded Liberation fonts, so no system fonts
// are needed. Very large traces are thinned deterministically for the raster
// only (see [RasterOptions].MaxPoints); the rate histogram counts every spike.
//
//	err := plot.Raster(tr, "raster.png", plot.RasterOptions{Title: "CUBA, seed 1"})
package plot
