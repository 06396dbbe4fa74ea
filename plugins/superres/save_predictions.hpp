#pragma once
#include <ganflow/ganflow.hpp>
#include <ganflow/item_source.hpp>
#include <ganflow/model.hpp>
#include <ganflow/stage.hpp>

#include <memory>
#include <string>

namespace ganflow_superres {

class SavePredictions : public ganflow::Stage {
 public:
  struct Settings {
    std::string folder, targets_folder, weights;  // resolved paths
    int64_t limit = 0, bs = 64;
    uint64_t seed = 0;
  };
  SavePredictions(Settings s, std::shared_ptr<ganflow::Model> model, std::shared_ptr<ganflow::ItemSource> source);
  void run(ganflow::RunContext& ctx) override;

 private:
  Settings s_;
  std::shared_ptr<ganflow::Model> model_;
  std::shared_ptr<ganflow::ItemSource> source_;
};

ganflow::NodeSpec save_predictions_spec();

}  // namespace ganflow_superres
