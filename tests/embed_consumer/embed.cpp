// A C++ program that embeds ganflow: it loads a graph, runs it with log, progress and epoch
// callbacks, cancels it after the first epoch, resumes it, and takes the trained generator
// back to draw images.
#include <ganflow/data.hpp>
#include <ganflow/framework/session/session.hpp>
#include <ganflow/model.hpp>
#include <torch/torch.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: embed GRAPH RUN_DIR\n";
    return 2;
  }
  try {
    ganflow::SessionOptions o;
    o.graph_file = argv[1];
    o.out = argv[2];
    o.sets = {"device=cpu", "images.limit=256", "train.epochs=2", "train.max_batches=2", "train.show_img=false",
              "generator.n_features=16", "critic.n_features=16"};
    std::unique_ptr<ganflow::Session> session;
    o.on_log = [&](const std::string& line) { std::cout << "log: " << line << "\n"; };
    o.on_progress = [](const ganflow::Progress& p) {
      std::cout << "progress: " << p.stage << " epoch " << p.epoch << " batch " << p.batch << "/" << p.batches << "\n";
    };
    o.on_epoch = [&](const std::string& stage, const ganflow::json& row) {
      std::cout << "epoch row: " << stage << " " << row.dump() << "\n";
      if (row.at("epoch") == 0) session->cancel();  // stop before epoch 1
    };
    session = std::make_unique<ganflow::Session>(o);
    if (session->run()) {
      std::cerr << "error: the cancelled run did not stop\n";
      return 1;
    }
    std::cout << "cancelled after epoch 0\n";

    ganflow::SessionOptions again;
    again.resume = argv[2];
    again.on_log = [](const std::string& line) { std::cout << "log: " << line << "\n"; };
    ganflow::Session resumed(again);
    if (!resumed.run()) return 1;
    auto gen = resumed.node<ganflow::Model>("generator");
    auto noise = resumed.node<ganflow::NoiseSource>("noise");
    if (!gen || !noise) {
      std::cerr << "error: no trained generator or noise node\n";
      return 1;
    }
    torch::NoGradGuard no_grad;
    gen->module().eval();
    torch::Tensor images = gen->forward(noise->sample(4, torch::kCPU));
    std::cout << "generated " << images.sizes() << " in [" << images.min().item<float>() << ", "
              << images.max().item<float>() << "]\n";
    return images.isfinite().all().item<bool>() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
