#include "npz.hpp"

#include <ganflow/error.hpp>
#include <ganflow/file_write.hpp>

#include <torch/torch.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <regex>

namespace ganflow_quality {

namespace {
struct Dtype {
  const char* descr;
  torch::ScalarType type;
};
constexpr Dtype kDtypes[] = {{"<f8", torch::kDouble}, {"<f4", torch::kFloat}, {"<i8", torch::kLong}, {"|u1", torch::kByte}};

void put16(std::string& s, uint32_t v) { s += char(v & 0xff), s += char((v >> 8) & 0xff); }
void put32(std::string& s, uint32_t v) { put16(s, v & 0xffff), put16(s, v >> 16); }
uint32_t get16(const std::string& s, std::size_t at) { return uint8_t(s.at(at)) | uint32_t(uint8_t(s.at(at + 1))) << 8; }
uint32_t get32(const std::string& s, std::size_t at) { return get16(s, at) | get16(s, at + 2) << 16; }
uint64_t get64(const std::string& s, std::size_t at) { return get32(s, at) | uint64_t(get32(s, at + 4)) << 32; }

// NPY format 1.0: magic, version, header length, a Python dict literal padded to 64 bytes.
std::string npy(const torch::Tensor& t, const std::string& key) {
  const Dtype* d = nullptr;
  for (const auto& k : kDtypes)
    if (k.type == t.scalar_type()) d = &k;
  if (!d) throw ganflow::Error("npz: array '" + key + "' has a type .npz files here do not hold: " +
                               std::string(c10::toString(t.scalar_type())));
  std::string shape = "(";
  for (int64_t s : t.sizes()) shape += std::to_string(s) + ",";
  if (t.dim() > 1) shape.pop_back();
  shape += ")";
  std::string header = "{'descr': '" + std::string(d->descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  header += std::string(64 - (10 + header.size() + 1) % 64, ' ') + "\n";
  std::string out("\x93NUMPY\x01\x00", 8);
  put16(out, uint32_t(header.size()));
  out += header;
  const torch::Tensor c = t.contiguous().cpu();
  out.append(static_cast<const char*>(c.data_ptr()), c.nbytes());
  return out;
}

torch::Tensor parse_npy(const std::string& b, const std::string& where) {
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) throw ganflow::Error(where + ": not a .npy array");
  const int major = uint8_t(b[6]);
  const std::size_t len = major == 1 ? get16(b, 8) : get32(b, 8), start = major == 1 ? 10 : 12;
  const std::string header = b.substr(start, len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'")))
    throw ganflow::Error(where + ": .npy header without descr");
  const Dtype* d = nullptr;
  for (const auto& k : kDtypes)
    if (m[1] == k.descr) d = &k;
  if (!d) throw ganflow::Error(where + ": dtype " + m[1].str() + " is not read here (float64, float32, int64, uint8)");
  if (header.find("'fortran_order': True") != std::string::npos)
    throw ganflow::Error(where + ": Fortran-order arrays are not read here");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    throw ganflow::Error(where + ": .npy header without shape");
  std::vector<int64_t> shape;
  const std::string dims = m[1];
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it)
    shape.push_back(std::stoll(it->str()));
  torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(d->type));
  if (b.size() - start - len != t.nbytes())
    throw ganflow::Error(where + ": holds " + std::to_string(b.size() - start - len) + " data bytes, its shape needs " +
                         std::to_string(t.nbytes()));
  std::memcpy(t.data_ptr(), b.data() + start + len, t.nbytes());
  return t;
}

std::string inflate_raw(const std::string& in, std::size_t out_size, const std::string& where) {
  std::string out(out_size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw ganflow::Error(where + ": zlib");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  const int rc = inflate(&z, Z_FINISH);
  inflateEnd(&z);
  if (rc != Z_STREAM_END || z.total_out != out_size) throw ganflow::Error(where + ": corrupt deflated entry");
  return out;
}
}  // namespace

void save_npz(const std::string& path, const std::map<std::string, torch::Tensor>& arrays) {
  std::string zip, central;
  for (const auto& [key, t] : arrays) {
    const std::string name = key + ".npy", data = npy(t, key);
    const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(data.data()), uInt(data.size())));
    auto header = [&](std::string& s, bool central_entry, uint32_t offset) {
      put32(s, central_entry ? 0x02014b50 : 0x04034b50);
      if (central_entry) put16(s, 20);  // made by
      put16(s, 20), put16(s, 0), put16(s, 0), put16(s, 0), put16(s, 0x21);  // version, flags, stored, time, date
      put32(s, crc), put32(s, uint32_t(data.size())), put32(s, uint32_t(data.size()));
      put16(s, uint32_t(name.size())), put16(s, 0);
      if (central_entry) put16(s, 0), put16(s, 0), put16(s, 0), put32(s, 0), put32(s, offset);
      s += name;
    };
    header(central, true, uint32_t(zip.size()));
    header(zip, false, 0);
    zip += data;
  }
  const uint32_t central_at = uint32_t(zip.size());
  zip += central;
  put32(zip, 0x06054b50), put16(zip, 0), put16(zip, 0), put16(zip, uint32_t(arrays.size())),
      put16(zip, uint32_t(arrays.size())), put32(zip, uint32_t(central.size())), put32(zip, central_at), put16(zip, 0);
  ganflow::replace_file(path, zip);
}

