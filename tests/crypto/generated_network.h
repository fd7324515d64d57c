#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>

#include <fmt/format.h>

#include "crypto/generate.h"

namespace fabnet::crypto::testing {

// 2024-01-01T00:00:00Z: a fixed validity start, so tests never read the clock.
inline const std::chrono::system_clock::time_point kValidFrom =
    std::chrono::system_clock::from_time_t(1704067200);
inline const std::chrono::system_clock::time_point kDuringValidity =
    kValidFrom + std::chrono::hours(24 * 365);

inline NetworkSpec two_org_spec() {
  return NetworkSpec{{
      {"Org1", "Org1MSP", "org1.example.com", {"peer0", "peer1"}},
      {"Org2", "Org2MSP", "org2.example.com", {"peer0"}},
  }};
}

// A fresh, uniquely named folder under the system temp directory, removed with
// everything in it when the object goes away.
class TempFolder {
 public:
  TempFolder() {
    std::random_device entropy;
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("fabnet-crypto-test-{}-{:08x}", ::getpid(), entropy());
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Crypto material for two_org_spec(), generated once into a temp folder.
class GeneratedNetwork {
 public:
  GeneratedNetwork() : spec_(two_org_spec()) {
    generate_crypto_material(spec_, folder_.path(), kValidFrom);
  }

  const NetworkSpec& spec() const { return spec_; }
  const NetworkSpec::Org& org(std::size_t index) const { return spec_.orgs.at(index); }
  const std::filesystem::path& out() const { return folder_.path(); }
  std::filesystem::path msp(std::size_t org_index, std::string_view peer) const {
    return peer_msp_folder(out(), org(org_index), peer);
  }

 private:
  TempFolder folder_;
  NetworkSpec spec_;
};

}  // namespace fabnet::crypto::testing

namespace fabnet::crypto::testing {

// One network per test process, shared by the tests that only read it.
inline const GeneratedNetwork& shared_network() {
  static const GeneratedNetwork network;
  return network;
}

}  // namespace fabnet::crypto::testing
