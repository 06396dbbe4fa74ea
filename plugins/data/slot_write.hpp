#pragma once
// Copies a finished image into its batch slot, refusing a shape the source did not declare
// (a wrong-sized copy would corrupt the neighbouring slot).
#include <cstring>
#include <string>

#include "ganflow/error.hpp"
#include "ganflow/image_io.hpp"
#include "ganflow/item_source.hpp"

namespace ganflow::data {

inline void write_slot(const Image& img, const ImageShape& shape, uint8_t* slot, const std::string& file) {
  if (img.channels != shape.channels || img.height != shape.height || img.width != shape.width)
    throw Error(file + ": decoded to " + std::to_string(img.channels) + "x" + std::to_string(img.height) + "x" +
                std::to_string(img.width) + ", expected " + std::to_string(shape.channels) + "x" +
                std::to_string(shape.height) + "x" + std::to_string(shape.width));
  std::memcpy(slot, img.data.data(), img.bytes());
}

}  // namespace ganflow::data
