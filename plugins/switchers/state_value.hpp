#pragma once
// Reads one integer counter from a checkpointed callback state, refusing anything else.
#include <ganflow/ganflow.hpp>

namespace ganflow_switchers {
inline int64_t state_count(const ganflow::json& s, const char* key, const std::string& node) {
  if (!s.is_object() || !s.contains(key) || !s[key].is_number_integer() || s[key].get<int64_t>() < 0)
    throw ganflow::Error(std::string("checkpoint state: '") + key + "' missing or not a count in " + s.dump(), node);
  return s[key].get<int64_t>();
}
}  // namespace ganflow_switchers
