#include "ganflow/framework/dist/dist_group.hpp"

#include <torch/torch.h>
#include <torch/version.h>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

// Gloo's and NCCL's c10d headers are guarded by the macros PyTorch's own build defines.
#if __has_include(<gloo/algorithm.h>)
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define GANFLOW_HAS_GLOO 1
#endif
#if defined(GANFLOW_CUDA_TORCH) && __has_include(<nccl.h>)
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define GANFLOW_HAS_NCCL 1
#endif

#include <cstdlib>
#include <exception>
#include <future>
#include <thread>
#include <utility>

#include "ganflow/error.hpp"

namespace ganflow {

namespace {
// 1.13's process groups are c10d::ProcessGroup; since 2.0 the backends are c10d::Backend.
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

bool loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0; }

struct Overdue {};

// f() on a thread of its own, for up to `limit`: TCPStore's client can wait for ever in its
// first exchange when another program listens on the port. An overdue f is left behind.
template <class F>
auto within(std::chrono::milliseconds limit, F f) -> decltype(f()) {
  auto done = std::make_shared<std::promise<decltype(f())>>();
  std::future<decltype(f())> result = done->get_future();
  std::thread([done, f]() mutable {
    try {
      done->set_value(f());
    } catch (...) {
      done->set_exception(std::current_exception());
    }
  }).detach();
  if (result.wait_for(limit) != std::future_status::ready) throw Overdue{};
  return result.get();
}

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}
}  // namespace

struct DistGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Backend> pg;
  std::vector<c10::intrusive_ptr<c10d::Work>> started;  // start_sum's, until wait_sums
  std::exception_ptr failed;                            // start_sum's first failure
};

DistGroup::DistGroup(World world, const torch::Device& device, std::chrono::milliseconds timeout)
    : world_(std::move(world)), timeout_(timeout), impl_(std::make_unique<Impl>()) {
  const std::string at = world_.master_addr + ":" + std::to_string(world_.master_port);
  // torchrun's agent already hosts a store at MASTER_ADDR:MASTER_PORT; every rank joins it.
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool agent_store = agent && std::string(agent) == "True";
  const bool server = world_.main() && !agent_store;
  try {
    c10d::TCPStoreOptions o;
    o.port = uint16_t(world_.master_port);
    o.isServer = server;
    o.numWorkers = size_t(world_.size);
    o.waitWorkers = !agent_store;
    o.timeout = timeout;
    const std::string addr = world_.master_addr;
    auto make = [&](const c10d::TCPStoreOptions& opts) {
      return within(timeout + std::chrono::seconds(5), [addr, opts] { return c10::make_intrusive<c10d::TCPStore>(addr, opts); });
    };
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    // Since 2.4 the store asks for its libuv backend, which a LibTorch built without libuv
    // (Debian's) refuses: then the classic backend, as PyTorch's USE_LIBUV=0 would choose.
    const char* use_libuv = std::getenv("USE_LIBUV");
    o.useLibUV = !(use_libuv && std::string(use_libuv) == "0");
    c10::intrusive_ptr<c10d::TCPStore> tcp;
    try {
      tcp = make(o);
    } catch (const std::exception& e) {
      if (!o.useLibUV || std::string(e.what()).find("without libuv") == std::string::npos) throw;
      o.useLibUV = false;
      tcp = make(o);
    }
#else
    auto tcp = make(o);
#endif
    impl_->store = c10::make_intrusive<c10d::PrefixStore>("ganflow", tcp);  // apart from torchrun's keys
  } catch (const Overdue&) {
    throw Error("rank " + std::to_string(rank()) + ": no rendezvous at " + at + " within " +
                std::to_string(timeout.count() / 1000) + " s (does another program listen on that port?)");
  } catch (const std::exception& e) {
    const std::string msg = e.what(), secs = std::to_string(timeout.count() / 1000);
    const bool timed_out = msg.find("imed out") != std::string::npos || msg.find("imeout") != std::string::npos;
    std::string what = !server ? "no rendezvous at " + at + " within " + secs + " s"
                       : timed_out    ? "not every rank arrived at " + at + " within the timeout (dist_timeout_s " + secs + ")"
                                      : "cannot host the rendezvous at " + at + " (is the port taken?)";
    throw Error("rank " + std::to_string(rank()) + ": " + what + ": " + first_line(msg));
  }
  try {
    // GANFLOW_DIST_BACKEND=gloo: Gloo for CUDA tensors too (it stages them through the host).
    const char* backend = std::getenv("GANFLOW_DIST_BACKEND");
    if (device.is_cuda() && !(backend && std::string(backend) == "gloo")) {
#ifdef GANFLOW_HAS_NCCL
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, rank(), size(), opts);
      return;
#endif
    }
#ifdef GANFLOW_HAS_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (loopback(world_.master_addr))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, rank(), size(), opts);
#else
    throw Error("this LibTorch has no Gloo backend (c10d/ProcessGroupGloo): multi-process CPU training needs it");
#endif
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("connecting the process group at " + at, e);
  }
}

