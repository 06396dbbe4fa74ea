#pragma once
// (x, y) image pairs: x from one folder, y the file with the same relative path in another
// (fastai ImageImageList); one random draw transforms both (tfm_y).
#include <filesystem>
#include <string>
#include <vector>

#include "ganflow/item_source.hpp"
#include "image_folder.hpp"

namespace ganflow::data {

// Read from the params paired_image_folder_spec declares (their defaults are there).
struct PairedImageFolderSettings {
  std::string x_root, y_root;  // "run:" resolved
  int channels{}, y_channels{}, size{}, y_size{};  // y's 0: as x's
  bool recursive{};
  TransformSettings transform;
};

class PairedImageFolder : public ItemSource {
 public:
  explicit PairedImageFolder(const PairedImageFolderSettings& s);
  std::size_t size() const override { return x_files_.size(); }
  std::vector<ImageShape> fields() const override {
    return {ImageShape{x_channels_, x_size_, x_size_}, ImageShape{y_channels_, y_size_, y_size_}};
  }
  void read(std::size_t index, uint8_t* const* slots, uint64_t seed) const override;

 private:
  std::vector<std::filesystem::path> x_files_, y_files_;
  int x_channels_ = 3, y_channels_ = 3, x_size_ = 64, y_size_ = 64;
  bool drop_alpha_ = false;
  ImageTransform tfm_;
};

NodeSpec paired_image_folder_spec();

}  // namespace ganflow::data
