// fastai superres step 5 (show_results), measured: the GAN's output vs the pretrained
// generator's on held-out images, and a before/after grid (crappy | pretrained | GAN | original).
#include "evaluate_superres.hpp"

#include <torch/torch.h>

#include <cmath>
#include <iomanip>
#include <sstream>

#include <ganflow/file_write.hpp>
#include <ganflow/image_grid.hpp>
#include <ganflow/state_dict.hpp>

#include "item_tensors.hpp"

namespace ganflow_superres {

namespace {
// Mean squared error of images in [-1, 1], measured on the [0, 1] scale (hence / 4), after
// clamping as a saved PNG would.
double mse01(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.clamp(-1, 1) - b.clamp(-1, 1)).pow(2).mean().item<double>() / 4.0;
}
std::string fixed(double v, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}
}  // namespace

double SuperresScores::psnr(double mse) { return mse > 0 ? 10.0 * std::log10(1.0 / mse) : INFINITY; }

EvaluateSuperres::EvaluateSuperres(Settings s, std::shared_ptr<ganflow::Model> model,
                                   std::shared_ptr<ganflow::ItemSource> source)
    : s_(std::move(s)), model_(std::move(model)), source_(std::move(source)) {
  if (source_->fields().size() < 2)
    throw ganflow::Error("the source needs (x, target) items (e.g. crappify or paired_image_folder); '" +
                         source_->name() + "' has one image per item", "", "");
}

torch::Tensor EvaluateSuperres::predict(const torch::Tensor& x, const torch::Device& dev) {
  std::vector<torch::Tensor> out;
  for (int64_t b = 0; b < x.size(0); b += s_.bs)
    out.push_back(model_->forward(x.slice(0, b, std::min(x.size(0), b + s_.bs)).to(dev)).to(torch::kCPU));
  return torch::cat(out);
}

void EvaluateSuperres::run(ganflow::RunContext& ctx) {
  const std::size_t n = std::min<std::size_t>(std::size_t(s_.limit), source_->size());
  if (n == 0) throw ganflow::Error("the source has no items", name(), "limit");
  auto fields = read_items(*source_, 0, n, s_.seed);
  const torch::Tensor& x = fields.front();
  const torch::Tensor& y = fields.back();

  auto& m = model_->module();
  const bool was_training = m.is_training();
  m.to(ctx.device());
  m.eval();
  torch::NoGradGuard ng;
  torch::Tensor gan = predict(x, ctx.device());
  // The pretrained weights go in for one pass and the GAN's come back after: one module.
  const ganflow::StateDict gan_weights = ganflow::state_dict(m);
  ganflow::load_state_dict(m, ganflow::load_state_dict_file(s_.pretrained_weights, "pretrained_weights"),
                           s_.pretrained_weights, "pretrained_weights");
  torch::Tensor pre = predict(x, ctx.device());
  ganflow::load_state_dict(m, gan_weights, "the GAN's weights");
  m.train(was_training);
  if (gan.sizes() != y.sizes())
    throw ganflow::Error("the model's output " + c10::str(gan.sizes()) + " does not match the targets " +
                         c10::str(y.sizes()), name());

  // The input as a baseline; a smaller input (true super-resolution) is scaled up bilinearly first.
  torch::Tensor x_up = x.sizes() == y.sizes() ? x
      : torch::nn::functional::interpolate(x.narrow(1, 0, std::min(x.size(1), y.size(1))),
            torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{y.size(2), y.size(3)})
                .mode(torch::kBilinear).align_corners(false));
  if (x_up.size(1) != y.size(1)) x_up = x_up.expand({-1, y.size(1), -1, -1});
  scores_ = {mse01(x_up, y), mse01(pre, y), mse01(gan, y), mse01(gan, pre)};
  ganflow::json report = {{"items", n},
                          {"mse_input", scores_.mse_input},           {"psnr_input", SuperresScores::psnr(scores_.mse_input)},
                          {"mse_pretrained", scores_.mse_pretrained}, {"psnr_pretrained", SuperresScores::psnr(scores_.mse_pretrained)},
                          {"mse_gan", scores_.mse_gan},               {"psnr_gan", SuperresScores::psnr(scores_.mse_gan)},
                          {"mse_gan_vs_pretrained", scores_.mse_gan_vs_pretrained},
                          {"psnr_gan_vs_pretrained", SuperresScores::psnr(scores_.mse_gan_vs_pretrained)}};
  ganflow::write_file(s_.report, report.dump(2) + "\n");
  auto line = [&](const char* what, double mse) {
    ctx.log(name() + ": " + what + " MSE " + fixed(mse, 6) + "  PSNR " + fixed(SuperresScores::psnr(mse), 2) + " dB");
  };
  ctx.log(name() + ": " + std::to_string(n) + " held-out images, pixel error vs the originals ([0,1] scale):");
  line("input (crappy)   ", scores_.mse_input);
  line("pretrained gen   ", scores_.mse_pretrained);
  line("GAN gen          ", scores_.mse_gan);
  line("GAN vs pretrained", scores_.mse_gan_vs_pretrained);

  if (!s_.grid.empty()) {
    const int64_t rows = std::min<int64_t>(s_.grid_rows, int64_t(n));
    // Row r: crappy (at the target's size) | pretrained | GAN | original.
    torch::Tensor grid = torch::stack({x_up, pre, gan, y}, 1).narrow(0, 0, rows).flatten(0, 1);
    ganflow::save_image_grid(grid, s_.grid, 4);
    ctx.log(name() + ": before/after grid (crappy | pretrained | GAN | original) in " + s_.grid);
  }
}

