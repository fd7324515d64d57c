#include "crypto/generate.h"

#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>
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

// The subject alternative names of a certificate as "DNS:x" / "IP:1.2.3.4" lines.
std::vector<std::string> alt_names(const Certificate& certificate) {
  std::vector<std::string> names;
  auto* general = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; general != nullptr && i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general, i);
    if (name->type == GEN_DNS) {
      names.push_back("DNS:" + std::string(reinterpret_cast<const char*>(
                                               ASN1_STRING_get0_data(name->d.dNSName)),
                                           ASN1_STRING_length(name->d.dNSName)));
    } else if (name->type == GEN_IPADD && ASN1_STRING_length(name->d.iPAddress) == 4) {
      const unsigned char* ip = ASN1_STRING_get0_data(name->d.iPAddress);
      names.push_back(fmt::format("IP:{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]));
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The value of every OU of a subject, in order.
std::vector<std::string> organizational_units(const Certificate& certificate) {
  std::vector<std::string> units;
  const X509_NAME* name = X509_get_subject_name(certificate.get());
  for (int i = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName, i)) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    units.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                       ASN1_STRING_length(data));
  }
  return units;
}

bool verifies(const Certificate& certificate, const fs::path& ca_file) {
  return X509_verify(certificate.get(), X509_get0_pubkey(load_certificate(ca_file).get())) == 1;
}

// Org1 with two peers, Users.Count 2 and an extra SAN, and an orderer org.
struct FullNetwork {
  FullNetwork() {
    NetworkSpec::Org org1{"Org1", "Org1MSP", "org1.example.com", {"peer0", "peer1"}};
    org1.users = 2;
    org1.sans = {"{{.Hostname}}.alt.{{.Domain}}"};
    org1.host_sans["peer1"] = {"10.0.0.7"};
    spec =
        NetworkSpec{{org1}, NetworkSpec::Org{"Orderer", "OrdererMSP", "example.com", {"orderer"}}};
    generate_crypto_material(spec, folder.path(), kValidFrom);
  }
  const fs::path& out() const { return folder.path(); }
  TempFolder folder;
  NetworkSpec spec;
};

const FullNetwork& full_network() {
  static const FullNetwork network;
  return network;
}

