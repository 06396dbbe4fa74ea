#include "ganflow/framework/train/checkpoint.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fcntl.h>
#include <torch/serialize.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ganflow/error.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {
std::string shape_text(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}
void fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

StateDict state_dict(const torch::nn::Module& m) {
  StateDict sd;
  for (auto& p : m.named_parameters(true)) sd.insert(p.key(), p.value().detach().to(torch::kCPU).clone());
  for (auto& b : m.named_buffers(true)) sd.insert(b.key(), b.value().detach().to(torch::kCPU).clone());
  return sd;
}

void load_state_dict(torch::nn::Module& m, const StateDict& sd, const std::string& what) {
  torch::NoGradGuard ng;
  auto copy = [&](const std::string& name, torch::Tensor& dst) {
    if (!sd.contains(name)) throw Error(what + ": the checkpoint has no entry '" + name + "' (a different graph?)");
    torch::Tensor src = sd.at(name);
    if (src.sizes() != dst.sizes())
      throw Error(what + ": parameter '" + name + "' has shape " + shape_text(src) + " in the checkpoint but " +
                  shape_text(dst) + " in the graph's model (a different graph?)");
    dst.copy_(src);
  };
  for (auto& p : m.named_parameters(true)) copy(p.key(), p.value());
  for (auto& b : m.named_buffers(true)) copy(b.key(), b.value());
}

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

void save_pickle_atomically(const c10::IValue& value, const std::string& path) {
  std::vector<char> bytes = torch::pickle_save(value);
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f.write(bytes.data(), std::streamsize(bytes.size())) || !f.flush())
      throw Error("cannot write checkpoint '" + tmp + "'");
  }
  fsync_path(tmp, O_RDONLY);
  std::error_code ec;
  if (fs::exists(path)) fs::rename(path, path + ".prev", ec);
  fs::rename(tmp, path, ec);
  if (ec) throw Error("cannot move checkpoint into place at '" + path + "': " + ec.message());
  fsync_path(fs::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

c10::IValue load_pickle(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("checkpoint '" + path + "': cannot open");
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string older = fs::exists(path + ".prev") ? "; the previous checkpoint is intact: --resume " + path + ".prev" : "";
  try {
    return torch::pickle_load(bytes);
  } catch (const std::exception&) {
    throw Error("checkpoint '" + path + "' is corrupt or truncated (" + std::to_string(bytes.size()) + " bytes)" + older);
  }
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
  return c10::impl::toTypedDict<std::string, torch::Tensor>(at(key).toGenericDict());
}

torch::Tensor Checkpoint::tensor(const std::string& key, const torch::Device& dev) const {
  torch::Tensor t = at(key).toTensor();
  return t.numel() ? t.to(dev) : torch::Tensor();
}

void Checkpoint::save(const std::string& path) const {
  auto d = dict_.copy();
  d.insert_or_assign("meta", meta.dump());
  save_pickle_atomically(c10::IValue(d), path);
}

Checkpoint Checkpoint::load(const std::string& path) {
  Checkpoint ck;
  ck.path_ = path;
  c10::IValue v = load_pickle(path);
  if (!v.isGenericDict()) throw Error("checkpoint '" + path + "' is not a checkpoint (a model file?)");
  ck.dict_ = v.toGenericDict();
  ck.meta = json::parse(ck.at("meta").toStringRef());
  return ck;
}

void save_model_file(const torch::nn::Module& m, const std::string& path) {
  save_pickle_atomically(c10::IValue(state_dict(m)), path);
}

}  // namespace ganflow
