#pragma once

// File access for MSP folders and generated material; every failure is a
// CryptoError naming the path. Internal to src/crypto.

#include <sys/types.h>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fabnet::crypto::detail {

// Throws unless `dir` is a directory; `expected` says what it should hold.
void require_directory(const std::filesystem::path& dir, std::string_view expected);

// Regular files (symlinks followed, as Kubernetes mounts secrets) directly in
// `dir`, hidden ones skipped, sorted by name. `expected` says what the folder
// should hold, for the error when it is missing.
std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir,
                                            std::string_view expected);

std::string read_file(const std::filesystem::path& path);

// Creates or truncates `path` with permission bits `mode` (applied even when the
// file already existed), then writes `contents`.
void write_file(const std::filesystem::path& path, std::string_view contents, mode_t mode);

}  // namespace fabnet::crypto::detail
