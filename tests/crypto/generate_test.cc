#include "crypto/generate.h"

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include "crypto/certificate.h"
#include "crypto/error.h"
#include "generated_network.h"
#include "test_support.h"

namespace fabnet::crypto {
namespace {

namespace fs = std::filesystem;
using testing::kValidFrom;
using testing::read_text;
using testing::shared_network;
using testing::TempFolder;

Certificate load_certificate(const fs::path& file) {
  auto certificates = Certificate::all_from_pem(read_text(file));
  EXPECT_TRUE(certificates) << file << ": " << certificates.error();
  EXPECT_EQ(certificates->size(), 1u) << file;
  return certificates->front();
}

mode_t permission_bits(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

bool signature_is_low_s(const Certificate& certificate) {
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, certificate.get());
  return testing::is_low_s(
      std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(signature)),
                       static_cast<std::size_t>(ASN1_STRING_length(signature))));
}

std::string error_of(const NetworkSpec& spec, const fs::path& out) {
  try {
    generate_crypto_material(spec, out, kValidFrom);
  } catch (const CryptoError& error) {
    return error.what();
  }
  ADD_FAILURE() << "generate_crypto_material did not throw";
  return {};
}

TEST(Generate, WritesCryptogenLayout) {
  const auto& network = shared_network();
  const fs::path org1 = network.out() / "peerOrganizations" / "org1.example.com";
  for (const fs::path& file : {
           org1 / "ca" / "ca.org1.example.com-cert.pem",
           org1 / "ca" / "priv_sk",
           org1 / "msp" / "cacerts" / "ca.org1.example.com-cert.pem",
           org1 / "peers" / "peer0.org1.example.com" / "msp" / "signcerts" /
               "peer0.org1.example.com-cert.pem",
           org1 / "peers" / "peer0.org1.example.com" / "msp" / "keystore" / "priv_sk",
           org1 / "peers" / "peer0.org1.example.com" / "msp" / "cacerts" /
               "ca.org1.example.com-cert.pem",
           org1 / "peers" / "peer1.org1.example.com" / "msp" / "signcerts" /
               "peer1.org1.example.com-cert.pem",
           network.out() / "peerOrganizations" / "org2.example.com" / "peers" /
               "peer0.org2.example.com" / "msp" / "keystore" / "priv_sk",
       }) {
    EXPECT_TRUE(fs::is_regular_file(file)) << file;
  }
  EXPECT_EQ(peer_msp_folder(network.out(), network.org(0), "peer1"),
            org1 / "peers" / "peer1.org1.example.com" / "msp");
}

TEST(Generate, KeyFilesAreReadableByTheOwnerOnly) {
  const auto& network = shared_network();
  EXPECT_EQ(permission_bits(org_folder(network.out(), network.org(0)) / "ca" / "priv_sk"), 0600u);
  EXPECT_EQ(permission_bits(network.msp(0, "peer0") / "keystore" / "priv_sk"), 0600u);
  EXPECT_EQ(permission_bits(network.msp(1, "peer0") / "keystore" / "priv_sk"), 0600u);
  const std::string key = read_text(network.msp(0, "peer0") / "keystore" / "priv_sk");
  EXPECT_TRUE(key.starts_with("-----BEGIN PRIVATE KEY-----\n")) << key;  // PKCS#8
}

