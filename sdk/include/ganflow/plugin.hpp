#pragma once
// The plugin entry point. In exactly one .cpp of a plugin library:
//
//   GANFLOW_PLUGIN("my_plugins", "0.1.0") {
//     ganflow::NodeSpec s("my_loss", ganflow::NodeKind::Loss, "One-line doc.");
//     s.param_float("weight", 1.0, "Scale of the loss.").at_least(0);
//     s.factory = [](const ganflow::BuildContext& c) { return std::make_shared<MyLoss>(c.params()); };
//     registry.add(std::move(s));
//   }
//
// It exports the plain-data descriptor (read by the host without running plugin code)
// and one registration function (a Boost.DLL alias). Nothing registers at static-init time.
#include <boost/config.hpp>
#include <boost/dll/alias.hpp>
#include <cstddef>
#include <cstring>
#include <exception>
#include <torch/version.h>

#include "ganflow/node.hpp"
#include "ganflow/version.hpp"

namespace ganflow {
// Signature of the registration entry point: 0 on success, else the message in `err`.
using RegisterFn = int(Registry*, char* err, std::size_t err_size);
}  // namespace ganflow

#define GANFLOW_PLUGIN(LIBRARY, VERSION)                                                     \
  extern "C" BOOST_SYMBOL_EXPORT __attribute__((section(GANFLOW_DESCRIPTOR_SECTION), used)) \
  const ganflow_plugin_descriptor ganflow_plugin_desc = {                                   \
      GANFLOW_DESCRIPTOR_MAGIC, sizeof(ganflow_plugin_descriptor), GANFLOW_ABI_MAJOR,       \
      GANFLOW_ABI_MINOR,        TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR,                    \
      _GLIBCXX_USE_CXX11_ABI,   LIBRARY,           VERSION};                                 \
  static void ganflow_register_types(::ganflow::Registry& registry);                         \
  extern "C" BOOST_SYMBOL_EXPORT int ganflow_plugin_register(::ganflow::Registry* r,         \
                                                             char* err, std::size_t n) {     \
    try {                                                                                    \
      ganflow_register_types(*r);                                                            \
      return 0;                                                                              \
    } catch (const std::exception& e) {                                                      \
      std::strncpy(err, e.what(), n - 1);                                                    \
    } catch (...) {                                                                          \
      std::strncpy(err, "unknown exception", n - 1);                                        \
    }                                                                                        \
    err[n - 1] = 0;                                                                          \
    return 1;                                                                                \
  }                                                                                          \
  BOOST_DLL_ALIAS(ganflow_plugin_register, ganflow_register)                                 \
  static void ganflow_register_types(::ganflow::Registry& registry)
