#pragma once
// Batches for learner stages (generator or critic pretraining): x = a source's images, y = its
// labels (int64 [bs], fastai label_from_folder) or its second image field (paired sources).
#include <memory>
#include <string>

#include "ganflow/framework/data/loader_data_source.hpp"

namespace ganflow {

class ItemList : public LoaderDataSource {
 public:
  enum class Target { Label, Image, None };
  ItemList(std::shared_ptr<ItemSource> x, Target target, LoaderOptions options, int threads, std::string node);

 protected:
  void to_batch(const HostBatch& host, const torch::Device& device, Batch& out) override;

 private:
  Target target_;
};

NodeSpec item_list_spec();

}  // namespace ganflow
