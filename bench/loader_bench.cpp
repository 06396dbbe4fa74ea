// Loader throughput on a folder of class sub-folders of PNGs (bench/run_loader drives it).
// Every runner decodes with the same code, the image_folder plugin's read() (the SDK's
// image_io), loaded from the plugin .so the way the ganflow program loads it:
//   ganflow           an item_list over image_folder, as a graph uses it (TBB loader)
//   decode            that source's read() into a batch in a plain loop on one thread (no pipeline)
//   torch_dataloader  torch::data::DataLoader with worker threads over a Dataset calling read()
// Batches end as float [-1, 1] like the trainer's: ganflow's and the decode loop's through
// ganflow's conversion, torch::data's through the tensor ops a LibTorch user writes.
// Prints one JSON line.
// Usage: loader_bench --runner ganflow|decode|torch_dataloader --root DIR [--threads N] [--bs 64]
//                     [--size 64] [--min-seconds 1]
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "ganflow/data.hpp"
#include "ganflow/framework/data/device_batch.hpp"
#include "ganflow/framework/data/loader_data_source.hpp"
#include "ganflow/framework/graph/executor.hpp"
#include "ganflow/framework/session/session.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/framework/session/steady_heap.hpp"
#include "ganflow/item_source.hpp"

using namespace ganflow;

namespace {

// What a user's graph holds: labelled images and the learner batches built on them.
BuiltGraph build(const std::string& root, int64_t bs, int threads, int64_t size) {
  json nodes = {
      {"images",
       {{"type", "image_folder"}, {"params", {{"root", root}, {"channels", 3}, {"size", size}, {"labels", true}}}}},
      {"data", {{"type", "item_list"}, {"inputs", {{"x", "images"}}}, {"params", {{"bs", bs}, {"threads", threads}}}}}};
  Graph g = parse_graph(json{{"name", "loader_bench"}, {"seed", 1}, {"nodes", nodes}}.dump());
  validate_graph(g, default_registry());  // the registry a Session runs with
  return build_graph(g, default_registry());
}

// Times whole calls of `epoch` (which returns the images it delivered) for at least
// `min_seconds`, after a short untimed warm-up call: one epoch of 4000 small PNGs is 0.15 s,
// too short to time alone on a VM. `threads()`: the decoding threads it ran with, asked
// afterwards (ganflow's budget may cut a request).
template <class F, class T>
void report(const std::string& runner, double min_seconds, F epoch, T threads) {
  epoch(true);
  auto t0 = std::chrono::steady_clock::now();
  int64_t images = 0;
  double s = 0;
  do {
    images += epoch(false);
    s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (s < min_seconds);
  std::cout << json{{"runner", runner},
                    {"threads", threads()},
                    {"images", images},
                    {"seconds", s},
                    {"images_per_s", images / s}}
                   .dump()
            << std::endl;
}

constexpr int64_t kWarmupBatches = 4;

// torch::data's view of the same source: item i decoded by read() into a fresh uint8 tensor.
class SourceDataset : public torch::data::datasets::Dataset<SourceDataset> {
 public:
  explicit SourceDataset(std::shared_ptr<ItemSource> src) : src_(std::move(src)), shape_(src_->fields().front()) {}
  torch::data::Example<> get(std::size_t i) override {
    auto img = torch::empty({shape_.channels, shape_.height, shape_.width}, torch::kUInt8);
    uint8_t* slot = img.data_ptr<uint8_t>();
    src_->read(i, &slot, i);
    return {img, torch::tensor(src_->label(i))};
  }
  torch::optional<std::size_t> size() const override { return src_->size(); }

 private:
  std::shared_ptr<ItemSource> src_;
  ImageShape shape_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string runner, root;
  int threads = 1;
  int64_t bs = 64;
  CLI::App app{"ganflow loader benchmark"};
  app.add_option("--runner", runner)->required()->check(CLI::IsMember({"ganflow", "decode", "torch_dataloader"}));
  app.add_option("--root", root)->required();
  app.add_option("--threads", threads, "loader threads, or DataLoader workers");
  app.add_option("--bs", bs);
  int64_t size = 64;
  app.add_option("--size", size, "image side the images are loaded at (the files' own: no resize)");
  double min_seconds = 1.0;
  app.add_option("--min-seconds", min_seconds, "time whole epochs until at least this long");
  CLI11_PARSE(app, argc, argv);
  steady_heap();  // the ganflow program's malloc policy, for every runner of this program
  // One intra-op thread everywhere: the float conversion is not what is measured.
  at::set_num_threads(1);
  const torch::Device cpu(torch::kCPU);

  BuiltGraph g = build(root, bs, threads, size);
  auto source = std::dynamic_pointer_cast<ItemSource>(g.nodes.at("images"));
  auto data = std::dynamic_pointer_cast<DataSource>(g.nodes.at("data"));

  if (runner == "ganflow") {
    int64_t e = 0;
    report(
        runner, min_seconds,
        [&](bool warmup) {
          data->start_epoch(e++, 0, cpu);
          Batch b;
          int64_t n = 0, batches = 0;
          while ((!warmup || batches < kWarmupBatches) && data->next(b)) n += b.x.size(0), ++batches;
          data->stop();
          return n;
        },
        [&] { return std::dynamic_pointer_cast<LoaderDataSource>(data)->loader_threads(); });
  } else if (runner == "decode") {
    const ImageShape f = source->fields().front();
    torch::Tensor batch = torch::empty({bs, f.channels, f.height, f.width}, torch::kUInt8);
    report(
        runner, min_seconds,
        [&](bool warmup) {
          const std::size_t n = warmup ? std::size_t(kWarmupBatches * bs) : source->size();
          for (std::size_t i = 0; i < n; ++i) {
            const std::size_t k = i % std::size_t(bs);
            uint8_t* slot = batch.data_ptr<uint8_t>() + k * f.bytes();
            source->read(i, &slot, i);
            if (k + 1 == std::size_t(bs) || i + 1 == n) images_to_device(batch.narrow(0, 0, int64_t(k) + 1), cpu);
          }
          return int64_t(n);
        },
        [] { return 1; });
  } else {
    report(
        runner, min_seconds,
        [&](bool warmup) {
          // A loader per epoch, as torchvision starts its workers per epoch (and torch::data
          // refuses a new epoch before the last one is exhausted).
          auto loader = torch::data::make_data_loader<torch::data::samplers::RandomSampler>(
              SourceDataset(source).map(torch::data::transforms::Stack<>()),
              torch::data::DataLoaderOptions().batch_size(std::size_t(bs)).workers(std::size_t(threads)));
          int64_t n = 0, batches = 0;
          for (auto& b : *loader) {
            // The conversion a LibTorch user writes (ganflow's own runs in one pass).
            n += b.data.to(torch::kFloat).div_(127.5).sub_(1.0).size(0);
            if (warmup && ++batches == kWarmupBatches) break;
          }
          return n;
        },
        [&] { return threads; });
  }
  return 0;
}
