#pragma once
// "Did you mean": the closest of `options` to `word` by edit distance, "" if none is close.
#include <string>
#include <vector>

namespace ganflow {
std::string closest_name(const std::string& word, const std::vector<std::string>& options);
}