TEST(Generate, WritesEveryFolderAndFileCryptogenWrites) {
  const FullNetwork& n = full_network();
  const fs::path org1 = n.out() / "peerOrganizations" / "org1.example.com";
  const fs::path peer0 = org1 / "peers" / "peer0.org1.example.com";
  const fs::path admin = org1 / "users" / "Admin@org1.example.com";
  const fs::path orderers = n.out() / "ordererOrganizations" / "example.com";
  const fs::path orderer = orderers / "orderers" / "orderer.example.com";
  for (const fs::path& file : {
           org1 / "tlsca" / "tlsca.org1.example.com-cert.pem",
           org1 / "tlsca" / "priv_sk",
           org1 / "msp" / "tlscacerts" / "tlsca.org1.example.com-cert.pem",
           org1 / "msp" / "config.yaml",
           peer0 / "msp" / "config.yaml",
           peer0 / "msp" / "tlscacerts" / "tlsca.org1.example.com-cert.pem",
           peer0 / "tls" / "ca.crt",
           peer0 / "tls" / "server.crt",
           peer0 / "tls" / "server.key",
           admin / "msp" / "signcerts" / "Admin@org1.example.com-cert.pem",
           admin / "msp" / "keystore" / "priv_sk",
           admin / "msp" / "config.yaml",
           admin / "tls" / "client.crt",
           admin / "tls" / "client.key",
           org1 / "users" / "User1@org1.example.com" / "tls" / "client.crt",
           org1 / "users" / "User2@org1.example.com" / "msp" / "signcerts" /
               "User2@org1.example.com-cert.pem",
           orderers / "ca" / "ca.example.com-cert.pem",
           orderers / "tlsca" / "tlsca.example.com-cert.pem",
           orderers / "msp" / "config.yaml",
           orderer / "msp" / "signcerts" / "orderer.example.com-cert.pem",
           orderer / "tls" / "server.crt",
           orderers / "users" / "Admin@example.com" / "tls" / "client.key",
       }) {
    EXPECT_TRUE(fs::is_regular_file(file)) << file;
  }
  // With NodeOUs, admincerts/ exists but stays empty; the orderer org has no User1.
  EXPECT_TRUE(fs::is_directory(org1 / "msp" / "admincerts"));
  EXPECT_TRUE(fs::is_empty(org1 / "msp" / "admincerts"));
  EXPECT_FALSE(fs::exists(orderers / "users" / "User1@example.com"));
  EXPECT_FALSE(fs::exists(org1 / "users" / "User3@org1.example.com"));
  EXPECT_EQ(permission_bits(peer0 / "tls" / "server.key"), 0600u);
  EXPECT_EQ(permission_bits(org1 / "tlsca" / "priv_sk"), 0600u);

  const TlsFiles peer_tls = peer_tls_files(n.out(), n.spec.orgs[0], "peer0");
  EXPECT_EQ(peer_tls.certificate, peer0 / "tls" / "server.crt");
  EXPECT_EQ(peer_tls.key, peer0 / "tls" / "server.key");
  EXPECT_EQ(peer_tls.ca_certificate, peer0 / "tls" / "ca.crt");
  EXPECT_EQ(admin_tls_files(n.out(), n.spec.orgs[0]).certificate, admin / "tls" / "client.crt");
  EXPECT_EQ(user_tls_files(n.out(), n.spec.orgs[0]).key,
            org1 / "users" / "User1@org1.example.com" / "tls" / "client.key");
  EXPECT_EQ(orderer_tls_files(n.out(), *n.spec.orderer, "orderer").certificate,
            orderer / "tls" / "server.crt");
  EXPECT_EQ(tls_ca_certificate_file(n.out(), n.spec.orgs[0]),
            org1 / "tlsca" / "tlsca.org1.example.com-cert.pem");
  EXPECT_EQ(orderer_admin_msp_folder(n.out(), *n.spec.orderer),
            orderers / "users" / "Admin@example.com" / "msp");
}

TEST(Generate, ConfigYamlEnablesNodeOUsWithTheOrgsCa) {
  const FullNetwork& n = full_network();
  const std::string expected =
      "NodeOUs:\n"
      "  Enable: true\n"
      "  ClientOUIdentifier:\n"
      "    Certificate: cacerts/ca.org1.example.com-cert.pem\n"
      "    OrganizationalUnitIdentifier: client\n"
      "  PeerOUIdentifier:\n"
      "    Certificate: cacerts/ca.org1.example.com-cert.pem\n"
      "    OrganizationalUnitIdentifier: peer\n"
      "  AdminOUIdentifier:\n"
      "    Certificate: cacerts/ca.org1.example.com-cert.pem\n"
      "    OrganizationalUnitIdentifier: admin\n"
      "  OrdererOUIdentifier:\n"
      "    Certificate: cacerts/ca.org1.example.com-cert.pem\n"
      "    OrganizationalUnitIdentifier: orderer\n";
  EXPECT_EQ(read_text(org_folder(n.out(), n.spec.orgs[0]) / "msp" / "config.yaml"), expected);
  EXPECT_EQ(read_text(peer_msp_folder(n.out(), n.spec.orgs[0], "peer1") / "config.yaml"), expected);
}

