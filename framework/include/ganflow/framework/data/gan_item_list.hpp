#pragma once
// fastai GANItemList: batches (x, y) with x the generator input (noise made on the device for
// each batch, or images of a source) and y the real images, float in [-1, 1]. With
// class-conditional noise (n_classes > 0) also the real images' labels (the loader checks each
// lies in [0, n_classes)) and the generation labels the noise node draws.
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
  void start_epoch(int64_t epoch, int64_t skip, const torch::Device& device) override;

 protected:
  void to_batch(const HostBatch& host, const torch::Device& device, Batch& out) override;

 private:
  std::shared_ptr<NoiseSource> noise_;
  std::shared_ptr<ItemSource> x_, y_;
  // Data-parallel: each batch's noise is rank `rank`'s slice of the whole step's noise, drawn
  // from a seed of (seed, epoch, batch), so N ranks at batch b draw what one rank at batch
  // b * N draws, and a resumed run draws the same.
  bool step_noise_ = false;
  int64_t n_classes_ = 0;  // the noise's; 0: unconditional
  int64_t epoch_ = 0, batch_ = 0;
};

NodeSpec gan_item_list_spec();

}  // namespace ganflow