std::map<std::string, torch::Tensor> load_npz(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ganflow::Error(path + ": cannot read");
  const std::string b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::size_t eocd = b.size() >= 22 ? b.rfind(std::string("PK\x05\x06", 4)) : std::string::npos;
  if (eocd == std::string::npos || eocd + 22 > b.size()) throw ganflow::Error(path + ": not a .npz (zip) archive");
  std::map<std::string, torch::Tensor> out;
  try {
    std::size_t at = get32(b, eocd + 16);
    const uint32_t entries = get16(b, eocd + 10);
    for (uint32_t i = 0; i < entries; ++i) {
      if (get32(b, at) != 0x02014b50) throw ganflow::Error(path + ": corrupt central directory");
      const uint32_t method = get16(b, at + 10), name_len = get16(b, at + 28), extra_len = get16(b, at + 30),
                     comment_len = get16(b, at + 32);
      uint64_t packed = get32(b, at + 20), size = get32(b, at + 24), offset = get32(b, at + 42);
      const std::string name = b.substr(at + 46, name_len);
      // zip64: the sizes and offset that read 0xffffffff follow in extra field 0x0001, in this order.
      for (std::size_t e = at + 46 + name_len; e + 4 <= at + 46 + name_len + extra_len; e += 4 + get16(b, e + 2)) {
        if (get16(b, e) != 1) continue;
        std::size_t v = e + 4;
        if (size == 0xffffffff) size = get64(b, v), v += 8;
        if (packed == 0xffffffff) packed = get64(b, v), v += 8;
        if (offset == 0xffffffff) offset = get64(b, v);
      }
      at += 46 + name_len + extra_len + comment_len;
      if (get32(b, offset) != 0x04034b50) throw ganflow::Error(path + ": corrupt entry " + name);
      const std::size_t data_at = offset + 30 + get16(b, offset + 26) + get16(b, offset + 28);
      if (data_at + packed > b.size()) throw ganflow::Error(path + ": truncated entry " + name);
      std::string bytes = b.substr(data_at, packed);
      const std::string where = path + " [" + name + "]";
      if (method == 8) bytes = inflate_raw(bytes, size, where);
      else if (method != 0) throw ganflow::Error(where + ": compression method " + std::to_string(method) + " is not read here");
      const std::string key = name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0 ? name.substr(0, name.size() - 4) : name;
      out[key] = parse_npy(bytes, where);
    }
  } catch (const std::out_of_range&) {
    throw ganflow::Error(path + ": truncated .npz archive");
  }
  return out;
}

}  // namespace ganflow_quality
