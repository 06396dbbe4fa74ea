#pragma once
// TensorBoard's event files, written without TensorFlow or protobuf: `tensorboard --logdir runs`
// (or any TFRecord / tf.summary reader) shows a run's step and epoch values as scalars. The
// format: TFRecord framing (length, masked CRC-32C of it, an Event protobuf, masked CRC-32C of
// it) around Event {wall_time = 1, step = 2, file_version = 3, summary = 5, session_log = 7},
// SessionLog {status = 1: START = 1}, Summary {value = 1},
// Summary.Value {tag = 1, simple_value = 2, image = 4, histo = 5}, Summary.Image {height = 1,
// width = 2, colorspace = 3, encoded_image_string = 4}, HistogramProto {min = 1, max = 2, num = 3,
// sum = 4, sum_squares = 5, bucket_limit = 6, bucket = 7 (packed)}, as
// tensorflow/core/util/event.proto and framework/summary.proto define them.
#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "ganflow/framework/report/histogram.hpp"

#include "ganflow/image_io.hpp"
#include "ganflow/params.hpp"

namespace ganflow {

class TensorBoardWriter {
 public:
  // A new events file in `dir`, named events.out.tfevents.<time>.<host>.<pid>.<stage> (TensorBoard
  // reads every file with "tfevents" in its name, so stages and resumed sessions each add one).
  TensorBoardWriter(const std::string& dir, const std::string& stage);
  // Every finite number of `record` but "step" and "epoch" as the scalar <prefix>/<name> at `step`;
  // one event, flushed, so a running TensorBoard sees it.
  void scalars(const json& record, const std::string& prefix, int64_t step);
  // A resumed stage starts again at `step`: TensorBoard then drops what the files before this
  // one hold from that step on (SessionLog START; the killed session's steps past its checkpoint).
  void session_start(int64_t step);
  // `img` as the PNG image <tag> at `step` (TensorBoard's Images tab).
  void image(const std::string& tag, const Image& img, int64_t step);
  // (tag, histogram) pairs at `step`, one event (the Histograms and Distributions tabs).
  void histograms(const std::vector<std::pair<std::string, Histogram>>& histograms, int64_t step);
  const std::string& path() const { return path_; }

 private:
  void write_event(const std::string& event);
  std::string path_;
  std::ofstream out_;
};

// CRC-32C (Castagnoli), TFRecord's checksum.
uint32_t crc32c(const std::string& bytes);

}  // namespace ganflow
