#include "ganflow/file_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ganflow/error.hpp"

namespace ganflow {

void write_file(const std::string& path, const void* data, std::size_t size, bool sync) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot write '" + path + "': " + std::strerror(errno));
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const char* bytes = static_cast<const char*>(data);
  int err = 0;
  for (std::size_t done = 0; done < size && !err;) {
    const ssize_t n = ::write(fd, bytes + done, size - done);
    if (n >= 0) done += std::size_t(n);
    else if (errno != EINTR) err = errno;
  }
  if (!err && sync && regular && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (err) {
    if (regular) ::unlink(path.c_str());
    throw Error("cannot write '" + path + "': " + std::strerror(err));
  }
}

void replace_file(const std::string& path, const void* data, std::size_t size) {
  namespace fs = std::filesystem;
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) throw Error("cannot create the folder of '" + path + "': " + ec.message());
  const std::string tmp = path + ".tmp";
  write_file(tmp, data, size, /*sync=*/true);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error("cannot move '" + tmp + "' into place at '" + path + "': " + ec.message());
  }
  // The rename itself is on the disk only once the folder is.
  const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace ganflow
