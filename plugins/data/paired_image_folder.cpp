#include "paired_image_folder.hpp"

#include "file_list.hpp"
#include "image_folder.hpp"
#include "slot_write.hpp"

namespace fs = std::filesystem;

namespace ganflow::data {

PairedImageFolder::PairedImageFolder(const PairedImageFolderSettings& s)
    : x_channels_(checked_channels(s.channels, "channels")), x_size_(s.size), drop_alpha_(s.transform.drop_alpha),
      tfm_(s.transform.tfm) {
  y_channels_ = s.y_channels == 0 ? x_channels_ : checked_channels(s.y_channels, "y_channels");
  y_size_ = s.y_size == 0 ? x_size_ : s.y_size;
  const std::string &x_root = s.x_root, &y_root = s.y_root;
  const bool recursive = s.recursive;
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
  using S = PairedImageFolderSettings;
  Fields<S> f(s);
  f.add_path("x_root", &S::x_root, std::nullopt,
             "Folder of the inputs (e.g. crappy images); \"run:<sub>\" names <run folder>/<sub>.");
  f.add_path("y_root", &S::y_root, std::nullopt,
             "Folder of the targets, same file names (e.g. originals); \"run:<sub>\" as x_root.");
  f.add("channels", &S::channels, 3, "Channels of x: 1 (grey) or 3 (RGB).").range(1, 3);
  f.add("y_channels", &S::y_channels, 0, "Channels of y: 1 or 3; 0: as channels.").range(0, 3);
  f.add("size", &S::size, 64, "Side of x in pixels.").range(1, 4096);
  f.add("y_size", &S::y_size, 0, "Side of y in pixels; 0: as size.").range(0, 4096);
  f.add("recursive", &S::recursive, true, "Also take images in sub-folders.");
  f.nest(&S::transform, transform_fields(s));
  declare_after_input(s);
  s.factory = [f](const BuildContext& c) { return std::make_shared<PairedImageFolder>(f.read(c)); };
  return s;
}

}  // namespace ganflow::data
