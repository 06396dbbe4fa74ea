#include "ganflow/framework/plugin/plugin_descriptor.hpp"

#include <elf.h>
#include <torch/version.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "ganflow/error.hpp"

namespace ganflow {

namespace {
template <class T> T read_at(std::ifstream& f, std::uint64_t offset, const std::string& path) {
  T value{};
  f.seekg(std::streamoff(offset));
  f.read(reinterpret_cast<char*>(&value), sizeof(T));
  if (!f) throw Error(path + ": truncated ELF file");
  return value;
}
}  // namespace

ganflow_plugin_descriptor read_plugin_descriptor(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open");
  auto eh = read_at<Elf64_Ehdr>(f, 0, path);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
    throw Error(path + ": not a 64-bit ELF shared library");
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum)
    throw Error(path + ": malformed ELF section table");
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  for (unsigned i = 0; i < eh.e_shnum; ++i)
    sections[i] = read_at<Elf64_Shdr>(f, eh.e_shoff + i * sizeof(Elf64_Shdr), path);
  const Elf64_Shdr& names = sections[eh.e_shstrndx];
  std::vector<char> strtab(names.sh_size + 1, 0);
  f.seekg(std::streamoff(names.sh_offset));
  f.read(strtab.data(), std::streamsize(names.sh_size));
  if (!f) throw Error(path + ": truncated ELF file");
  for (auto& s : sections) {
    if (s.sh_name >= names.sh_size || std::strcmp(&strtab[s.sh_name], GANFLOW_DESCRIPTOR_SECTION) != 0) continue;
    if (s.sh_size < 2 * sizeof(std::uint32_t) + 8) throw Error(path + ": descriptor section too small");
    ganflow_plugin_descriptor d{};
    f.seekg(std::streamoff(s.sh_offset));
    f.read(reinterpret_cast<char*>(&d), std::streamsize(std::min<std::uint64_t>(s.sh_size, sizeof d)));
    if (!f) throw Error(path + ": truncated descriptor");
    if (std::memcmp(d.magic, GANFLOW_DESCRIPTOR_MAGIC, 8) != 0) throw Error(path + ": bad descriptor magic");
    d.library[sizeof d.library - 1] = 0;
    d.version[sizeof d.version - 1] = 0;
    return d;
  }
  throw Error(path + ": no ganflow plugin descriptor (section " GANFLOW_DESCRIPTOR_SECTION
              "); was it built with GANFLOW_PLUGIN?");
}

std::string check_plugin_descriptor(const ganflow_plugin_descriptor& d, const std::string& path) {
  auto v = [](unsigned a, unsigned b) { return std::to_string(a) + "." + std::to_string(b); };
  if (d.struct_size < sizeof(ganflow_plugin_descriptor))
    return path + ": descriptor of " + std::to_string(d.struct_size) + " bytes, host expects " +
           std::to_string(sizeof(ganflow_plugin_descriptor));
  if (d.abi_major != GANFLOW_ABI_MAJOR)
    return path + ": built for ganflow SDK ABI " + v(d.abi_major, d.abi_minor) + ", host has " +
           v(GANFLOW_ABI_MAJOR, GANFLOW_ABI_MINOR) + " (major differs: rebuild the plugin)";
  if (d.abi_minor > GANFLOW_ABI_MINOR)
    return path + ": built for ganflow SDK ABI " + v(d.abi_major, d.abi_minor) + ", host has " +
           v(GANFLOW_ABI_MAJOR, GANFLOW_ABI_MINOR) + " (plugin is newer: upgrade ganflow)";
  if (d.torch_major != TORCH_VERSION_MAJOR || d.torch_minor != TORCH_VERSION_MINOR)
    return path + ": built against LibTorch " + v(d.torch_major, d.torch_minor) + ", host uses " +
           v(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR);
  if (d.cxx11_abi != _GLIBCXX_USE_CXX11_ABI)
    return path + ": built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(d.cxx11_abi) + ", host uses " +
           std::to_string(_GLIBCXX_USE_CXX11_ABI);
  return "";
}

}  // namespace ganflow
