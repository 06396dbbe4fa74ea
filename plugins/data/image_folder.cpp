#include "image_folder.hpp"

#include <algorithm>
#include <map>

#include "file_list.hpp"
#include "slot_write.hpp"

namespace fs = std::filesystem;

namespace ganflow::data {

int checked_channels(int channels, const std::string& param) {
  if (channels != 1 && channels != 3)
    throw Error("expected 1 (grey) or 3 (RGB), got " + std::to_string(channels), "", param);
  return channels;
}

Fields<TransformSettings> transform_fields(NodeSpec& s) {
  Fields<ImageTransform> t(s);
  t.add_enum("resize", &ImageTransform::method,
             {{"crop", ResizeMethod::Crop}, {"pad", ResizeMethod::Pad}, {"squish", ResizeMethod::Squish}}, "crop",
             "crop: shorter side to size, then crop; pad: longer side to size, black borders; squish: ignore aspect.");
  t.add("random_crop", &ImageTransform::random_crop, false,
        "Place the crop window at random (seeded per item and epoch) instead of the centre.");
  t.add("flip", &ImageTransform::flip, false, "Random horizontal flip (p = 0.5, seeded per item and epoch).");
  Fields<TransformSettings> f(s);
  f.nest(&TransformSettings::tfm, t);
  f.add("drop_alpha", &TransformSettings::drop_alpha, false,
        "Accept images with an alpha channel and ignore it (else they are an error).");
  return f;
}

void declare_after_input(NodeSpec& s) {
  s.input("after", {NodeKind::Stage}, "Stages that must run first (e.g. the one that writes the folder).", false, true);
}

ImageFolder::ImageFolder(const ImageFolderSettings& s)
    : channels_(checked_channels(s.channels, "channels")), size_(s.size), drop_alpha_(s.transform.drop_alpha),
      tfm_(s.transform.tfm) {
  const std::string& root = s.root;
  auto all = list_images(root, s.recursive || s.labels, "root");
  if (!s.labels) {
    files_ = std::move(all);
    return;
  }
  // label_from_folder: the first path component below root names the class.
  std::map<std::string, std::vector<fs::path>> by_class;
  for (auto& f : all) {
    fs::path rel = f.lexically_relative(root);
    if (std::distance(rel.begin(), rel.end()) >= 2) by_class[rel.begin()->string()].push_back(f);
  }
  classes_ = s.classes;
  if (classes_.empty())
    for (auto& [name, files] : by_class) classes_.push_back(name);
  if (classes_.empty()) throw Error("labels: no images in sub-folders of " + root + " (one sub-folder per class)", "", "labels");
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    auto it = by_class.find(classes_[c]);
    if (it == by_class.end()) throw Error("class '" + classes_[c] + "' has no images in " + root + "/" + classes_[c], "", "classes");
    for (auto& f : it->second) files_.push_back(f), labels_.push_back(int64_t(c));
  }
}

void ImageFolder::read(std::size_t index, uint8_t* const* slots, uint64_t seed) const {
  const std::string file = files_.at(index).string();
  ItemRng rng(seed);
  Image img = tfm_.apply(load_image(file, channels_, drop_alpha_), size_, tfm_.draw(rng));
  write_slot(img, fields()[0], slots[0], file);
}

NodeSpec image_folder_spec() {
  NodeSpec s("image_folder", NodeKind::Source,
             "PNG/JPEG images (grey or RGB) under a folder, resized to size x size; optional labels from sub-folders.");
  using S = ImageFolderSettings;
  Fields<S> f(s);
  f.add_path("root", &S::root, std::nullopt, "The folder; \"run:<sub>\" names <run folder>/<sub>.");
  f.add("channels", &S::channels, 3, "1 (grey) or 3 (RGB); images are converted.").range(1, 3);
  f.add("size", &S::size, 64, "Output side in pixels.").range(1, 4096);
  f.add("recursive", &S::recursive, true, "Also take images in sub-folders.");
  f.add("labels", &S::labels, false, "Label each image by its first-level sub-folder (fastai label_from_folder).");
  f.add_list("classes", &S::classes, {},
             "With labels: the class folders in label order (e.g. [\"fake\", \"real\"]); empty: all, sorted.");
  f.nest(&S::transform, transform_fields(s));
  declare_after_input(s);
  s.factory = [f](const BuildContext& c) { return std::make_shared<ImageFolder>(f.read(c)); };
  return s;
}

}  // namespace ganflow::data
