#include "ganflow/framework/dist/gradient_reducer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "ganflow/error.hpp"
#include "ganflow/framework/dist/dist_group.hpp"

namespace ganflow {

struct GradientReducer::Bucket {
  std::vector<std::size_t> members;  // parameter indices, in arrival order (Set::slot: where each is)
  torch::Tensor flat;                // what c10d sums: one tensor
  std::size_t missing = 0;           // this step's gradients not yet in
};

struct GradientReducer::Set {
  std::vector<torch::Tensor> params;
  std::vector<std::optional<unsigned>> hooks;  // register_hook's handle per parameter, once it trains
  bool learned = false;         // `buckets` hold the order gradients arrive in
  std::vector<Bucket> buckets;
  std::vector<std::pair<int64_t, int64_t>> slot;  // per parameter: (bucket, offset); bucket -1: in none
  // This step:
  std::vector<std::size_t> arrived;
  std::vector<char> seen;
  bool off_course = false;  // a gradient arrived that the buckets do not expect

  // Each member's gradient := its slice of the summed bucket, over `ranks`.
  void take_means(int ranks) {
    for (Bucket& k : buckets) {
      k.flat.div_(double(ranks));
      for (std::size_t i : k.members) {
        torch::Tensor& g = params[i].mutable_grad();
        g.copy_(k.flat.narrow(0, slot[i].second, g.numel()).view(g.sizes()));
      }
    }
  }
};

GradientReducer::GradientReducer(DistGroup& group, int64_t bucket_bytes) : group_(group), bucket_bytes_(bucket_bytes) {}

GradientReducer::~GradientReducer() {
  for (auto& s : sets_)
    for (std::size_t i = 0; i < s->params.size(); ++i)
      if (s->hooks[i]) s->params[i].remove_hook(*s->hooks[i]);
}

void GradientReducer::arm(const std::vector<torch::Tensor>& params) {
  auto it = std::find_if(sets_.begin(), sets_.end(), [&](auto& s) {
    return s->params.size() == params.size() && (params.empty() || s->params.front().is_same(params.front()));
  });
  if (it == sets_.end()) {
    auto s = std::make_unique<Set>();
    s->params = params;
    s->hooks.resize(params.size());
    s->seen.assign(params.size(), 0);
    it = sets_.insert(sets_.end(), std::move(s));
  }
  Set& s = **it;
  // A hook from the first step the parameter trains in (a frozen one cannot take one).
  for (std::size_t i = 0; i < s.params.size(); ++i)
    if (!s.hooks[i] && s.params[i].requires_grad())
      s.hooks[i] = s.params[i].register_hook([this, set = &s, i](const torch::Tensor& g) { ready(*set, i, g); });
  s.arrived.clear();
  std::fill(s.seen.begin(), s.seen.end(), 0);
  s.off_course = false;
  for (Bucket& k : s.buckets) k.missing = k.members.size();
  overlapped_ = 0;
  armed_ = &s;
}

// An autograd hook, on the thread running backward, before the gradient is accumulated into
// .grad (the loop leaves .grad undefined between steps; a defined one is added).
void GradientReducer::ready(Set& s, std::size_t i, const torch::Tensor& grad) {
  if (armed_ != &s) return;  // not this step's network
  s.arrived.push_back(i);
  if (!s.learned) return;
  const auto [b, off] = s.slot[i];
  if (b < 0 || s.seen[i] || !grad.defined()) {
    s.off_course = true;
    return;
  }
  s.seen[i] = 1;
  Bucket& k = s.buckets[std::size_t(b)];
  const torch::Tensor& p = s.params[i];
  torch::Tensor dst = k.flat.narrow(0, off, p.numel()).view(p.sizes());
  if (p.grad().defined())
    torch::add_out(dst, p.grad(), grad);
  else
    dst.copy_(grad);
  if (--k.missing == 0) {
    group_.start_sum(k.flat);
    ++overlapped_;
  }
}

void GradientReducer::finish(const std::string& what) {
  Set* armed = std::exchange(armed_, nullptr);
  if (!armed) return;
  Set& s = *armed;
  const bool complete = s.learned && !s.off_course &&
                        std::all_of(s.buckets.begin(), s.buckets.end(), [](const Bucket& k) { return k.missing == 0; });
  group_.wait_sums(what);
  if (complete) {
    s.take_means(group_.size());
    return;
  }
  // The first step, or gradients that came otherwise: learn this step's order, rank 0's for all.
  std::vector<std::size_t> order;
  for (std::size_t i : s.arrived)
    if (s.params[i].grad().defined() && std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
  average_after_backward(s, order, what);
}

void GradientReducer::average_after_backward(Set& s, const std::vector<std::size_t>& mine, const std::string& what) {
  // Buckets must pack the same parameters the same way on every rank: rank 0's order is used,
  // and a rank whose gradients are for other parameters stops here rather than mixing them.
  torch::Tensor order = torch::full({int64_t(s.params.size()) + 1}, -1, torch::kLong);
  order[0] = int64_t(mine.size());
  for (std::size_t j = 0; j < mine.size(); ++j) order[int64_t(j) + 1] = int64_t(mine[j]);
  torch::Tensor on_device = order.to(s.params.empty() ? torch::kCPU : s.params.front().device());
  group_.broadcast({on_device}, what + " (the gradients' order)");
  order = on_device.cpu();
  const int64_t* o = order.data_ptr<int64_t>();
  const std::vector<std::size_t> agreed(o + 1, o + 1 + o[0]);
  std::vector<std::size_t> a = agreed, m = mine;
  std::sort(a.begin(), a.end());
  std::sort(m.begin(), m.end());
  if (a != m)
    throw Error("rank " + std::to_string(group_.rank()) + ": " + what + ": this rank has gradients for " +
                std::to_string(m.size()) + " parameters, rank 0 for " + std::to_string(a.size()) +
                (a.size() == m.size() ? " (other ones)" : "") + "; every rank must train the same parameters");

  s.buckets.clear();
  s.slot.assign(s.params.size(), {-1, 0});
  int64_t bytes = 0;
  for (std::size_t i : agreed) {
    const torch::Tensor& p = s.params[i];
    const int64_t b = p.numel() * int64_t(p.element_size());
    if (s.buckets.empty() || bytes + b > bucket_bytes_ || s.buckets.back().flat.scalar_type() != p.scalar_type() ||
        s.buckets.back().flat.device() != p.device()) {
      s.buckets.emplace_back();
      s.buckets.back().flat = torch::empty({0}, p.options());
      bytes = 0;
    }
    Bucket& k = s.buckets.back();
    s.slot[i] = {int64_t(s.buckets.size()) - 1, bytes / int64_t(p.element_size())};
    k.members.push_back(i);
    bytes += b;
  }
  for (Bucket& k : s.buckets) {
    int64_t numel = 0;
    for (std::size_t i : k.members) numel += s.params[i].numel();
    k.flat = torch::empty({numel}, k.flat.options());
    for (std::size_t i : k.members) {
      const torch::Tensor& g = s.params[i].grad();
      k.flat.narrow(0, s.slot[i].second, g.numel()).view(g.sizes()).copy_(g);
    }
    group_.start_sum(k.flat);
  }
  group_.wait_sums(what);
  s.take_means(group_.size());
  s.learned = true;
}

}  // namespace ganflow
