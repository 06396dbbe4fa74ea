#pragma once
// The one error type of ganflow: a message plus the place it belongs to (node, param).
#include "ganflow/export.hpp"
#include <stdexcept>
#include <string>

namespace ganflow {

class GANFLOW_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string node = {}, std::string param = {});
  ~Error() override;  // out of line: the key function, so typeinfo lives in the SDK only

  const std::string& node() const noexcept { return node_; }
  const std::string& param() const noexcept { return param_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string node_, param_, message_;
};

}  // namespace ganflow
