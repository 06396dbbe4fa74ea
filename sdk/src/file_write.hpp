#pragma once
// Writing a whole file that ganflow produces (weights, checkpoints, TorchScript, images), the
// one way every SDK writer fails: an Error naming the file and the system's cause (a full disk:
// "No space left on device"), and no partial file left behind to hold the space.
#include <cstddef>
#include <string>

namespace ganflow {

// Writes `size` bytes from `data` as the file `path` (created or truncated); `sync` flushes
// it to the disk before returning (for files renamed into place afterwards). On failure a
// regular file is removed (a device such as /dev/full never is) and an Error thrown.
void write_file(const std::string& path, const void* data, std::size_t size, bool sync);

}  // namespace ganflow
