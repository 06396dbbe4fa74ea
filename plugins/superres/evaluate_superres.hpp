#pragma once
#include <ganflow/ganflow.hpp>

#include <memory>
#include <string>

namespace ganflow_superres {

// Pixel error of a GAN-trained image-to-image generator and of its pretrained weights, on
// held-out (x, target) items: MSE (images scaled to [0, 1]) and PSNR = 10 log10(1 / MSE).
struct SuperresScores {
  double mse_input, mse_pretrained, mse_gan, mse_gan_vs_pretrained;
  static double psnr(double mse);
};

class EvaluateSuperres : public ganflow::Stage {
 public:
  struct Settings {
    std::string pretrained_weights, grid, report;  // resolved paths; grid "" = none
    int64_t limit = 256, bs = 64, grid_rows = 8;
    uint64_t seed = 0;
  };
  EvaluateSuperres(Settings s, std::shared_ptr<ganflow::Model> model, std::shared_ptr<ganflow::ItemSource> source);
  void run(ganflow::RunContext& ctx) override;
  const SuperresScores& scores() const { return scores_; }

 private:
  torch::Tensor predict(const torch::Tensor& x, const torch::Device& dev);
  Settings s_;
  std::shared_ptr<ganflow::Model> model_;
  std::shared_ptr<ganflow::ItemSource> source_;
  SuperresScores scores_{};
};

ganflow::NodeSpec evaluate_superres_spec();

}  // namespace ganflow_superres