ganflow::NodeSpec evaluate_superres_spec() {
  ganflow::NodeSpec s("evaluate_superres", ganflow::NodeKind::Stage,
                      "Held-out evaluation of an image-to-image GAN (fastai superres step 5): pixel MSE and PSNR of the "
                      "input, the pretrained generator (pretrained_weights) and the GAN-trained one vs the targets, "
                      "written to <run>/<node>.json and the log, plus a grid PNG crappy | pretrained | GAN | original.");
  s.input("model", {ganflow::NodeKind::Model}, "The GAN-trained generator.").input_roles("model", {"generator"});
  s.input("source", {ganflow::NodeKind::Source}, "Held-out (x, target) items: crappify, paired_image_folder.");
  s.input("after", {ganflow::NodeKind::Stage}, "Stages that must run first (the GAN stage).", false, true);
  using S = EvaluateSuperres::Settings;
  ganflow::Fields<S> f(s);
  f.add_path("pretrained_weights", &S::pretrained_weights, std::nullopt,
             "The generator's weights before the GAN (save_predictions' weights; \"run:<file>\" in the run folder).");
  f.add("limit", &S::limit, 256, "Held-out items (the first N of the source).").at_least(1);
  f.add("bs", &S::bs, 64, "Items per forward pass.").at_least(1);
  f.add_path("grid", &S::grid, "run:before_after.png", "Before/after grid PNG (\"run:\" ok); empty: none.");
  f.add("grid_rows", &S::grid_rows, 8, "Rows (items) of the grid.").range(1, 256);
  s.factory = [f](const ganflow::BuildContext& c) {
    EvaluateSuperres::Settings st = f.read(c);
    if (st.pretrained_weights.empty()) throw ganflow::Error("must name a weights file", "", "pretrained_weights");
    st.report = (c.run_dir().empty() ? std::string(".") : c.run_dir()) + "/" + c.node_name() + ".json";
    st.seed = c.seed();
    auto model = c.input<ganflow::Model>("model");
    auto source = c.input<ganflow::ItemSource>("source");
    if (!model || !source) throw ganflow::Error("needs a model and a source", c.node_name());
    return std::make_shared<EvaluateSuperres>(std::move(st), std::move(model), std::move(source));
  };
  return s;
}

}  // namespace ganflow_superres
