#include "crypto/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/error.h"

namespace fabnet::crypto::detail {

namespace fs = std::filesystem;

void require_directory(const fs::path& dir, std::string_view expected) {
  std::error_code error;
  if (fs::is_directory(dir, error)) return;
  const bool exists = fs::exists(dir, error);
  throw CryptoError(dir.string(), exists ? "is not a directory" : "does not exist",
                    std::string("a directory holding ").append(expected));
}

std::vector<fs::path> files_in(const fs::path& dir, std::string_view expected) {
  require_directory(dir, expected);
  std::error_code error;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    if (path.filename().string().starts_with('.')) continue;
    std::error_code type_error;
    if (fs::is_regular_file(path, type_error)) files.push_back(path);
  }
  if (error) throw CryptoError(dir.string(), "cannot be listed: " + error.message(), "");
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw CryptoError(path.string(), "cannot be read: " + std::string(std::strerror(errno)), "");
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) throw CryptoError(path.string(), "read failed", "");
  return contents.str();
}

void write_file(const fs::path& path, std::string_view contents, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    throw CryptoError(path.string(), "cannot be created: " + std::string(std::strerror(errno)), "");
  }
  std::string failure;
  if (::fchmod(fd, mode) != 0) failure = std::strerror(errno);
  for (std::size_t written = 0; failure.empty() && written < contents.size();) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) failure = n < 0 ? std::strerror(errno) : "nothing written";
    if (n > 0) written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && failure.empty()) failure = std::strerror(errno);
  if (!failure.empty()) throw CryptoError(path.string(), "write failed: " + failure, "");
}

}  // namespace fabnet::crypto::detail