DistGroup::~DistGroup() = default;

std::string DistGroup::backend() const { return impl_->pg->getBackendName(); }

void DistGroup::fail(const std::string& what, const std::exception& e) const {
  const std::string msg = e.what();
  std::string cause;
  if (msg.find("Connection closed") != std::string::npos || msg.find("Connection reset") != std::string::npos ||
      msg.find("Broken pipe") != std::string::npos || msg.find("Connection refused") != std::string::npos) {
    cause = size() == 2 ? "rank " + std::to_string(1 - rank()) + " stopped answering (it exited or was killed)"
                        : "another rank stopped answering (it exited or was killed)";
  } else if (msg.find("imed out") != std::string::npos || msg.find("imeout") != std::string::npos) {
    cause = "no answer within the timeout (dist_timeout_s " + std::to_string(timeout_.count() / 1000) + ")";
  } else {
    cause = "failed";
  }
  throw Error("rank " + std::to_string(rank()) + ": " + what + ": " + cause + " [" + first_line(msg) + "]");
}

void DistGroup::broadcast(const std::vector<torch::Tensor>& tensors, const std::string& what) {
  try {
    for (const torch::Tensor& t : tensors) {
      std::vector<torch::Tensor> one{t.is_contiguous() ? t : t.contiguous()};
      impl_->pg->broadcast(one)->wait();
      if (!one[0].is_same(t)) t.copy_(one[0]);
    }
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

void DistGroup::start_sum(const torch::Tensor& t) {
  if (impl_->failed) return;  // the first failure is the one wait_sums reports
  try {
    std::vector<torch::Tensor> one{t};
    impl_->started.push_back(impl_->pg->allreduce(one));
  } catch (...) {
    impl_->failed = std::current_exception();
  }
}

void DistGroup::wait_sums(const std::string& what) {
  std::vector<c10::intrusive_ptr<c10d::Work>> started = std::move(impl_->started);
  impl_->started.clear();
  std::exception_ptr failed = std::exchange(impl_->failed, nullptr);
  for (auto& w : started) {  // every one, so none is left in flight after a failure
    try {
      w->wait();
    } catch (...) {
      if (!failed) failed = std::current_exception();
    }
  }
  if (!failed) return;
  try {
    std::rethrow_exception(failed);
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

torch::Tensor DistGroup::all_gather(const torch::Tensor& t, const std::string& what) {
  std::vector<torch::Tensor> input{t.contiguous()};
  std::vector<std::vector<torch::Tensor>> output(1);
  for (int r = 0; r < size(); ++r) output[0].push_back(torch::empty_like(input[0]));
  try {
    impl_->pg->allgather(output, input)->wait();
  } catch (const std::exception& e) {
    fail(what, e);
  }
  return torch::cat(output[0]);
}

void DistGroup::sum(torch::Tensor& values, const std::string& what) {
  try {
    std::vector<torch::Tensor> one{values};
    impl_->pg->allreduce(one)->wait();
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

void DistGroup::barrier(std::chrono::milliseconds timeout, const std::string& what) {
  try {
    c10d::BarrierOptions o;
    o.timeout = timeout;
    impl_->pg->barrier(o)->wait();
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

std::string DistGroup::from_main(const std::string& what, const std::string& value) {
  const std::string key = "ganflow/main/" + what;
  try {
    if (world_.main()) impl_->store->set(key, std::vector<uint8_t>(value.begin(), value.end()));
    const std::vector<uint8_t> v = impl_->store->get(key);
    return std::string(v.begin(), v.end());
  } catch (const std::exception& e) {
    fail("taking rank 0's " + what, e);
  }
}

void DistGroup::check_same(const std::string& what, const std::string& value) {
  const std::string prefix = "ganflow/check/" + what + "/";
  try {
    impl_->store->set(prefix + std::to_string(rank()), std::vector<uint8_t>(value.begin(), value.end()));
    const std::vector<uint8_t> first = impl_->store->get(prefix + "0");
    for (int r = 1; r < size(); ++r)
      if (impl_->store->get(prefix + std::to_string(r)) != first)
        throw Error("rank " + std::to_string(rank()) + ": rank " + std::to_string(r) + "'s " + what +
                    " differs from rank 0's; start every rank with the same graph and flags");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("comparing the " + what + " across ranks", e);
  }
}

}  // namespace ganflow
