#include "file_list.hpp"

#include <algorithm>
#include <cctype>

#include "ganflow/error.hpp"

namespace fs = std::filesystem;

namespace ganflow::data {

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::vector<fs::path> list_images(const std::string& root, bool recursive, const std::string& param) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw Error("folder " + root + " does not exist", "", param);
  if (!fs::is_directory(root, ec)) throw Error(root + " is not a folder", "", param);
  std::vector<fs::path> files;
  auto visit = [&](const fs::directory_entry& e) {
    if (e.is_regular_file(ec) && is_image_file(e.path())) files.push_back(e.path());
  };
  try {
    if (recursive)
      for (auto& e : fs::recursive_directory_iterator(root, fs::directory_options::follow_directory_symlink)) visit(e);
    else
      for (auto& e : fs::directory_iterator(root)) visit(e);
  } catch (const fs::filesystem_error& e) {
    throw Error("cannot list " + root + ": " + e.code().message(), "", param);
  }
  if (files.empty())
    throw Error("no PNG or JPEG images (.png, .jpg, .jpeg) " + std::string(recursive ? "under " : "in ") + root, "", param);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace ganflow::data
