#include "fashion_mnist.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "ganflow/fields.hpp"
#include "ganflow/image_io.hpp"
#include "slot_write.hpp"

namespace ganflow::data {

namespace {

const char* const kDefaultRoot = "/usr/share/datasets/fashion-mnist";

// The whole file, gunzipped (zlib reads uncompressed files through unchanged).
std::vector<uint8_t> read_gz(const std::string& path) {
  if (!std::filesystem::exists(path)) throw Error(path + ": file not found (install dataset-fashion-mnist or set root)", "", "root");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(path + ": cannot open", "", "root");
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  int err = Z_OK;
  std::string msg = n < 0 ? gzerror(f, &err) : "";
  gzclose(f);
  if (n < 0) throw Error(path + ": corrupt or truncated gzip data (" + msg + ")", "", "root");
  return out;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// Checks an IDX file's magic (0x0000 08 <ndims>: unsigned bytes) and length; returns its dims.
std::vector<uint32_t> idx_dims(const std::vector<uint8_t>& bytes, uint32_t ndims, const std::string& path) {
  if (bytes.size() < 4 + 4 * ndims) throw Error(path + ": truncated IDX header (" + std::to_string(bytes.size()) + " bytes)");
  uint32_t magic = be32(bytes.data()), want = 0x800u + ndims;
  if (magic != want) {
    char got[16], exp[16];
    std::snprintf(got, sizeof got, "0x%08x", magic);
    std::snprintf(exp, sizeof exp, "0x%08x", want);
    throw Error(path + ": bad IDX magic number " + got + ", expected " + exp);
  }
  std::vector<uint32_t> dims(ndims);
  uint64_t count = 1;
  for (uint32_t d = 0; d < ndims; ++d) count *= dims[d] = be32(bytes.data() + 4 + 4 * d);
  uint64_t have = bytes.size() - 4 - 4 * ndims;
  if (have < count)
    throw Error(path + ": truncated IDX data: header says " + std::to_string(count) + " bytes, file has " + std::to_string(have));
  return dims;
}

}  // namespace

FashionMnist::FashionMnist(const FashionMnistSettings& s) {
  std::string root = s.root, prefix = s.test ? "t10k" : "train";
  // Machines without the Debian package (scripts/gpu-check unpacks it elsewhere) move the default.
  if (const char* env = std::getenv("GANFLOW_FASHION_MNIST_ROOT"); env && *env && root == kDefaultRoot) root = env;
  size_ = s.size;
  pad_ = s.pad;
  images_file_ = root + "/" + prefix + "-images-idx3-ubyte.gz";
  std::string labels_file = root + "/" + prefix + "-labels-idx1-ubyte.gz";

  pixels_ = read_gz(images_file_);
  auto idims = idx_dims(pixels_, 3, images_file_);
  labels_ = read_gz(labels_file);
  auto ldims = idx_dims(labels_, 1, labels_file);
  if (idims[0] != ldims[0])
    throw Error(images_file_ + " has " + std::to_string(idims[0]) + " images but " + labels_file + " has " +
                std::to_string(ldims[0]) + " labels");
  rows_ = int(idims[1]), cols_ = int(idims[2]);
  pixels_.erase(pixels_.begin(), pixels_.begin() + 16);
  labels_.erase(labels_.begin(), labels_.begin() + 8);
  if (pad_ && (size_ < rows_ || size_ < cols_))
    throw Error("cannot pad " + std::to_string(rows_) + "x" + std::to_string(cols_) + " images to " + std::to_string(size_) +
                "; use fit = resize", "", "size");

  const auto& classes = s.classes;
  for (int64_t c : classes)
    if (c < 0 || c > 9) throw Error("class " + std::to_string(c) + " is not in 0..9", "", "classes");
  const int64_t limit = s.limit;
  for (uint32_t i = 0; i < idims[0] && (limit == 0 || int64_t(items_.size()) < limit); ++i) {
    if (labels_[i] > 9) throw Error(labels_file + ": label " + std::to_string(labels_[i]) + " of item " + std::to_string(i) + " is not in 0..9");
    if (classes.empty() || std::count(classes.begin(), classes.end(), int64_t(labels_[i]))) items_.push_back(i);
  }
  if (items_.empty()) throw Error("no items left after the class filter", "", "classes");
}

void FashionMnist::read(std::size_t index, uint8_t* const* slots, uint64_t) const {
  if (index >= items_.size()) throw Error(images_file_ + ": item " + std::to_string(index) + " out of range");
  Image img(1, rows_, cols_);
  std::memcpy(img.data.data(), pixels_.data() + std::size_t(items_[index]) * rows_ * cols_, img.bytes());
  Image out = pad_ ? pad(img, size_, size_, 0) : resize(img, size_, size_);
  write_slot(out, fields()[0], slots[0], images_file_);
}

std::vector<std::string> FashionMnist::classes() const {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}

NodeSpec fashion_mnist_spec() {
  NodeSpec s("fashion_mnist", NodeKind::Source,
             "Fashion-MNIST (grey 28x28, labels 0..9) from gzip IDX files, padded or resized to size x size.");
  using S = FashionMnistSettings;
  Fields<S> f(s);
  f.add("root", &S::root, kDefaultRoot, "Folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.");
  f.add_enum("split", &S::test, {{"train", false}, {"test", true}}, "train",
             "Which split: train (60000) or test (10000).");
  f.add_list("classes", &S::classes, {}, "Keep only these labels (0..9); empty: all. Labels keep their ids.");
  f.add("size", &S::size, 32, "Output side in pixels.").range(1, 1024);
  f.add_enum("fit", &S::pad, {{"pad", true}, {"resize", false}}, "pad",
             "pad: centre on a black size x size canvas (28 -> 32); resize: scale to size.");
  f.add("limit", &S::limit, 0, "Use only the first N items after the class filter (0: all), e.g. for CI subsets.")
      .at_least(0);
  s.factory = [f](const BuildContext& c) { return std::make_shared<FashionMnist>(f.read(c.params())); };
  return s;
}

}  // namespace ganflow::data
