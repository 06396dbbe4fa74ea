#include "image_folder.hpp"

#include <algorithm>
#include <map>

#include "file_list.hpp"
#include "slot_write.hpp"

namespace fs = std::filesystem;

namespace ganflow::data {

int image_channels_param(const Params& p, const std::string& key) {
  int64_t c = p.i(key);
  if (c != 1 && c != 3) throw Error("expected 1 (grey) or 3 (RGB), got " + std::to_string(c), "", key);
  return int(c);
}

ImageTransform image_transform_params(const Params& p) {
  ImageTransform t;
  t.method = resize_method_from_string(p.s("resize"));
  t.random_crop = p.b("random_crop");
  t.flip = p.b("flip");
  return t;
}

void declare_transform_params(NodeSpec& s) {
  s.param_enum("resize", {"crop", "pad", "squish"}, "crop",
               "crop: shorter side to size, then crop; pad: longer side to size, black borders; squish: ignore aspect.");
  s.param_bool("random_crop", false, "Place the crop window at random (seeded per item and epoch) instead of the centre.");
  s.param_bool("flip", false, "Random horizontal flip (p = 0.5, seeded per item and epoch).");
  s.param_bool("drop_alpha", false, "Accept images with an alpha channel and ignore it (else they are an error).");
}

Params resolve_run_paths(const BuildContext& c, const std::vector<std::string>& keys) {
  json values = c.params().all();
  for (const auto& key : keys) {
    values[key] = c.run_path(values.at(key).get<std::string>(), key);
  }
  return Params(c.params().node(), std::move(values));
}

void declare_after_input(NodeSpec& s) {
  s.input("after", {NodeKind::Stage}, "Stages that must run first (e.g. the one that writes the folder).", false, true);
}

ImageFolder::ImageFolder(const Params& p)
    : channels_(image_channels_param(p, "channels")), size_(int(p.i("size"))), drop_alpha_(p.b("drop_alpha")),
      tfm_(image_transform_params(p)) {
  std::string root = p.s("root");
  auto all = list_images(root, p.b("recursive") || p.b("labels"), "root");
  if (!p.b("labels")) {
    files_ = std::move(all);
    return;
  }
  // label_from_folder: the first path component below root names the class.
  std::map<std::string, std::vector<fs::path>> by_class;
  for (auto& f : all) {
    fs::path rel = f.lexically_relative(root);
    if (std::distance(rel.begin(), rel.end()) >= 2) by_class[rel.begin()->string()].push_back(f);
  }
  classes_ = p.strings("classes");
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
  s.param("root", ParamType::String, nullptr, "The folder; \"run:<sub>\" names <run folder>/<sub>.");
  s.param_int("channels", 3, "1 (grey) or 3 (RGB); images are converted.").range(1, 3);
  s.param_int("size", 64, "Output side in pixels.").range(1, 4096);
  s.param_bool("recursive", true, "Also take images in sub-folders.");
  s.param_bool("labels", false, "Label each image by its first-level sub-folder (fastai label_from_folder).");
  s.param_list("classes", ParamType::String, json::array(),
               "With labels: the class folders in label order (e.g. [\"fake\", \"real\"]); empty: all, sorted.");
  declare_transform_params(s);
  declare_after_input(s);
  s.factory = [](const BuildContext& c) { return std::make_shared<ImageFolder>(resolve_run_paths(c, {"root"})); };
  return s;
}

}  // namespace ganflow::data
