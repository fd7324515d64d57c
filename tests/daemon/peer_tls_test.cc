// load_peer_tls: which files a TLS peer must have, on cryptogen-layout material.

#include "daemon/peer_tls.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "crypto/generate.h"

namespace fabnet::daemon {
namespace {

namespace fs = std::filesystem;

class PeerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fabnet-peer-tls-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    crypto::generate_crypto_material(spec_, dir_ / "crypto");
    const crypto::TlsFiles files = crypto::peer_tls_files(dir_ / "crypto", spec_.orgs[0], "peer0");
    core_.tls.enabled = true;
    core_.tls.cert_file = files.certificate.string();
    core_.tls.key_file = files.key.string();
    core_.tls.root_cert_file = files.ca_certificate.string();
    // Fabric's sample core.yaml names tls/ca.crt beside core.yaml, which a peer
    // configured through CORE_PEER_TLS_* variables does not have.
    core_.tls.client_root_cas = {"tls/ca.crt"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  crypto::NetworkSpec spec_{{{"Org1", "Org1MSP", "org1.example.com", {"peer0"}}}};
  fs::path dir_;
  config::CoreConfig core_;
  config::ChannelDefinitions channels_;
};

TEST_F(PeerTlsTest, AMissingClientRootFileIsSkippedAndNamedWhenClientAuthIsNotRequired) {
  core_.tls.client_auth_required = false;
  const PeerTls tls = load_peer_tls(core_, dir_ / "config" / "core.yaml", channels_);
  EXPECT_NE(tls.summary.find("clientRootCAs.files not found"), std::string::npos) << tls.summary;
  EXPECT_NE(tls.summary.find((dir_ / "config" / "tls" / "ca.crt").string()), std::string::npos)
      << tls.summary;
}

TEST_F(PeerTlsTest, AMissingClientRootFileIsAnErrorNamingTheKeyWhenClientAuthIsRequired) {
  core_.tls.client_auth_required = true;
  try {
    load_peer_tls(core_, dir_ / "config" / "core.yaml", channels_);
    FAIL() << "a missing clientRootCAs file was accepted with client auth required";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("peer.tls.clientRootCAs.files"), std::string::npos)
        << e.what();
  }
}

TEST_F(PeerTlsTest, AMissingServerCertificateIsAnErrorNamingTheKey) {
  core_.tls.cert_file = (dir_ / "nowhere.crt").string();
  try {
    load_peer_tls(core_, dir_ / "config" / "core.yaml", channels_);
    FAIL() << "a missing TLS certificate was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("peer.tls.cert.file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fabnet::daemon
