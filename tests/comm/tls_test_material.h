#pragma once

// TLS certificate authorities and certificates made in memory for tests: P-256 keys,
// chosen subject alternative names and validity, so tests can present a certificate
// of another CA or an expired one.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "comm/tls_credentials.h"

namespace fabnet::comm::testing {

class TestCa {
 public:
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return cert_pem_; }

  // A leaf for both serverAuth and clientAuth, SANs such as "IP:127.0.0.1" or
  // "DNS:localhost"; valid from now - 1h to now + 24h unless given.
  TlsKeyPair issue(const std::string& common_name,
                   const std::vector<std::string>& sans = {"IP:127.0.0.1", "DNS:localhost"}) const;
  TlsKeyPair issue(const std::string& common_name, const std::vector<std::string>& sans,
                   std::chrono::system_clock::time_point not_before,
                   std::chrono::system_clock::time_point not_after) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string cert_pem_;
};

// Writes `text` to dir/name and returns the path.
std::filesystem::path write_text(const std::filesystem::path& dir, const std::string& name,
                                 const std::string& text);

}  // namespace fabnet::comm::testing
