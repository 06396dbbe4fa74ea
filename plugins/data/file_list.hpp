#pragma once
// The PNG/JPEG files under a folder, in a stable (sorted) order.
#include <filesystem>
#include <string>
#include <vector>

namespace ganflow::data {

bool is_image_file(const std::filesystem::path& p);  // .png .jpg .jpeg, any case

// Throws ganflow::Error (for `param`) when `root` is missing, not a folder, or holds no images.
std::vector<std::filesystem::path> list_images(const std::string& root, bool recursive, const std::string& param);

}  // namespace ganflow::data
