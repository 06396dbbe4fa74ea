#pragma once
// The loss plot of a GAN run: smoothed generator (red) and critic (blue) losses against
// the step, as a PNG (no plotting library on the machine; a small line rasteriser does).
#include <string>
#include <vector>

namespace ganflow {

struct LossPoint {
  double step, gen, crit;  // NaN where that network had not trained yet
};

void save_loss_plot(const std::vector<LossPoint>& points, const std::string& path);

}  // namespace ganflow
