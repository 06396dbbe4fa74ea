#include "ganflow/framework/data/item_list.hpp"

namespace ganflow {

namespace {
std::vector<LoaderColumn> item_columns(const std::shared_ptr<ItemSource>& x, ItemList::Target target) {
  if (!x) throw Error("needs a source on input x");
  if (target == ItemList::Target::Image) {
    if (x->fields().size() < 2)
      throw Error("target = image needs a paired source (two images per item); '" + x->name() + "' has one", "", "target");
    return {{x, 0}, {x, 1}};
  }
  if (target == ItemList::Target::Label && x->label(0) < 0)
    throw Error("target = label needs a labelled source; '" + x->name() + "' has no labels (image_folder: set labels)", "",
                "target");
  return {{x, 0}};
}
LoaderOptions with_labels(LoaderOptions o, ItemList::Target t) {
  o.labels = t == ItemList::Target::Label;
  return o;
}

struct ItemListSettings {  // read from the params item_list_spec declares
  ItemList::Target target{};
  LoaderSettings loader;
};
}  // namespace

ItemList::ItemList(std::shared_ptr<ItemSource> x, Target target, LoaderOptions options, int threads, std::string node)
    : LoaderDataSource(item_columns(x, target), with_labels(options, target), threads, std::move(node)),
      target_(target) {}

void ItemList::to_batch(const HostBatch& host, const torch::Device& device, Batch& out) {
  out.x = buffers_.images(host.images.front(), device);
  if (target_ == Target::None) out.y = torch::Tensor();
  else if (target_ == Target::Label) out.y = labels_to_device(host.labels, device);
  else out.y = buffers_.images(host.images.back(), device);
}

NodeSpec item_list_spec() {
  NodeSpec s("item_list", NodeKind::Data,
             "Learner batches: x = a source's images in [-1, 1]; y = its labels (int64) or its second image (paired).");
  s.input("x", {NodeKind::Source}, "The source.");
  Fields<ItemListSettings> f(s);
  f.add_enum("target", &ItemListSettings::target,
             {{"label", ItemList::Target::Label}, {"image", ItemList::Target::Image}, {"none", ItemList::Target::None}},
             "label",
             "label: y = class labels [bs] (e.g. image_folder with labels); image: y = the second image of a paired "
             "source; none: images alone (real images for the quality stages).");
  f.nest(&ItemListSettings::loader, loader_fields(s));
  s.factory = [f](const BuildContext& c) {
    ItemListSettings k = f.read(c.params());
    return std::make_shared<ItemList>(c.input<ItemSource>("x"), k.target, loader_options(k.loader, c.seed()),
                                      k.loader.threads, c.node_name());
  };
  return s;
}

}  // namespace ganflow
