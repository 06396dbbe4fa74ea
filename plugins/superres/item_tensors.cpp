#include "item_tensors.hpp"

#include <ganflow/item_seed.hpp>
#include <ganflow/unit_range.hpp>
#include <torch/torch.h>

namespace ganflow_superres {

std::vector<torch::Tensor> read_items(const ganflow::ItemSource& source, std::size_t begin, std::size_t end,
                                      uint64_t seed) {
  auto shapes = source.fields();
  const int64_t n = int64_t(end - begin);
  std::vector<torch::Tensor> u8;
  for (auto& s : shapes) u8.push_back(torch::empty({n, s.channels, s.height, s.width}, torch::kUInt8));
  std::vector<uint8_t*> slots(shapes.size());
  for (std::size_t i = begin; i < end; ++i) {
    for (std::size_t k = 0; k < shapes.size(); ++k) slots[k] = u8[k][int64_t(i - begin)].data_ptr<uint8_t>();
    source.read(i, slots.data(), ganflow::item_seed(seed, 0, i));
  }
  std::vector<torch::Tensor> out;
  for (auto& t : u8) out.push_back(ganflow::unit_from_pixels(t));
  return out;
}

}  // namespace ganflow_superres
