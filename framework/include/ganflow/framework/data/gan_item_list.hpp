#pragma once
// fastai GANItemList: batches (x, y) with x the generator input (noise made on the device for
// each batch, or images of a source) and y the real images, float in [-1, 1].
#include <memory>
#include <string>

#include "ganflow/framework/data/loader_data_source.hpp"

namespace ganflow {

class GanItemList : public LoaderDataSource {
 public:
  // x: a NoiseSource or an ItemSource; y: an ItemSource (its last field is the target).
  // When x and y are the same source, x is its first field and y its last.
  GanItemList(std::shared_ptr<Node> x, std::shared_ptr<ItemSource> y, LoaderOptions options, int threads, std::string node);

  // fastai show_xys: a grid of the first `n` targets of epoch 0 (0: one batch, at most 64) as PNG.
  void show(const std::string& path, int64_t n = 0) const;
  std::shared_ptr<NoiseSource> noise() const { return noise_; }  // nullptr when x is images

 protected:
  void to_batch(const HostBatch& host, const torch::Device& device, Batch& out) override;

 private:
  std::shared_ptr<NoiseSource> noise_;
  std::shared_ptr<ItemSource> x_, y_;
};

NodeSpec gan_item_list_spec();

}  // namespace ganflow
