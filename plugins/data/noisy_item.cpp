#include "noisy_item.hpp"

#include <torch/torch.h>

#include "ganflow/fields.hpp"
#include "ganflow/item_source.hpp"

namespace ganflow::data {

NoisyItem::NoisyItem(int64_t noise_sz, bool on_cpu, int64_t n_classes, std::vector<double> class_weights)
    : noise_sz_(noise_sz), on_cpu_(on_cpu), n_classes_(n_classes) {
  if (!class_weights.empty()) class_weights_ = torch::tensor(class_weights, torch::kDouble).to(torch::kFloat);
}

torch::Tensor NoisyItem::sample(int64_t n, const torch::Device& device) {
  if (on_cpu_) return torch::randn({n, noise_sz_, 1, 1}).to(device, /*non_blocking=*/true);
  return torch::randn({n, noise_sz_, 1, 1}, torch::TensorOptions().device(device));
}

torch::Tensor NoisyItem::sample_labels(int64_t n, const torch::Device& device) {
  if (n_classes_ == 0) return NoiseSource::sample_labels(n, device);
  const torch::Device draw = on_cpu_ ? torch::Device(torch::kCPU) : device;
  torch::Tensor labels = class_weights_.defined()
                             ? torch::multinomial(class_weights_.to(draw), n, /*replacement=*/true)
                             : torch::randint(n_classes_, {n}, torch::TensorOptions().dtype(torch::kLong).device(draw));
  return labels.to(device, /*non_blocking=*/true);
}

namespace {
struct NoisyItemSettings {  // read from the params noisy_item_spec declares (their defaults are there)
  int64_t noise_sz{}, n_classes{};
  bool on_cpu{};     // draw_on = cpu
  bool frequency{};  // label_dist = frequency
};

// How often each of the n_classes classes occurs in `source`; an Error names a label out of range.
std::vector<double> class_counts(const ItemSource& source, int64_t n_classes) {
  std::vector<double> counts(std::size_t(n_classes), 0.0);
  for (std::size_t i = 0; i < source.size(); ++i) {
    const int64_t y = source.label(i);
    if (y < 0 || y >= n_classes)
      throw Error("item " + std::to_string(i) + " of '" + source.name() + "' has label " + std::to_string(y) +
                      ", outside [0, " + std::to_string(n_classes) + ")",
                  "", "n_classes");
    counts[std::size_t(y)] += 1;
  }
  return counts;
}
}  // namespace

NodeSpec noisy_item_spec() {
  NodeSpec s("noisy_item", NodeKind::Noise,
             "Generator input: standard normal noise [n, noise_sz, 1, 1] on the device; with n_classes > 0 also "
             "the class of each image (class-conditional GANs).");
  using S = NoisyItemSettings;
  Fields<S> f(s);
  f.add("noise_sz", &S::noise_sz, 100, "Length of the noise vector.").range(1, 65536);
  f.add_enum("draw_on", &S::on_cpu, {{"device", false}, {"cpu", true}}, "device",
             "Where the noise is drawn: on the training device, or on the CPU and then moved, which gives the "
             "same noise on every device (a CUDA generator draws other numbers from the same seed).");
  f.add("n_classes", &S::n_classes, 0,
        "Classes the generator is conditioned on (0: unconditional); must match the generator, the critic "
        "and the real images' source.")
      .range(0, 100000);
  f.add_enum("label_dist", &S::frequency, {{"uniform", false}, {"frequency", true}}, "uniform",
             "How the generation labels are drawn: uniform over the classes, or as often as each class occurs "
             "in the source on input classes_of (the training set's class frequencies).");
  s.input("classes_of", {NodeKind::Source}, "A labelled source whose class frequencies label_dist: frequency follows.",
          false);
  s.classes_param = "n_classes";
  s.factory = [f](const BuildContext& c) {
    NoisyItemSettings k = f.read(c.params());
    auto source = c.input<ItemSource>("classes_of");
    if (k.frequency && (k.n_classes == 0 || !source))
      throw Error(k.n_classes == 0 ? "frequency needs n_classes > 0" : "frequency needs a labelled source on input classes_of",
                  c.node_name(), "label_dist");
    std::vector<double> weights = k.frequency ? class_counts(*source, k.n_classes) : std::vector<double>();
    return std::make_shared<NoisyItem>(k.noise_sz, k.on_cpu, k.n_classes, std::move(weights));
  };
  return s;
}

}  // namespace ganflow::data
