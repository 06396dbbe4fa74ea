#pragma once
// (crappy, original) pairs made on the fly from another source, like fastai's crappify.py:
// downscale, stamp the JPEG quality as a number, JPEG re-encode at a random quality, and
// scale back to the original size. Deterministic per (item, seed).
#include <memory>
#include <string>

#include "ganflow/image_io.hpp"
#include "ganflow/item_source.hpp"

namespace ganflow::data {

struct CrappifySettings {  // read from the params crappify_spec declares (their defaults are there)
  double scale{};
  int quality_min{}, quality_max{};
  bool stamp{};
  std::string write_to;
};

class Crappify : public ItemSource {
 public:
  Crappify(std::shared_ptr<ItemSource> source, const CrappifySettings& s);
  std::size_t size() const override { return source_->size(); }
  std::vector<ImageShape> fields() const override { return {original_, original_}; }
  void read(std::size_t index, uint8_t* const* slots, uint64_t seed) const override;
  int64_t label(std::size_t index) const override { return source_->label(index); }
  std::vector<std::string> classes() const override { return source_->classes(); }

  // The crappy version of `original` for this seed.
  Image degrade(const Image& original, uint64_t seed) const;
  // Writes <dir>/crappy/NNNNNN.png and <dir>/original/NNNNNN.png for every item (a
  // paired_image_folder reads them back); item i uses item_seed(seed, 0, i), the loader's rule.
  void write_pairs(const std::string& dir, uint64_t seed) const;

 private:
  std::shared_ptr<ItemSource> source_;
  ImageShape original_;  // the source's last field
  double scale_;
  int quality_min_, quality_max_;
  bool stamp_;
};

NodeSpec crappify_spec();

}  // namespace ganflow::data