TEST(Generate, CaIsSelfSignedP256CertificateAuthority) {
  const auto& network = shared_network();
  const Certificate ca = load_certificate(ca_certificate_file(network.out(), network.org(0)));
  EXPECT_TRUE(ca.is_ca());
  EXPECT_EQ(X509_get_version(ca.get()), X509_VERSION_3);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_EQ(X509_verify(ca.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_TRUE(EVP_PKEY_is_a(X509_get0_pubkey(ca.get()), "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(ca.get())), 256);
  EXPECT_NE(ca.subject().find("CN = ca.org1.example.com"), std::string::npos) << ca.subject();
  EXPECT_EQ(read_text(ca_certificate_file(network.out(), network.org(0))),
            read_text(network.msp(0, "peer0") / "cacerts" / "ca.org1.example.com-cert.pem"));
}

TEST(Generate, PeerCertificateIsSignedByItsOrgsCa) {
  const auto& network = shared_network();
  const Certificate ca = load_certificate(ca_certificate_file(network.out(), network.org(0)));
  const Certificate other_ca = load_certificate(ca_certificate_file(network.out(), network.org(1)));
  const Certificate peer =
      load_certificate(network.msp(0, "peer1") / "signcerts" / "peer1.org1.example.com-cert.pem");
  EXPECT_FALSE(peer.is_ca());
  EXPECT_EQ(X509_verify(peer.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_NE(X509_verify(peer.get(), X509_get0_pubkey(other_ca.get())), 1);
  EXPECT_TRUE(X509_get_key_usage(peer.get()) & KU_DIGITAL_SIGNATURE);
  EXPECT_NE(peer.subject().find("CN = peer1.org1.example.com"), std::string::npos)
      << peer.subject();
}

TEST(Generate, CertificatesAreValidFromTheGivenStartForTenYears) {
  const auto& network = shared_network();
  for (const fs::path& file :
       {ca_certificate_file(network.out(), network.org(1)),
        network.msp(1, "peer0") / "signcerts" / "peer0.org2.example.com-cert.pem"}) {
    const Certificate certificate = load_certificate(file);
    EXPECT_EQ(certificate.not_before(), kValidFrom) << file;
    EXPECT_EQ(certificate.not_after(), kValidFrom + kCertificateLifetime) << file;
  }
}

TEST(Generate, CertificateSignaturesAreLowSAsFabricsSignerMakesThem) {
  const auto& network = shared_network();
  for (std::size_t o = 0; o < network.spec().orgs.size(); ++o) {
    EXPECT_TRUE(
        signature_is_low_s(load_certificate(ca_certificate_file(network.out(), network.org(o)))));
    for (const std::string& peer : network.org(o).peers) {
      const std::string host = peer + "." + network.org(o).domain;
      EXPECT_TRUE(signature_is_low_s(
          load_certificate(network.msp(o, peer) / "signcerts" / (host + "-cert.pem"))))
          << host;
    }
  }
}

TEST(Generate, SerialNumbersDiffer) {
  const auto& network = shared_network();
  const Certificate a =
      load_certificate(network.msp(0, "peer0") / "signcerts" / "peer0.org1.example.com-cert.pem");
  const Certificate b =
      load_certificate(network.msp(0, "peer1") / "signcerts" / "peer1.org1.example.com-cert.pem");
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
}

TEST(Generate, RefusesToOverwriteAnExistingOrg) {
  const TempFolder folder;
  NetworkSpec spec{{{"Org1", "Org1MSP", "org1.example.com", {"peer0"}}}};
  generate_crypto_material(spec, folder.path(), kValidFrom);
  const std::string key =
      read_text(peer_msp_folder(folder.path(), spec.orgs[0], "peer0") / "keystore" / "priv_sk");
  const std::string error = error_of(spec, folder.path());
  EXPECT_NE(error.find("already exists"), std::string::npos) << error;
  EXPECT_EQ(
      read_text(peer_msp_folder(folder.path(), spec.orgs[0], "peer0") / "keystore" / "priv_sk"),
      key);
}

TEST(Generate, InvalidSpecIsNamedByKeyAndValue) {
  const TempFolder folder;
  EXPECT_NE(error_of(NetworkSpec{}, folder.path()).find("orgs: is empty"), std::string::npos);
  const std::string bad_domain =
      error_of(NetworkSpec{{{"Org1", "Org1MSP", "../etc", {"peer0"}}}}, folder.path());
  EXPECT_NE(bad_domain.find("orgs[0].domain: value \"../etc\""), std::string::npos) << bad_domain;
  const std::string twice = error_of(
      NetworkSpec{{{"Org1", "Org1MSP", "org1.example.com", {"peer0", "peer0"}}}}, folder.path());
  EXPECT_NE(twice.find("orgs[0].peers[1]"), std::string::npos) << twice;
  const std::string same_msp =
      error_of(NetworkSpec{{{"Org1", "OrgMSP", "org1.example.com", {"peer0"}},
                            {"Org2", "OrgMSP", "org2.example.com", {"peer0"}}}},
               folder.path());
  EXPECT_NE(same_msp.find("orgs[1].msp_id"), std::string::npos) << same_msp;
  EXPECT_TRUE(fs::is_empty(folder.path()));  // nothing written for a bad spec
}

}  // namespace
}  // namespace fabnet::crypto
