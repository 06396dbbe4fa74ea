#pragma once
// NumPy .npz archives (a zip of .npy files), the format of pytorch-fid's and StyleGAN's
// reference statistics: np.load reads what save_npz writes, and load_npz reads np.savez's and
// np.savez_compressed's files (stored or deflated entries, zip64 sizes).
#include <torch/types.h>

#include <map>
#include <string>

namespace ganflow_quality {

// float64, float32, int64 and uint8 tensors, as C-order arrays named <key>.npy; written
// atomically (a temporary file, then rename).
void save_npz(const std::string& path, const std::map<std::string, torch::Tensor>& arrays);
// Every array of the archive by name (without ".npy"); an Error names the file and entry when
// the archive or an array is malformed or of a type ganflow does not read.
std::map<std::string, torch::Tensor> load_npz(const std::string& path);

}  // namespace ganflow_quality
