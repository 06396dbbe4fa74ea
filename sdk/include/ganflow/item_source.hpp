#pragma once
// ItemSource: decodes item i into caller-provided uint8 slots of a preallocated batch.
// Called concurrently from the loader's threads; no torch here, so sources stay light.
#include "ganflow/export.hpp"
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ganflow/node.hpp"

namespace ganflow {

struct ImageShape {
  int channels = 1, height = 0, width = 0;
  std::size_t bytes() const { return std::size_t(channels) * height * width; }
};

class GANFLOW_API ItemSource : public Node {
 public:
  ~ItemSource() override;
  virtual std::size_t size() const = 0;
  // The images one item holds: one for plain sources, two (x, y) for paired ones.
  virtual std::vector<ImageShape> fields() const = 0;
  // Writes field k of item `index` (CHW, uint8) into slots[k]. `seed` drives the random
  // augmentation of this item in this epoch, whatever thread runs it. Thread-safe.
  // A bad item throws ganflow::Error naming the file.
  virtual void read(std::size_t index, uint8_t* const* slots, uint64_t seed) const = 0;
  // Class labels (fastai label_from_folder); -1 when the source has none.
  virtual int64_t label(std::size_t index) const;
  virtual std::vector<std::string> classes() const;
};

}  // namespace ganflow
