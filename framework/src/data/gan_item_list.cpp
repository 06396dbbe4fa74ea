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
}  // namespace

GanItemList::GanItemList(std::shared_ptr<Node> x, std::shared_ptr<ItemSource> y, LoaderOptions options, int threads,
                         std::string node)
    : LoaderDataSource(gan_columns(x, y), options, threads, std::move(node)),
      noise_(std::dynamic_pointer_cast<NoiseSource>(x)), x_(std::dynamic_pointer_cast<ItemSource>(x)), y_(std::move(y)) {
  if (!noise_ && !x_) throw Error("input x must be a noise or an image source", "", "");
  step_noise_ = world_from_env().has_value();
}

void GanItemList::start_epoch(int64_t epoch, int64_t skip, const torch::Device& device) {
  epoch_ = epoch, batch_ = skip;
  LoaderDataSource::start_epoch(epoch, skip, device);
}

namespace {
// f() with the CPU and `device` generators seeded with `seed`; their states are restored after.
template <class F> torch::Tensor with_seed(uint64_t seed, const torch::Device& device, F f) {
  std::vector<at::Generator> gens = {at::detail::getDefaultCPUGenerator()};
  if (!device.is_cpu()) gens.push_back(at::globalContext().defaultGenerator(device));
  std::vector<torch::Tensor> saved;
  for (auto& g : gens) {
    saved.push_back(g.get_state());
    g.set_current_seed(seed);
  }
  torch::Tensor out = f();
  for (std::size_t i = 0; i < gens.size(); ++i) gens[i].set_state(saved[i]);
  return out;
}
}  // namespace

void GanItemList::to_batch(const HostBatch& host, const torch::Device& device, Batch& out) {
  out.y = images_to_device(host.images.back(), device);
  if (!noise_) {
    out.x = images_to_device(host.images.front(), device);
  } else if (!step_noise_) {
    out.x = noise_->sample(host.size, device);
  } else {
    const LoaderOptions& o = loader().options();
    const uint64_t seed = mix_seed(mix_seed(o.seed ^ 0x6e6f697365ULL) ^ mix_seed(uint64_t(epoch_) + 1)) ^ uint64_t(batch_);
    torch::Tensor step = with_seed(seed, device, [&] { return noise_->sample(o.batch_size * o.world_size, device); });
    out.x = step.narrow(0, o.rank * o.batch_size, host.size);
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
