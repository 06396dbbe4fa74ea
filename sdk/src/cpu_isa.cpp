#include "ganflow/cpu_isa.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace ganflow {

std::string CpuIsa::describe() const {
  std::string s;
  for (auto [on, name] : {std::pair{avx2, "AVX2"}, {avx512f, "AVX-512F"}, {avx512_bf16, "AVX512-BF16"}, {amx_bf16, "AMX-BF16"}})
    if (on) s += (s.empty() ? "" : " ") + std::string(name);
  return s.empty() ? "below AVX2" : s;
}

const CpuIsa& cpu_isa() {
  static const CpuIsa isa = [] {
    std::set<std::string> flags;
    CpuIsa i;
    std::ifstream f("/proc/cpuinfo");
    for (std::string line; std::getline(f, line) && flags.empty();) {  // every core reports the same
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      if (line.rfind("model name", 0) == 0 && i.model.empty()) i.model = line.substr(std::min(colon + 2, line.size()));
      if (line.rfind("flags", 0) == 0) {
        std::istringstream words(line.substr(colon + 1));
        for (std::string w; words >> w;) flags.insert(w);
      }
    }
    i.avx2 = flags.count("avx2");
    i.avx512f = flags.count("avx512f");
    i.avx512_core = i.avx512f && flags.count("avx512bw") && flags.count("avx512vl") && flags.count("avx512dq");
    i.avx512_bf16 = flags.count("avx512_bf16");
    i.amx_bf16 = flags.count("amx_bf16");
    return i;
  }();
  return isa;
}

}  // namespace ganflow
