#include "ganflow/framework/data/gan_item_list.hpp"

#include <ATen/Context.h>
#include <ATen/CPUGeneratorImpl.h>

#include "ganflow/image_grid.hpp"
#include "ganflow/item_seed.hpp"
#include "ganflow/framework/dist/world.hpp"

namespace ganflow {

namespace {
std::vector<LoaderColumn> gan_columns(const std::shared_ptr<Node>& x, const std::shared_ptr<ItemSource>& y) {
  if (!y) throw Error("needs an image source on input y", "", "");
  const int y_field = int(y->fields().size()) - 1;
  auto xs = std::dynamic_pointer_cast<ItemSource>(x);
  if (!xs) return {{y, y_field}};
  if (xs == y && y_field == 0)
    throw Error("x and y are the same single-image source '" + y->name() + "'; use a paired source or noise for x");
  return {{xs, 0}, {y, y_field}};
}

// Class-conditional noise needs the real images' labels (the loader gathers them from y).
int64_t conditional_classes(const std::shared_ptr<Node>& x) {
  auto noise = std::dynamic_pointer_cast<NoiseSource>(x);
  return noise ? noise->n_classes() : 0;
}

// The loader checks each label against the class count before it reaches an embedding, where an
// index out of range is a crash on a GPU.
LoaderOptions with_labels(LoaderOptions o, const std::shared_ptr<Node>& x) {
  o.n_classes = conditional_classes(x);
  o.labels = o.n_classes > 0;
  return o;
}

void check_labelled(const ItemSource& y, const NoiseSource& noise) {
  const int64_t k = noise.n_classes();
  const std::string cond = "the noise '" + noise.name() + "' is class-conditional (n_classes " + std::to_string(k) + ")";
  if (y.size() > 0 && y.label(0) < 0)
    throw Error(cond + ", and source '" + y.name() + "' has no labels (image_folder: set labels)", "", "y");
  const std::size_t classes = y.classes().size();
  if (classes > 0 && int64_t(classes) != k)
    throw Error(cond + ", and source '" + y.name() + "' has " + std::to_string(classes) + " classes", "", "y");
}
}  // namespace

GanItemList::GanItemList(std::shared_ptr<Node> x, std::shared_ptr<ItemSource> y, LoaderOptions options, int threads,
                         std::string node)
    : LoaderDataSource(gan_columns(x, y), with_labels(options, x), threads, std::move(node)),
      noise_(std::dynamic_pointer_cast<NoiseSource>(x)), x_(std::dynamic_pointer_cast<ItemSource>(x)), y_(std::move(y)) {
  if (!noise_ && !x_) throw Error("input x must be a noise or an image source", "", "");
  step_noise_ = world_from_env().has_value();
  n_classes_ = noise_ ? noise_->n_classes() : 0;
  if (n_classes_ > 0) check_labelled(*y_, *noise_);
}

void GanItemList::start_epoch(int64_t epoch, int64_t skip, const torch::Device& device) {
  epoch_ = epoch, batch_ = skip;
  LoaderDataSource::start_epoch(epoch, skip, device);
}

namespace {
// f() with the CPU and `device` generators seeded with `seed`; their states are restored after.
template <class F> auto with_seed(uint64_t seed, const torch::Device& device, F f) {
  std::vector<at::Generator> gens = {at::detail::getDefaultCPUGenerator()};
  if (!device.is_cpu()) gens.push_back(at::globalContext().defaultGenerator(device));
  std::vector<torch::Tensor> saved;
  for (auto& g : gens) {
    saved.push_back(g.get_state());
    g.set_current_seed(seed);
  }
  auto out = f();
  for (std::size_t i = 0; i < gens.size(); ++i) gens[i].set_state(saved[i]);
  return out;
}
}  // namespace

void GanItemList::to_batch(const HostBatch& host, const torch::Device& device, Batch& out) {
  out.y = buffers_.images(host.images.back(), device);
  if (n_classes_ > 0) out.labels = labels_to_device(host.labels, device);
  // The noise, and the generation labels of a conditional run.
  auto draw = [&](int64_t n) {
    torch::Tensor z = noise_->sample(n, device);
    return std::pair{z, n_classes_ > 0 ? noise_->sample_labels(n, device) : torch::Tensor()};
  };
  if (!noise_) {
    out.x = buffers_.images(host.images.front(), device);
  } else if (!step_noise_) {
    std::tie(out.x, out.gen_labels) = draw(host.size);
  } else {
    const LoaderOptions& o = loader().options();
    const uint64_t seed = mix_seed(mix_seed(o.seed ^ 0x6e6f697365ULL) ^ mix_seed(uint64_t(epoch_) + 1)) ^ uint64_t(batch_);
    auto [z, labels] = with_seed(seed, device, [&] { return draw(o.batch_size * o.world_size); });
    out.x = z.narrow(0, o.rank * o.batch_size, host.size);
    if (labels.defined()) out.gen_labels = labels.narrow(0, o.rank * o.batch_size, host.size);
  }
  ++batch_;
}

void GanItemList::show(const std::string& path, int64_t n) const {
  const auto& o = loader().options();
  std::vector<std::size_t> order = epoch_order(loader().dataset_size(), 0, OrderOptions{o.shuffle, false, o.seed, 0, 1, 1});
  order.resize(std::min<std::size_t>(order.size(), std::size_t(n > 0 ? n : std::min<int64_t>(o.batch_size, 64))));
  torch::Tensor u8 = loader().read_column(noise_ ? 0 : 1, order);
  save_image_grid(images_to_device(u8, torch::kCPU), path);
}

NodeSpec gan_item_list_spec() {
  NodeSpec s("gan_item_list", NodeKind::Data,
             "GAN batches (fastai GANItemList): x = noise made on the device per batch (or images), y = real images in [-1, 1].");
  s.input("x", {NodeKind::Noise, NodeKind::Source}, "Generator input: a noise node (noisy_item) or an image source.");
  s.input("y", {NodeKind::Source}, "The real images (the source's last field).");
  Fields<LoaderSettings> loader = loader_fields(s);
  s.factory = [loader](const BuildContext& c) {
    auto x = c.inputs("x");
    LoaderSettings l = loader.read(c.params());
    return std::make_shared<GanItemList>(x.empty() ? nullptr : x.front(), c.input<ItemSource>("y"),
                                         loader_options(l, c.seed()), l.threads, c.node_name());
  };
  return s;
}

}  // namespace ganflow
