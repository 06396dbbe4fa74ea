// fastai superres step 4 ("save generated images"): a model's outputs for a source's x, one PNG
// per item, so a later image_folder (with `after`) can read them as the critic's fake class.
#include "save_predictions.hpp"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include <ganflow/state_dict.hpp>
#include <ganflow/unit_range.hpp>

#include "item_tensors.hpp"

namespace fs = std::filesystem;

namespace ganflow_superres {

namespace {
void make_dir(const std::string& dir, const std::string& param) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw ganflow::Error("cannot create " + dir + ": " + ec.message(), "", param);
}
std::string item_file(const std::string& dir, std::size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "%06zu.png", i);
  return (fs::path(dir) / name).string();
}
}  // namespace

SavePredictions::SavePredictions(Settings s, std::shared_ptr<ganflow::Model> model,
                                 std::shared_ptr<ganflow::ItemSource> source)
    : s_(std::move(s)), model_(std::move(model)), source_(std::move(source)) {}

void SavePredictions::run(ganflow::RunContext& ctx) {
  const std::size_t n = s_.limit > 0 ? std::min<std::size_t>(std::size_t(s_.limit), source_->size()) : source_->size();
  if (n == 0) throw ganflow::Error("the source has no items", name(), "limit");
  make_dir(s_.folder, "folder");
  if (!s_.targets_folder.empty()) make_dir(s_.targets_folder, "targets_folder");
  auto& m = model_->module();
  const bool was_training = m.is_training();
  m.to(ctx.device());
  m.eval();
  torch::NoGradGuard ng;
  for (std::size_t b = 0; b < n; b += std::size_t(s_.bs)) {
    const std::size_t e = std::min(n, b + std::size_t(s_.bs));
    auto fields = read_items(*source_, b, e, s_.seed);
    torch::Tensor out = model_->forward(fields.front().to(ctx.device())).to(torch::kCPU);
    for (std::size_t i = b; i < e; ++i) {
      ganflow::save_image(ganflow::image_from_unit(out[int64_t(i - b)]), item_file(s_.folder, i));
      if (!s_.targets_folder.empty())
        ganflow::save_image(ganflow::image_from_unit(fields.back()[int64_t(i - b)]), item_file(s_.targets_folder, i));
    }
  }
  m.train(was_training);
  if (!s_.weights.empty()) ganflow::save_state_dict_file(m, s_.weights);
  ctx.log(name() + ": wrote " + std::to_string(n) + " predictions to " + s_.folder +
          (s_.targets_folder.empty() ? "" : " and their targets to " + s_.targets_folder) +
          (s_.weights.empty() ? "" : "; weights to " + s_.weights));
}

ganflow::NodeSpec save_predictions_spec() {
  ganflow::NodeSpec s("save_predictions", ganflow::NodeKind::Stage,
                      "Write a model's outputs for a source's x (its first field) as PNGs 000000.png... (fastai superres "
                      "step 4), optionally the source's targets (last field) and the model's weights (a snapshot).");
  s.input("model", {ganflow::NodeKind::Model}, "The model (e.g. the generator a learner stage trained).");
  s.input("source", {ganflow::NodeKind::Source}, "Items in order; x = first field, target = last field.");
  s.input("after", {ganflow::NodeKind::Stage}, "Stages that must run first (the one that trains the model).", false, true);
  using S = SavePredictions::Settings;
  ganflow::Fields<S> f(s);
  f.add_path("folder", &S::folder, std::nullopt, "Folder of the outputs; \"run:<sub>\" names <run folder>/<sub>.");
  f.add_path("targets_folder", &S::targets_folder, "",
             "If set: also write each item's target there, same file names (\"run:\" ok).");
  f.add_path("weights", &S::weights, "",
             "If set: also save the model's state dict there (\"run:\" ok), e.g. for evaluate_superres's "
             "pretrained_weights: later stages train the model on in place.");
  f.add("limit", &S::limit, 0, "Only the first N items (0: all).").at_least(0);
  f.add("bs", &S::bs, 64, "Items per forward pass.").at_least(1);
  s.factory = [f](const ganflow::BuildContext& c) {
    SavePredictions::Settings st = f.read(c);
    if (st.folder.empty()) throw ganflow::Error("must name a folder", "", "folder");
    st.seed = c.seed();
    auto model = c.input<ganflow::Model>("model");
    auto source = c.input<ganflow::ItemSource>("source");
    if (!model || !source) throw ganflow::Error("needs a model and a source", c.node_name());
    return std::make_shared<SavePredictions>(std::move(st), std::move(model), std::move(source));
  };
  return s;
}

}  // namespace ganflow_superres