TEST(Generate, SubjectsCarryTheNodeOuRole) {
  const FullNetwork& n = full_network();
  const NetworkSpec::Org& org1 = n.spec.orgs[0];
  const auto signcert = [](const fs::path& msp, const std::string& name) {
    return load_certificate(msp / "signcerts" / (name + "-cert.pem"));
  };
  const Certificate peer =
      signcert(peer_msp_folder(n.out(), org1, "peer0"), "peer0.org1.example.com");
  EXPECT_EQ(organizational_units(peer), std::vector<std::string>{"peer"});
  EXPECT_NE(peer.subject().find("OU = peer, CN = peer0.org1.example.com"), std::string::npos)
      << peer.subject();
  EXPECT_EQ(
      organizational_units(signcert(admin_msp_folder(n.out(), org1), "Admin@org1.example.com")),
      std::vector<std::string>{"admin"});
  EXPECT_EQ(
      organizational_units(signcert(user_msp_folder(n.out(), org1), "User1@org1.example.com")),
      std::vector<std::string>{"client"});
  EXPECT_EQ(organizational_units(signcert(orderer_msp_folder(n.out(), *n.spec.orderer, "orderer"),
                                          "orderer.example.com")),
            std::vector<std::string>{"orderer"});
  // TLS certificates carry no OU, as cryptogen's.
  EXPECT_TRUE(
      organizational_units(load_certificate(peer_tls_files(n.out(), org1, "peer0").certificate))
          .empty());
  const Certificate tls_ca = load_certificate(tls_ca_certificate_file(n.out(), org1));
  EXPECT_TRUE(tls_ca.is_ca());
  EXPECT_NE(tls_ca.subject().find("O = org1.example.com, CN = tlsca.org1.example.com"),
            std::string::npos)
      << tls_ca.subject();
}

TEST(Generate, TlsCertificatesComeFromTheSeparateTlsCaWithHostSans) {
  const FullNetwork& n = full_network();
  const NetworkSpec::Org& org1 = n.spec.orgs[0];
  const TlsFiles tls = peer_tls_files(n.out(), org1, "peer1");
  const Certificate server = load_certificate(tls.certificate);
  EXPECT_TRUE(verifies(server, tls_ca_certificate_file(n.out(), org1)));
  EXPECT_FALSE(verifies(server, ca_certificate_file(n.out(), org1)));
  EXPECT_EQ(read_text(tls.ca_certificate), read_text(tls_ca_certificate_file(n.out(), org1)));
  EXPECT_EQ(alt_names(server),
            (std::vector<std::string>{"DNS:peer1.org1.example.com", "DNS:peer1",
                                      "DNS:peer1.alt.org1.example.com", "IP:10.0.0.7",
                                      "DNS:localhost", "IP:127.0.0.1"}));
  EXPECT_TRUE(X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER);
  EXPECT_TRUE(X509_get_extended_key_usage(server.get()) & XKU_SSL_CLIENT);
  EXPECT_TRUE(X509_get_key_usage(server.get()) & KU_KEY_ENCIPHERMENT);
  EXPECT_FALSE(server.is_ca());
  const auto orderer_names = alt_names(
      load_certificate(orderer_tls_files(n.out(), *n.spec.orderer, "orderer").certificate));
  EXPECT_TRUE(contains(orderer_names, "DNS:orderer.example.com"));
  EXPECT_TRUE(contains(orderer_names, "IP:127.0.0.1"));
  const Certificate client = load_certificate(admin_tls_files(n.out(), org1).certificate);
  EXPECT_TRUE(verifies(client, tls_ca_certificate_file(n.out(), org1)));
  EXPECT_TRUE(X509_get_extended_key_usage(client.get()) & XKU_SSL_CLIENT);
}

