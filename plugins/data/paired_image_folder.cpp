#include "paired_image_folder.hpp"

#include "file_list.hpp"
#include "image_folder.hpp"
#include "slot_write.hpp"

namespace fs = std::filesystem;

namespace ganflow::data {

PairedImageFolder::PairedImageFolder(const Params& p)
    : x_channels_(image_channels_param(p, "channels")), x_size_(int(p.i("size"))), drop_alpha_(p.b("drop_alpha")),
      tfm_(image_transform_params(p)) {
  y_channels_ = p.i("y_channels") == 0 ? x_channels_ : image_channels_param(p, "y_channels");
  y_size_ = p.i("y_size") == 0 ? x_size_ : int(p.i("y_size"));
  std::string x_root = p.s("x_root"), y_root = p.s("y_root");
  bool recursive = p.b("recursive");
  list_images(y_root, recursive, "y_root");  // a missing or empty y folder is named as such
  std::size_t missing = 0;
  std::string first_missing;
  for (auto& x : list_images(x_root, recursive, "x_root")) {
    fs::path y = fs::path(y_root) / x.lexically_relative(x_root);
    std::error_code ec;
    if (!fs::is_regular_file(y, ec)) {
      if (missing++ == 0) first_missing = y.string();
      continue;
    }
    x_files_.push_back(x);
    y_files_.push_back(y);
  }
  if (missing)
    throw Error(std::to_string(missing) + " image(s) of " + x_root + " have no file of the same name in " + y_root +
                ", first: " + first_missing, "", "y_root");
}

void PairedImageFolder::read(std::size_t index, uint8_t* const* slots, uint64_t seed) const {
  ItemRng rng(seed);
  TransformDraw d = tfm_.draw(rng);  // one draw for both images
  const std::string xf = x_files_.at(index).string(), yf = y_files_.at(index).string();
  auto shapes = fields();
  write_slot(tfm_.apply(load_image(xf, x_channels_, drop_alpha_), x_size_, d), shapes[0], slots[0], xf);
  write_slot(tfm_.apply(load_image(yf, y_channels_, drop_alpha_), y_size_, d), shapes[1], slots[1], yf);
}

NodeSpec paired_image_folder_spec() {
  NodeSpec s("paired_image_folder", NodeKind::Source,
             "Image pairs: x from x_root, y the same relative path under y_root; the same random transform on both.");
  s.param("x_root", ParamType::String, nullptr, "Folder of the inputs (e.g. crappy images); \"run:<sub>\" names <run folder>/<sub>.");
  s.param("y_root", ParamType::String, nullptr, "Folder of the targets, same file names (e.g. originals); \"run:<sub>\" as x_root.");
  s.param_int("channels", 3, "Channels of x: 1 (grey) or 3 (RGB).").range(1, 3);
  s.param_int("y_channels", 0, "Channels of y: 1 or 3; 0: as channels.").range(0, 3);
  s.param_int("size", 64, "Side of x in pixels.").range(1, 4096);
  s.param_int("y_size", 0, "Side of y in pixels; 0: as size.").range(0, 4096);
  s.param_bool("recursive", true, "Also take images in sub-folders.");
  declare_transform_params(s);
  declare_after_input(s);
  s.factory = [](const BuildContext& c) {
    return std::make_shared<PairedImageFolder>(resolve_run_paths(c, {"x_root", "y_root"}));
  };
  return s;
}

}  // namespace ganflow::data
