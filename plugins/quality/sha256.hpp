#pragma once
// SHA-256 of a file (FIPS 180-4), used to fingerprint the frozen feature extractor.
#include <string>

namespace ganflow_quality {

// Lower-case hex digest of the file's bytes; ganflow::Error naming the file if it cannot be read.
std::string sha256_file(const std::string& path);
std::string sha256_hex(const std::string& bytes);

}  // namespace ganflow_quality
