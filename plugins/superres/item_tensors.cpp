#include "item_tensors.hpp"

#include <ganflow/item_seed.hpp>
#include <torch/torch.h>

#include <algorithm>

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
  for (auto& t : u8) out.push_back(t.to(torch::kFloat).div_(127.5).sub_(1.0));
  return out;
}

ganflow::Image to_image(const torch::Tensor& chw) {
  torch::Tensor u8 = chw.detach().to(torch::kCPU, torch::kFloat).clamp(-1, 1).add(1).mul(127.5).round().to(torch::kUInt8).contiguous();
  ganflow::Image img(int(u8.size(0)), int(u8.size(1)), int(u8.size(2)));
  std::copy(u8.data_ptr<uint8_t>(), u8.data_ptr<uint8_t>() + u8.numel(), img.data.begin());
  return img;
}

ganflow::Image image_grid(const std::vector<std::vector<ganflow::Image>>& rows) {
  const int gap = 2;
  int channels = 1;
  for (auto& r : rows)
    for (auto& im : r) channels = std::max(channels, im.channels);
  const int h = rows.at(0).at(0).height, w = rows[0][0].width, cols = int(rows[0].size());
  ganflow::Image grid(channels, int(rows.size()) * (h + gap) - gap, cols * (w + gap) - gap, 255);
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      ganflow::Image im = ganflow::convert_channels(rows[r][c], channels);
      for (int ch = 0; ch < channels; ++ch)
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) grid.at(ch, int(r) * (h + gap) + y, int(c) * (w + gap) + x) = im.at(ch, y, x);
    }
  return grid;
}

}  // namespace ganflow_superres
