#include "ganflow/framework/plugin/markdown.hpp"

#include <sstream>

namespace ganflow {

std::string describe_markdown(const NodeSpec& spec) {
  std::ostringstream s;
  s << "### `" << spec.type << "` (" << to_string(spec.kind) << (spec.role.empty() ? "" : ", " + spec.role) << ")\n\n"
    << spec.doc << "\n\n";
  if (!spec.inputs.empty()) {
    s << "| input | accepts | required | doc |\n|---|---|---|---|\n";
    for (auto& in : spec.inputs) {
      std::string kinds;
      for (auto k : in.kinds) kinds += (kinds.empty() ? "" : ", ") + std::string(to_string(k));
      for (std::size_t i = 0; i < in.roles.size(); ++i) kinds += (i ? " or " : ": ") + in.roles[i];
      s << "| `" << in.name << "` | " << kinds << (in.multiple ? " (list)" : "") << " | "
        << (in.required ? "yes" : "no") << " | " << in.doc << " |\n";
    }
    s << "\n";
  }
  if (!spec.params.empty()) {
    s << "| param | type | default | doc |\n|---|---|---|---|\n";
    for (auto& p : spec.params)
      s << "| `" << p.name << "` | " << p.type_text() << " | "
        << (p.required() ? std::string("(required)") : "`" + p.default_value.dump() + "`") << " | " << p.doc << " |\n";
    s << "\n";
  }
  return s.str();
}

std::string reference_markdown(const HostRegistry& registry) {
  std::string s;
  for (auto* spec : registry.all())
    s += describe_markdown(*spec);
  return s;
}

}  // namespace ganflow
