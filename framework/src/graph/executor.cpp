#include "ganflow/framework/graph/executor.hpp"

#include "ganflow/exception_message.hpp"
#include "ganflow/callback.hpp"
#include "ganflow/framework/dist/dist_group.hpp"
#include "ganflow/framework/graph/validate.hpp"
#include "ganflow/framework/session/run_context.hpp"

namespace ganflow {

namespace {
class HostBuildContext : public BuildContext {
 public:
  HostBuildContext(const GraphNode& node, Params params, const BuiltGraph& built, uint64_t seed, std::string run_dir)
      : node_(node), params_(std::move(params)), built_(built), seed_(seed), run_dir_(std::move(run_dir)) {}
  std::string run_dir() const override { return run_dir_; }
  const std::string& node_name() const override { return node_.name; }
  const Params& params() const override { return params_; }
  uint64_t seed() const override { return seed_; }
  std::vector<std::shared_ptr<Node>> inputs(const std::string& port) const override {
    std::vector<std::shared_ptr<Node>> out;
    auto it = node_.inputs.find(port);
    if (it == node_.inputs.end()) return out;
    for (auto& name : it->second) out.push_back(built_.nodes.at(name));
    return out;
  }

 private:
  const GraphNode& node_;
  Params params_;
  const BuiltGraph& built_;
  uint64_t seed_;
  std::string run_dir_;
};

void run_stage_here(Stage& stage, RunContext& ctx) {
  ctx.log("stage " + stage.name());
  try {
    stage.run(ctx);
  } catch (const Error& e) {
    if (!e.node().empty()) throw;
    throw Error(e.message(), stage.name(), e.param());
  } catch (const c10::Error& e) {
    throw Error(std::string("torch: ") + e.what_without_backtrace(), stage.name());
  }
}

void run_stage(Stage& stage, RunContext& ctx) {
  // In a data-parallel run every rank trains; the other stages (evaluate, exports) make files,
  // which rank 0 alone writes while the others wait: later nodes may read those files.
  auto* host = dynamic_cast<HostRunContext*>(&ctx);
  if (host && host->dist() && !dynamic_cast<Trainer*>(&stage)) {
    if (host->main_rank()) run_stage_here(stage, ctx);
    host->dist()->barrier(std::chrono::hours(24), "waiting for rank 0's stage '" + stage.name() + "'");
    return;
  }
  run_stage_here(stage, ctx);
}
}  // namespace

uint64_t node_seed(uint64_t graph_seed, const std::string& node_name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the name
  for (unsigned char c : node_name) h = (h ^ c) * 1099511628211ull;
  uint64_t z = graph_seed + h + 0x9e3779b97f4a7c15ull;  // splitmix64 finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

BuiltGraph execute_graph(const Graph& g, const HostRegistry& registry, RunContext* ctx) {
  BuiltGraph built;
  built.order = build_order(g);
  for (auto& name : built.order) {
    if (ctx && ctx->stop_requested()) break;
    const GraphNode& node = *g.find(name);
    const NodeSpec& spec = registry.at(node.type);
    HostBuildContext bctx(node, Params(name, node.params), built, node_seed(g.seed, name), ctx ? ctx->run_dir() : "");
    std::shared_ptr<Node> made;
    try {
      made = spec.factory(bctx);
    } catch (const Error& e) {
      throw NodeBuildError(e.message(), e.node().empty() ? name : e.node(), e.param());
    } catch (const std::exception& e) {
      throw NodeBuildError(exception_message(e), name);
    }
    if (!made) throw NodeBuildError("the factory of " + node.type + " returned nothing", name);
    made->set_name(name);
    built.nodes[name] = made;
    if (auto stage = std::dynamic_pointer_cast<Stage>(made); stage && ctx) run_stage(*stage, *ctx);
  }
  return built;
}

}  // namespace ganflow
