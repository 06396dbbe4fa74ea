#pragma once
// PNG/JPEG files under a folder (fastai ImageList.from_folder), optionally labelled by their
// first-level sub-folder (label_from_folder).
#include <filesystem>
#include <string>
#include <vector>

#include "ganflow/fields.hpp"
#include "ganflow/item_source.hpp"
#include "image_transform.hpp"

namespace ganflow::data {

// The params shared by the folder sources (resize, random_crop, flip, drop_alpha).
struct TransformSettings {
  ImageTransform tfm;
  bool drop_alpha{};
};

struct ImageFolderSettings {  // read from the params image_folder_spec declares (their defaults are there)
  std::string root;           // "run:" resolved
  int channels{}, size{};
  bool recursive{}, labels{};
  std::vector<std::string> classes;
  TransformSettings transform;
};

class ImageFolder : public ItemSource {
 public:
  explicit ImageFolder(const ImageFolderSettings& s);
  std::size_t size() const override { return files_.size(); }
  std::vector<ImageShape> fields() const override { return {ImageShape{channels_, size_, size_}}; }
  void read(std::size_t index, uint8_t* const* slots, uint64_t seed) const override;
  int64_t label(std::size_t index) const override { return labels_.empty() ? -1 : labels_.at(index); }
  std::vector<std::string> classes() const override { return classes_; }
  const std::vector<std::filesystem::path>& files() const { return files_; }

 private:
  std::vector<std::filesystem::path> files_;
  std::vector<int64_t> labels_;
  std::vector<std::string> classes_;
  int channels_ = 3, size_ = 64;
  bool drop_alpha_ = false;
  ImageTransform tfm_;
};

// Shared by the folder sources: channels must be 1 or 3 (an Error on `param` otherwise).
int checked_channels(int channels, const std::string& param);
// Declares resize, random_crop, flip, drop_alpha.
Fields<TransformSettings> transform_fields(NodeSpec& s);

// The optional `after` port of the folder sources: stages that write the folder, so the source
// is built (and lists its files) only after they ran.
void declare_after_input(NodeSpec& s);

NodeSpec image_folder_spec();

}  // namespace ganflow::data
