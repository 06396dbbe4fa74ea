#include "ganflow/framework/graph/suggest.hpp"

#include <algorithm>

namespace ganflow {

std::string closest_name(const std::string& word, const std::vector<std::string>& options) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (auto& o : options) {
    std::vector<std::size_t> row(o.size() + 1);
    for (std::size_t j = 0; j <= o.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      std::size_t diag = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= o.size(); ++j) {
        std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (word[i - 1] == o[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    if (row[o.size()] < best_d) best_d = row[o.size()], best = o;
  }
  return best;
}

}  // namespace ganflow
