#include "ganflow/framework/data/gan_item_list.hpp"

#include "ganflow/image_grid.hpp"

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
}

void GanItemList::to_batch(const HostBatch& host, const torch::Device& device, Batch& out) {
  out.y = images_to_device(host.images.back(), device);
  out.x = noise_ ? noise_->sample(host.size, device) : images_to_device(host.images.front(), device);
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
