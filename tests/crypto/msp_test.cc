#include "crypto/msp.h"

#include <gtest/gtest.h>

#include "crypto/error.h"
#include "crypto/identity.h"
#include "generated_network.h"
#include "test_support.h"

namespace fabnet::crypto {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::reference_sha256;
using testing::shared_network;
using testing::TempFolder;

// A writable copy of a generated peer MSP folder.
fs::path copy_of_msp(const TempFolder& folder, std::size_t org, std::string_view peer) {
  fs::path copy = folder.path() / "msp";
  fs::copy(shared_network().msp(org, peer), copy, fs::copy_options::recursive);
  return copy;
}

// The CryptoError thrown by load_local_msp, or a failed test.
std::string load_error(const fs::path& msp, std::string_view msp_id = "Org1MSP") {
  try {
    load_local_msp(msp, msp_id);
  } catch (const CryptoError& error) {
    return error.what();
  }
  ADD_FAILURE() << "load_local_msp(" << msp << ") did not throw";
  return {};
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(LocalMsp, LoadsEveryGeneratedPeer) {
  const auto& network = shared_network();
  for (std::size_t o = 0; o < network.spec().orgs.size(); ++o) {
    for (const std::string& peer : network.org(o).peers) {
      const LocalMsp msp = load_local_msp(network.msp(o, peer), network.org(o).msp_id);
      EXPECT_EQ(msp.msp_id, network.org(o).msp_id);
      EXPECT_EQ(msp.ca_certificates.size(), 1u);
      EXPECT_TRUE(contains(msp.signing_certificate.subject(), peer + "." + network.org(o).domain));
    }
  }
}

TEST(LocalMsp, PkiIdIsSha256OfMspIdAndTheSigncertFileBytes) {
  const auto& network = shared_network();
  const fs::path msp_dir = network.msp(1, "peer0");
  const LocalMsp msp = load_local_msp(msp_dir, "Org2MSP");
  const std::string pem = read_text(msp_dir / "signcerts" / "peer0.org2.example.com-cert.pem");
  const auto identity = parse_identity(msp.identity);
  ASSERT_TRUE(identity) << identity.error();
  EXPECT_EQ(identity->id_bytes, pem);
  EXPECT_EQ(pki_id(msp.identity).value(), reference_sha256("Org2MSP" + pem));
}

TEST(LocalMsp, SignerSignsForTheSigningCertificate) {
  const LocalMsp msp = load_local_msp(shared_network().msp(0, "peer1"), "Org1MSP");
  const auto key = PublicKey::from_certificate(msp.signing_certificate);
  ASSERT_TRUE(key);
  EXPECT_TRUE(verify_signature(*key, "hello", msp.signer.sign("hello")));
}

TEST(LocalMsp, MissingFolderIsNamed) {
  const TempFolder folder;
  const std::string error = load_error(folder.path() / "nowhere");
  EXPECT_TRUE(contains(error, (folder.path() / "nowhere").string())) << error;
  EXPECT_TRUE(contains(error, "does not exist")) << error;
  EXPECT_TRUE(contains(error, "signcerts/")) << error;
}

TEST(LocalMsp, EmptyKeystoreIsNamed) {
  const TempFolder folder;
  const fs::path msp = copy_of_msp(folder, 0, "peer0");
  fs::remove(msp / "keystore" / "priv_sk");
  const std::string error = load_error(msp);
  EXPECT_TRUE(contains(error, (msp / "keystore").string())) << error;
  EXPECT_TRUE(contains(error, "is empty")) << error;
  EXPECT_TRUE(contains(error, "priv_sk")) << error;
}

TEST(LocalMsp, MissingKeystoreIsNamed) {
  const TempFolder folder;
  const fs::path msp = copy_of_msp(folder, 0, "peer0");
  fs::remove_all(msp / "keystore");
  const std::string error = load_error(msp);
  EXPECT_TRUE(contains(error, (msp / "keystore").string() + ": does not exist")) << error;
}

TEST(LocalMsp, KeystoreFileMayHaveAnyName) {
  const TempFolder folder;
  const fs::path msp = copy_of_msp(folder, 0, "peer0");
  fs::rename(msp / "keystore" / "priv_sk", msp / "keystore" / "0a1b2c_sk");
  EXPECT_NO_THROW(load_local_msp(msp, "Org1MSP"));
}

TEST(LocalMsp, KeyOfAnotherPeerIsRefused) {
  const TempFolder folder;
  const fs::path msp = copy_of_msp(folder, 0, "peer0");
  fs::copy_file(shared_network().msp(0, "peer1") / "keystore" / "priv_sk",
                msp / "keystore" / "priv_sk", fs::copy_options::overwrite_existing);
  const std::string error = load_error(msp);
  EXPECT_TRUE(contains(error, "no key matches")) << error;
}

TEST(LocalMsp, UnreadableKeyFileIsNamed) {
  const TempFolder folder;
  const fs::path msp = copy_of_msp(folder, 0, "peer0");
  testing::write_text(msp / "keystore" / "priv_sk", "not a key");
  const std::string error = load_error(msp);
  EXPECT_TRUE(contains(error, "priv_sk")) << error;
  EXPECT_TRUE(contains(error, "PRIVATE KEY")) << error;
}

TEST(LocalMsp, SigncertsMustHoldExactlyOneCertificate) {
  const TempFolder folder;
  const fs::path msp = copy_of_msp(folder, 0, "peer0");
  fs::copy_file(msp / "cacerts" / "ca.org1.example.com-cert.pem", msp / "signcerts" / "extra.pem");
  const std::string error = load_error(msp);
  EXPECT_TRUE(contains(error, "holds 2 certificates")) << error;
}

TEST(LocalMsp, NonPemFileInCacertsIsNamed) {
  const TempFolder folder;
  const fs::path msp = copy_of_msp(folder, 0, "peer0");
  testing::write_text(msp / "cacerts" / "notes.txt", "hello");
  const std::string error = load_error(msp);
  EXPECT_TRUE(contains(error, (msp / "cacerts" / "notes.txt").string())) << error;
}

TEST(LocalMsp, SigncertNotIssuedByCacertsIsRefused) {
  const TempFolder folder;
  const fs::path msp = copy_of_msp(folder, 0, "peer0");
  fs::remove(msp / "cacerts" / "ca.org1.example.com-cert.pem");
  fs::copy_file(shared_network().msp(1, "peer0") / "cacerts" / "ca.org2.example.com-cert.pem",
                msp / "cacerts" / "ca.org2.example.com-cert.pem");
  const std::string error = load_error(msp);
  EXPECT_TRUE(contains(error, "does not chain to cacerts/")) << error;
}

TEST(LocalMsp, EmptyMspIdIsRefused) {
  const std::string error = load_error(shared_network().msp(0, "peer0"), "");
  EXPECT_TRUE(contains(error, "peer.localMspId")) << error;
}

}  // namespace
}  // namespace fabnet::crypto
