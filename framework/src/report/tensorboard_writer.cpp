#include "ganflow/framework/report/tensorboard_writer.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "ganflow/error.hpp"
#include "ganflow/framework/session/process_identity.hpp"

namespace ganflow {

namespace {
// Protobuf's wire format, the few pieces an Event needs.
void varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out += char(uint8_t(v) | 0x80);
  out += char(uint8_t(v));
}
void key(std::string& out, int field, int wire_type) { varint(out, uint64_t(field) << 3 | uint64_t(wire_type)); }
template <class T>
void little_endian(std::string& out, T v) {  // x86 and ARM Linux are little-endian, as protobuf's fixed types
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof v);
}
void bytes_field(std::string& out, int field, const std::string& bytes) {
  key(out, field, 2);
  varint(out, bytes.size());
  out += bytes;
}

std::string event(int64_t step) {
  std::string e;
  key(e, 1, 1);  // wall_time, double
  little_endian(e, std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  key(e, 2, 0);  // step
  varint(e, uint64_t(step));
  return e;
}

uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
}  // namespace

uint32_t crc32c(const std::string& bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (unsigned char b : bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir, const std::string& stage) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  std::string host = host_name();
  if (host.empty()) host = "localhost";
  path_ = (std::filesystem::path(dir) / ("events.out.tfevents." + std::to_string(seconds.count()) + "." + host +
                                         "." + std::to_string(getpid()) + "." + stage))
              .string();
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error("cannot create '" + path_ + "'", stage, "tensorboard");
  std::string first = event(0);
  bytes_field(first, 3, "brain.Event:2");  // file_version: what TensorBoard checks first
  write_event(first);
}

void TensorBoardWriter::scalars(const json& record, const std::string& prefix, int64_t step) {
  std::string summary;
  for (auto it = record.begin(); it != record.end(); ++it) {
    if (!it.value().is_number() || it.key() == "step" || it.key() == "epoch") continue;
    const double v = it.value().get<double>();
    if (!std::isfinite(v)) continue;
    std::string value;
    bytes_field(value, 1, prefix + "/" + it.key());  // tag
    key(value, 2, 5);  // simple_value, float
    little_endian(value, float(v));
    bytes_field(summary, 1, value);
  }
  if (summary.empty()) return;
  std::string e = event(step);
  bytes_field(e, 5, summary);
  write_event(e);
}

void TensorBoardWriter::session_start(int64_t step) {
  std::string log;
  key(log, 1, 0);  // status
  varint(log, 1);  // START
  std::string e = event(step);
  bytes_field(e, 7, log);
  write_event(e);
}

void TensorBoardWriter::image(const std::string& tag, const Image& img, int64_t step) {
  const std::vector<uint8_t> png = encode_png(img);
  std::string image;
  key(image, 1, 0);
  varint(image, uint64_t(img.height));
  key(image, 2, 0);
  varint(image, uint64_t(img.width));
  key(image, 3, 0);  // colorspace: 1 grey, 3 RGB, 4 RGBA, as the image's channels
  varint(image, uint64_t(img.channels));
  bytes_field(image, 4, std::string(png.begin(), png.end()));
  std::string value;
  bytes_field(value, 1, tag);
  bytes_field(value, 4, image);
  std::string summary;
  bytes_field(summary, 1, value);
  std::string e = event(step);
  bytes_field(e, 5, summary);
  write_event(e);
}

void TensorBoardWriter::histograms(const std::vector<std::pair<std::string, Histogram>>& histograms, int64_t step) {
  std::string summary;
  for (const auto& [tag, h] : histograms) {
    if (h.counts.empty()) continue;  // no finite value
    std::string histo;
    int field = 1;
    for (double d : {h.min, h.max, h.num, h.sum, h.sum_squares}) {
      key(histo, field++, 1);  // fixed64 (double)
      little_endian(histo, d);
    }
    for (const std::vector<double>* packed : {&h.limits, &h.counts}) {  // bucket_limit = 6, bucket = 7
      std::string doubles;
      for (double d : *packed) little_endian(doubles, d);
      bytes_field(histo, field++, doubles);
    }
    std::string value;
    bytes_field(value, 1, tag);
    bytes_field(value, 5, histo);
    bytes_field(summary, 1, value);
  }
  if (summary.empty()) return;
  std::string e = event(step);
  bytes_field(e, 5, summary);
  write_event(e);
}

void TensorBoardWriter::write_event(const std::string& e) {
  std::string length;
  little_endian(length, uint64_t(e.size()));
  std::string record = length;
  little_endian(record, masked(crc32c(length)));
  record += e;
  little_endian(record, masked(crc32c(e)));
  if (!out_.write(record.data(), std::streamsize(record.size())).flush())
    throw Error("cannot write '" + path_ + "': " + std::strerror(errno));
}

}  // namespace ganflow
