#include "state_dict_file.hpp"

#include <ganflow/error.hpp>

#include <torch/serialize.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

namespace ganflow_superres {

namespace {
std::map<std::string, torch::Tensor> entries(const torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters(true)) out[p.key()] = p.value();
  for (const auto& b : m.named_buffers(true)) out[b.key()] = b.value();
  return out;
}
}  // namespace

void save_state_dict(const torch::nn::Module& m, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [k, v] : entries(m)) dict.insert(k, v.detach().to(torch::kCPU).clone());
  std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) throw ganflow::Error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);  // readers never see half a file
}

void load_state_dict(torch::nn::Module& m, const std::string& path, const std::string& param) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ganflow::Error("cannot read " + path, "", param);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue v = torch::pickle_load(bytes);
  if (!v.isGenericDict()) throw ganflow::Error(path + " does not hold a dict of tensors", "", param);
  auto dst = entries(m);
  std::set<std::string> seen;
  torch::NoGradGuard ng;
  for (const auto& item : v.toGenericDict()) {
    const std::string key = item.key().toStringRef();
    auto it = dst.find(key);
    if (it == dst.end()) throw ganflow::Error(path + ": '" + key + "' is not a tensor of this model", "", param);
    torch::Tensor src = item.value().toTensor();
    if (src.sizes() != it->second.sizes())
      throw ganflow::Error(path + ": '" + key + "' has shape " + c10::str(src.sizes()) + ", the model's is " +
                               c10::str(it->second.sizes()), "", param);
    it->second.copy_(src);
    seen.insert(key);
  }
  for (const auto& [k, t] : dst)
    if (!seen.count(k)) throw ganflow::Error(path + " lacks '" + k + "' of this model", "", param);
}

}  // namespace ganflow_superres
