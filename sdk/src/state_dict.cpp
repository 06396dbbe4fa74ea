#include "ganflow/state_dict.hpp"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/serialize.h>

#include <fstream>
#include <iterator>

#include "ganflow/error.hpp"
#include "ganflow/file_write.hpp"

namespace ganflow {

namespace {
// torch::pickle_save, but without the type tags it wraps every dict and list in
// (torch.jit._pickle.restore_type_tag): PyTorch 2.6 and later refuse that global in
// torch.load's default weights_only mode, so ganflow's files would not load there.
std::vector<char> pickle_untagged(const c10::IValue& value) {
  std::vector<char> data;
  torch::jit::Pickler pickler([&](const char* bytes, size_t n) { data.insert(data.end(), bytes, bytes + n); },
                              nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  std::vector<char> out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t n) {
    out.insert(out.end(), static_cast<const char*>(bytes), static_cast<const char*>(bytes) + n);
    return n;
  });
  torch::jit::writeArchiveAndTensors("data", data.data(), data.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return out;
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
  const std::vector<char> bytes = pickle_untagged(value);
  replace_file(path, bytes.data(), bytes.size());
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

StateDict to_state_dict(const c10::IValue& v, const std::string& source, const std::string& param) {
  auto refuse = [&] { return Error(source + " does not hold a state dict (a dict of tensors by name)", "", param); };
  if (!v.isGenericDict()) throw refuse();
  // Python's torch.save and ganflow's untagged files give a Dict[Any, Any]: copied entry by
  // entry, not cast.
  StateDict sd;
  for (const auto& item : v.toGenericDict()) {
    if (!item.key().isString() || !item.value().isTensor()) throw refuse();
    sd.insert(item.key().toStringRef(), item.value().toTensor());
  }
  return sd;
}

StateDict load_state_dict_file(const std::string& path, const std::string& param) {
  return to_state_dict(load_pickle(path, param), "'" + path + "'", param);
}

}  // namespace ganflow