TEST(Generate, WithoutNodeOUsAdminCertsHoldTheAdminAsCryptogenCopiesIt) {
  const TempFolder folder;
  NetworkSpec::Org org{"Org1", "Org1MSP", "org1.example.com", {"peer0"}};
  org.node_ous = false;
  const NetworkSpec spec{{org}};
  generate_crypto_material(spec, folder.path(), kValidFrom);
  const std::string admin = read_text(admin_msp_folder(folder.path(), org) / "signcerts" /
                                      "Admin@org1.example.com-cert.pem");
  EXPECT_EQ(read_text(org_folder(folder.path(), org) / "msp" / "admincerts" /
                      "Admin@org1.example.com-cert.pem"),
            admin);
  EXPECT_EQ(read_text(peer_msp_folder(folder.path(), org, "peer0") / "admincerts" /
                      "Admin@org1.example.com-cert.pem"),
            admin);
  EXPECT_FALSE(fs::exists(peer_msp_folder(folder.path(), org, "peer0") / "config.yaml"));
  EXPECT_TRUE(
      organizational_units(load_certificate(peer_msp_folder(folder.path(), org, "peer0") /
                                            "signcerts" / "peer0.org1.example.com-cert.pem"))
          .empty());
}

TEST(Generate, IssuesTlsCertificatesFromAGivenCaWithChosenSansAndValidity) {
  const FullNetwork& n = full_network();
  const NetworkSpec::Org& org1 = n.spec.orgs[0];
  CertificateRequest request;
  request.common_name = "peer9.org1.example.com";
  request.sans = {"peer9.org1.example.com", "127.0.0.1"};
  request.not_before = kValidFrom - std::chrono::hours(48);
  request.not_after = kValidFrom - std::chrono::hours(24);  // expired at kValidFrom
  const IssuedCertificate expired = issue_certificate(tls_ca_certificate_file(n.out(), org1),
                                                      tls_ca_key_file(n.out(), org1), request);
  const Certificate certificate = Certificate::all_from_pem(expired.certificate_pem)->front();
  EXPECT_TRUE(verifies(certificate, tls_ca_certificate_file(n.out(), org1)));
  EXPECT_EQ(certificate.not_after(), kValidFrom - std::chrono::hours(24));
  EXPECT_EQ(alt_names(certificate),
            (std::vector<std::string>{"DNS:peer9.org1.example.com", "IP:127.0.0.1"}));
  EXPECT_TRUE(expired.key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));

  const IssuedCertificate foreign_ca =
      make_certificate_authority("tlsca.evil.com", "evil.com", kValidFrom);
  request.not_after = kValidFrom + std::chrono::hours(24);
  const IssuedCertificate foreign = issue_certificate(foreign_ca, request);
  const Certificate foreign_certificate =
      Certificate::all_from_pem(foreign.certificate_pem)->front();
  EXPECT_FALSE(verifies(foreign_certificate, tls_ca_certificate_file(n.out(), org1)));
  EXPECT_EQ(X509_verify(foreign_certificate.get(),
                        X509_get0_pubkey(
                            Certificate::all_from_pem(foreign_ca.certificate_pem)->front().get())),
            1);

  const TempFolder folder;
  write_certificate_and_key(foreign, folder.path() / "tls" / "server.crt",
                            folder.path() / "tls" / "server.key");
  EXPECT_EQ(read_text(folder.path() / "tls" / "server.crt"), foreign.certificate_pem);
  EXPECT_EQ(permission_bits(folder.path() / "tls" / "server.key"), 0600u);

  request.sans = {"bad,name"};
  EXPECT_THROW(issue_certificate(foreign_ca, request), CryptoError);
  EXPECT_THROW(issue_certificate(IssuedCertificate{foreign_ca.certificate_pem, foreign.key_pem},
                                 CertificateRequest{"x", {}, {}, kValidFrom, kValidFrom, true}),
               CryptoError);  // key of another certificate
}

TEST(Generate, BadSanIsRefusedBeforeAnythingIsWritten) {
  const TempFolder folder;
  NetworkSpec::Org org{"Org1", "Org1MSP", "org1.example.com", {"peer0"}};
  org.sans = {"not a name"};
  const std::string error = error_of(NetworkSpec{{org}}, folder.path());
  EXPECT_NE(error.find("\"not a name\""), std::string::npos) << error;
  EXPECT_TRUE(fs::is_empty(folder.path()));
}

}  // namespace
}  // namespace fabnet::crypto
