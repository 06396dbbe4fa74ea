#pragma once
// Fashion-MNIST from the gzip IDX files of Debian's dataset-fashion-mnist, held in memory.
#include <cstdint>
#include <string>
#include <vector>

#include "ganflow/item_source.hpp"

namespace ganflow::data {

struct FashionMnistSettings {  // read from the params fashion_mnist_spec declares (their defaults are there)
  std::string root;
  bool test{};  // split = test
  std::vector<int64_t> classes;
  int size{};
  bool pad{};  // fit = pad
  int64_t limit{};
};

class FashionMnist : public ItemSource {
 public:
  explicit FashionMnist(const FashionMnistSettings& s);
  std::size_t size() const override { return items_.size(); }
  std::vector<ImageShape> fields() const override { return {ImageShape{1, size_, size_}}; }
  void read(std::size_t index, uint8_t* const* slots, uint64_t seed) const override;
  int64_t label(std::size_t index) const override { return labels_[items_.at(index)]; }
  std::vector<std::string> classes() const override;

 private:
  std::string images_file_;
  std::vector<uint8_t> pixels_, labels_;
  int rows_ = 0, cols_ = 0, size_ = 32;
  bool pad_ = true;
  std::vector<uint32_t> items_;  // indices into the file, after the class filter and limit
};

NodeSpec fashion_mnist_spec();

}  // namespace ganflow::data
