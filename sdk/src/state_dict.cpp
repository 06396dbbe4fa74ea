#include "ganflow/state_dict.hpp"

#include <fcntl.h>
#include <torch/serialize.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "ganflow/error.hpp"

namespace fs = std::filesystem;

namespace ganflow {

namespace {
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

void load_state_dict(torch::nn::Module& m, const StateDict& sd, const std::string& source, const std::string& param) {
  torch::NoGradGuard ng;
  auto copy = [&](const std::string& name, torch::Tensor& dst) {
    if (!sd.contains(name)) throw Error(source + " has no entry '" + name + "' (weights of another model?)", "", param);
    torch::Tensor src = sd.at(name);
    if (src.sizes() != dst.sizes())
      throw Error(source + ": '" + name + "' has shape " + c10::str(src.sizes()) + ", the model's is " +
                      c10::str(dst.sizes()) + " (weights of another model?)",
                  "", param);
    dst.copy_(src);
  };
  for (auto& p : m.named_parameters(true)) copy(p.key(), p.value());
  for (auto& b : m.named_buffers(true)) copy(b.key(), b.value());
}

void save_pickle(const c10::IValue& value, const std::string& path) {
  std::vector<char> bytes = torch::pickle_save(value);
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f.write(bytes.data(), std::streamsize(bytes.size())) || !f.flush()) throw Error("cannot write '" + tmp + "'");
  }
  fsync_path(tmp, O_RDONLY);
  fs::rename(tmp, path, ec);
  if (ec) throw Error("cannot move '" + tmp + "' into place at '" + path + "': " + ec.message());
  fsync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
}

c10::IValue load_pickle(const std::string& path, const std::string& param) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("'" + path + "': cannot open", "", param);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  try {
    return torch::pickle_load(bytes);
  } catch (const std::exception&) {
    throw Error("'" + path + "' is corrupt or truncated (" + std::to_string(bytes.size()) + " bytes)", "", param);
  }
}

void save_state_dict_file(const torch::nn::Module& m, const std::string& path) {
  save_pickle(c10::IValue(state_dict(m)), path);
}

StateDict load_state_dict_file(const std::string& path, const std::string& param) {
  c10::IValue v = load_pickle(path, param);
  auto refuse = [&] { return Error("'" + path + "' does not hold a state dict (a dict of tensors by name)", "", param); };
  if (!v.isGenericDict()) throw refuse();
  // Python's torch.save gives a Dict[Any, Any]: copied entry by entry, not cast.
  StateDict sd;
  for (const auto& item : v.toGenericDict()) {
    if (!item.key().isString() || !item.value().isTensor()) throw refuse();
    sd.insert(item.key().toStringRef(), item.value().toTensor());
  }
  return sd;
}

}  // namespace ganflow
