#include "ganflow/exception_message.hpp"

#include <c10/util/Exception.h>

namespace ganflow {

std::string exception_message(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) return torch_error->what_without_backtrace();
  return e.what();
}

std::string exception_line(const std::exception& e) {
  const std::string text = exception_message(e);
  const std::size_t begin = text.find_first_not_of("\n ");
  if (begin == std::string::npos) return text;
  return text.substr(begin, text.find('\n', begin) - begin);
}

}  // namespace ganflow
