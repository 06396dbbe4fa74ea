#pragma once
// Writing a whole file (weights, checkpoints, TorchScript, images, a stage's results), the one
// way every ganflow writer fails: an Error naming the file and the system's cause (a full disk:
// "No space left on device"), and no partial file left behind to hold the space.
#include <cstddef>
#include <string>

#include "ganflow/export.hpp"

namespace ganflow {

// Writes `size` bytes from `data` as the file `path` (created or truncated); `sync` flushes it
// to the disk before returning (for a file renamed into place afterwards). On failure a regular
// file is removed (a device such as /dev/full never is) and an Error thrown.
GANFLOW_API void write_file(const std::string& path, const void* data, std::size_t size, bool sync = false);

inline void write_file(const std::string& path, const std::string& bytes, bool sync = false) {
  write_file(path, bytes.data(), bytes.size(), sync);
}

// Replaces the file `path` whole or not at all: its folder is created, the bytes are written
// to `path`.tmp and synced, which is renamed over `path`, and the folder synced. A crash or a
// full disk leaves the old file and no .tmp.
GANFLOW_API void replace_file(const std::string& path, const void* data, std::size_t size);

inline void replace_file(const std::string& path, const std::string& bytes) {
  replace_file(path, bytes.data(), bytes.size());
}

}  // namespace ganflow
