// Plots (docs/plots.md): the spike raster and the weights over time that
// `spikelink run` writes, as PNG, drawn by gnuplot. gnuplot runs as a child
// process and reads the CSV files itself, so millions of spikes never pass
// through this process. gnuplot is optional: without it every call returns
// a Result saying what to install instead of throwing.
#pragma once

#include <string>
#include <vector>

namespace spikelink::plots {

// ok: the picture is written (available(): gnuplot runs). message: why not
// (gnuplot missing, gnuplot failed with the last lines it printed, no data);
// on success a note when there is one (an empty raster), available(): the
// version string ("gnuplot 5.4 patchlevel 4").
struct Result {
  bool ok = false;
  std::string message;
};

// A population: neurons first..first+count-1, drawn in its own colour with
// its label on the y axis at the band's centre.
struct Band {
  std::string label;
  unsigned first = 0;
  unsigned count = 0;
};

// A named span of the run (training, test, ...): a shaded background,
// alternating between two tints, with its name above the plot.
struct PhaseMark {
  std::string name;
  double start_ms = 0;
  double end_ms = 0;
};

// The program run: $SPIKELINK_GNUPLOT when set and not empty, else "gnuplot"
// (looked up on PATH).
std::string gnuplot_program();

// Raster: `spikes_csv` as written by spikes::Writer (docs/spike-files.md):
// '#' comments, a header line, then "time_ms,channel" rows, the channel a
// neuron. x is the time in s, y the neuron. With no spikes the raster is
// still drawn (bands, phases, axes) and ok, with a note in `message`.
Result raster(const std::string& spikes_csv, const std::vector<Band>& bands, const std::vector<PhaseMark>& phases,
              const std::string& png, const std::string& title);

// Weights over time: `weights_csv` has a header line "time_ms,<label>,..."
// then one row per sample; one line per column, keyed by its header, the
// y axis labelled `y_label` (mV or levels). No samples: ok=false.
Result weights(const std::string& weights_csv, const std::vector<PhaseMark>& phases, const std::string& png,
               const std::string& title, const std::string& y_label);

// Whether gnuplot can be run: ok with its version string, or why not.
Result available();

// A string as a gnuplot single-quoted string literal: inside one gnuplot
// expands nothing (no macros, backquotes or escapes), and a quote is doubled.
std::string quote(const std::string& s);

}  // namespace spikelink::plots
