#pragma once
// Reading torch::nn options' variants (padding, padding_mode): LibTorch 1.13 has its own
// c10::variant, 2.1 and later use std::variant. The unqualified calls below find std's
// functions by the using-declaration and c10's by argument-dependent lookup, so one spelling
// serves both (internal to the SDK).
#include <variant>

namespace ganflow::layers::detail {

// The alternative T of an options variant, or nullptr.
template <class T, class V>
auto option_if(const V& v) {
  using std::get_if;
  return get_if<T>(&v);
}

// The alternative T of an options variant (throws when it holds another).
template <class T, class V>
const T& option_get(const V& v) {
  using std::get;
  return get<T>(v);
}

}  // namespace ganflow::layers::detail
