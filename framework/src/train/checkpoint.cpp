#include "ganflow/framework/train/checkpoint.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>

#include <filesystem>
#include <sstream>

#include "ganflow/error.hpp"

namespace fs = std::filesystem;

namespace ganflow {

torch::Tensor optimizer_state(torch::optim::Optimizer& opt) {
  torch::serialize::OutputArchive ar;
  opt.save(ar);
  std::ostringstream s;
  ar.save_to(s);
  std::string bytes = s.str();
  return torch::from_blob(bytes.data(), {int64_t(bytes.size())}, torch::kUInt8).clone();
}

void load_optimizer_state(torch::optim::Optimizer& opt, const torch::Tensor& bytes) {
  torch::serialize::InputArchive ar;
  auto b = bytes.contiguous();
  ar.load_from(reinterpret_cast<const char*>(b.data_ptr<uint8_t>()), size_t(b.numel()));
  opt.load(ar);
}

torch::Tensor cpu_rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

void Checkpoint::put(const std::string& key, c10::IValue value) { dict_.insert_or_assign(key, std::move(value)); }

void Checkpoint::put_tensor(const std::string& key, const torch::Tensor& t) {
  put(key, t.defined() ? t.to(torch::kCPU) : torch::empty({0}));
}

const c10::IValue& Checkpoint::at(const std::string& key) const {
  auto it = dict_.find(key);
  if (it == dict_.end())
    throw Error("checkpoint '" + path_ + "' has no '" + key + "' (written by another kind of stage?)");
  return it->value();
}

StateDict Checkpoint::state(const std::string& key) const {
  return to_state_dict(at(key), "checkpoint '" + path_ + "' entry '" + key + "'");
}

torch::Tensor Checkpoint::tensor(const std::string& key, const torch::Device& dev) const {
  torch::Tensor t = at(key).toTensor();
  return t.numel() ? t.to(dev) : torch::Tensor();
}

void Checkpoint::save(const std::string& path) const {
  auto d = dict_.copy();
  d.insert_or_assign("meta", meta.dump());
  // Written beside it first, so a crash at any point leaves the old checkpoint or the new one.
  save_pickle(c10::IValue(d), path + ".next");
  std::error_code ec;
  if (fs::exists(path)) fs::rename(path, path + ".prev", ec);
  fs::rename(path + ".next", path, ec);
  if (ec) throw Error("cannot move checkpoint into place at '" + path + "': " + ec.message());
}

Checkpoint Checkpoint::load(const std::string& path) {
  c10::IValue v;
  try {
    v = load_pickle(path);
  } catch (const Error& e) {
    const bool older = fs::exists(path + ".prev");
    throw Error("checkpoint " + e.message() + (older ? "; the previous checkpoint is intact: --resume " + path + ".prev" : ""));
  }
  return from_pickle(v, path);
}

Checkpoint Checkpoint::from_pickle(const c10::IValue& v, const std::string& path) {
  Checkpoint ck;
  ck.path_ = path;
  if (!v.isGenericDict()) throw Error("checkpoint '" + path + "' is not a checkpoint (a model file?)");
  ck.dict_ = v.toGenericDict();
  ck.meta = json::parse(ck.at("meta").toStringRef());
  return ck;
}

}  // namespace ganflow
