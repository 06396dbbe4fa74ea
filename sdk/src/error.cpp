#include "ganflow/error.hpp"

namespace ganflow {
namespace {
std::string place(const std::string& message, const std::string& node, const std::string& param) {
  std::string where;
  if (!node.empty()) where += "node '" + node + "'";
  if (!param.empty()) where += (where.empty() ? "" : " ") + std::string("param '") + param + "'";
  return where.empty() ? message : where + ": " + message;
}
}  // namespace

Error::Error(const std::string& message, std::string node, std::string param)
    : std::runtime_error(place(message, node, param)),
      node_(std::move(node)), param_(std::move(param)), message_(message) {}
Error::~Error() = default;

}  // namespace ganflow
