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

// cryptogen's layout: an org with NodeOUs (peer, users, orderer org) and one without.
struct CryptogenNetwork {
  CryptogenNetwork() {
    plain.node_ous = false;
    spec = NetworkSpec{{org1, plain}, orderer};
    generate_crypto_material(spec, folder.path(), testing::kValidFrom);
  }
  NetworkSpec::Org org1{"Org1", "Org1MSP", "org1.example.com", {"peer0"}};
  NetworkSpec::Org plain{"Plain", "PlainMSP", "plain.example.com", {"peer0"}};
  NetworkSpec::Org orderer{"Orderer", "OrdererMSP", "example.com", {"orderer"}};
  NetworkSpec spec;
  TempFolder folder;
  const fs::path& out() const { return folder.path(); }
  LocalMsp load(const fs::path& msp, std::string_view id) const { return load_local_msp(msp, id); }
};

const CryptogenNetwork& cryptogen_network() {
  static const CryptogenNetwork network;
  return network;
}

TEST(MspNodeOUs, LoadsCryptogensFoldersAndClassifiesTheSigner) {
  const CryptogenNetwork& n = cryptogen_network();
  const LocalMsp peer = load_local_msp(peer_msp_folder(n.out(), n.org1, "peer0"), "Org1MSP");
  ASSERT_TRUE(peer.node_ous.has_value());
  EXPECT_TRUE(peer.node_ous->enable);
  EXPECT_EQ(peer.node_ous->peer_ou, "peer");
  EXPECT_EQ(peer.role, NodeRole::kPeer);
  EXPECT_EQ(peer.tls_ca_certificates.size(), 1u);
  EXPECT_EQ(load_local_msp(admin_msp_folder(n.out(), n.org1), "Org1MSP").role, NodeRole::kAdmin);
  EXPECT_EQ(load_local_msp(user_msp_folder(n.out(), n.org1), "Org1MSP").role, NodeRole::kClient);
  EXPECT_EQ(load_local_msp(orderer_msp_folder(n.out(), n.orderer, "orderer"), "OrdererMSP").role,
            NodeRole::kOrderer);
  const LocalMsp plain = load_local_msp(peer_msp_folder(n.out(), n.plain, "peer0"), "PlainMSP");
  EXPECT_FALSE(plain.node_ous.has_value());
  EXPECT_EQ(plain.role, NodeRole::kMember);
}

TEST(MspNodeOUs, LocalRoleCheckRefusesAnotherRole) {
  const CryptogenNetwork& n = cryptogen_network();
  EXPECT_TRUE(check_local_role(load_local_msp(peer_msp_folder(n.out(), n.org1, "peer0"), "Org1MSP"),
                               kGossipPeerRoles));
  const Status orderer = check_local_role(
      load_local_msp(orderer_msp_folder(n.out(), n.orderer, "orderer"), "OrdererMSP"),
      kGossipPeerRoles);
  ASSERT_FALSE(orderer);
  EXPECT_TRUE(contains(orderer.error(), "has the role orderer (NodeOUs); expected peer"))
      << orderer.error();
  // Without NodeOUs nothing can be told apart: membership is enough.
  EXPECT_TRUE(check_local_role(
      load_local_msp(peer_msp_folder(n.out(), n.plain, "peer0"), "PlainMSP"), kGossipPeerRoles));
}

TEST(MspNodeOUs, EnabledNodeOUsNeedExactlyOneRoleOu) {
  const CryptogenNetwork& n = cryptogen_network();
  const TempFolder folder;
  const fs::path msp = folder.path() / "msp";
  fs::copy(peer_msp_folder(n.out(), n.plain, "peer0"), msp, fs::copy_options::recursive);
  // A plain certificate (no OU) under a config.yaml that enables NodeOUs.
  testing::write_text(msp / "config.yaml",
                      "NodeOUs:\n  Enable: true\n  PeerOUIdentifier:\n"
                      "    Certificate: cacerts/ca.plain.example.com-cert.pem\n"
                      "    OrganizationalUnitIdentifier: peer\n");
  const std::string error = load_error(msp, "PlainMSP");
  EXPECT_TRUE(contains(error, "not a combination of them")) << error;
  EXPECT_TRUE(contains(error, "signcerts")) << error;
}

TEST(MspNodeOUs, ConfigYamlMistakesNameTheKey) {
  const CryptogenNetwork& n = cryptogen_network();
  const TempFolder folder;
  const fs::path msp = folder.path() / "msp";
  fs::copy(peer_msp_folder(n.out(), n.org1, "peer0"), msp, fs::copy_options::recursive);
  testing::write_text(msp / "config.yaml",
                      "NodeOUs:\n  Enable: true\n  PeerOUIdentifier:\n"
                      "    Certificate: cacerts/missing.pem\n"
                      "    OrganizationalUnitIdentifier: peer\n");
  std::string error = load_error(msp);
  EXPECT_TRUE(contains(error, "config.yaml: NodeOUs.PeerOUIdentifier.Certificate")) << error;
  testing::write_text(msp / "config.yaml", "NodeOUs:\n  Enable: maybe\n");
  error = load_error(msp);
  EXPECT_TRUE(contains(error, "NodeOUs.Enable")) << error;
  // A config.yaml without NodeOUs (e.g. only OrganizationalUnitIdentifiers) classifies nothing.
  testing::write_text(msp / "config.yaml", "OrganizationalUnitIdentifiers: []\n");
  EXPECT_EQ(load_local_msp(msp, "Org1MSP").role, NodeRole::kMember);
}

std::string identity_of(const fs::path& msp, std::string_view msp_id) {
  return load_local_msp(msp, msp_id).identity;
}

TEST(MspNodeOUs, ValidatorAppliesRolesWhereFabricDoes) {
  const CryptogenNetwork& n = cryptogen_network();
  const auto ca = [&](const fs::path& file) { return read_text(file); };
  const IdentityValidator validator(IdentityValidator::Orgs{
      {"Org1MSP",
       {{ca(ca_certificate_file(n.out(), n.org1))},
        load_local_msp(peer_msp_folder(n.out(), n.org1, "peer0"), "Org1MSP").node_ous}},
      {"PlainMSP", {{ca(ca_certificate_file(n.out(), n.plain))}, NodeOUs{}}},
      {"OrdererMSP", {{ca(orderer_ca_certificate_file(n.out(), n.orderer))}, std::nullopt}},
  });
  const auto at = testing::kDuringValidity;
  const std::string peer = identity_of(peer_msp_folder(n.out(), n.org1, "peer0"), "Org1MSP");
  const std::string user = identity_of(user_msp_folder(n.out(), n.org1), "Org1MSP");
  const std::string admin = identity_of(admin_msp_folder(n.out(), n.org1), "Org1MSP");
  const std::string orderer =
      identity_of(orderer_msp_folder(n.out(), n.orderer, "orderer"), "OrdererMSP");
  const std::string plain = identity_of(peer_msp_folder(n.out(), n.plain, "peer0"), "PlainMSP");

  EXPECT_TRUE(validator.validate(peer, at, kGossipPeerRoles));
  const Status client_as_peer = validator.validate(user, at, kGossipPeerRoles);
  ASSERT_FALSE(client_as_peer);
  EXPECT_TRUE(contains(client_as_peer.error(), "has the role client (NodeOUs); expected peer"))
      << client_as_peer.error();
  EXPECT_TRUE(validator.validate(user, at));  // a valid member all the same

  EXPECT_TRUE(validator.validate(user, at, kBroadcastRoles));
  EXPECT_TRUE(validator.validate(admin, at, kBroadcastRoles));
  EXPECT_TRUE(validator.validate(peer, at, kBroadcastRoles));
  EXPECT_FALSE(validator.validate(orderer, at, kBroadcastRoles));

  // The orderer org's NodeOUs are unknown here: its OU=orderer still tells the role.
  EXPECT_TRUE(validator.validate(orderer, at, kBlockSignerRoles));
  EXPECT_FALSE(validator.validate(peer, at, kBlockSignerRoles));

  // NodeOUs disabled: any member passes any role check.
  EXPECT_TRUE(validator.validate(plain, at, kBlockSignerRoles));
  EXPECT_TRUE(validator.validate(plain, at, kGossipPeerRoles));
}

TEST(MspNodeOUs, ValidatorWithNodeOUsEnabledRefusesAnUnclassifiedIdentity) {
  const CryptogenNetwork& n = cryptogen_network();
  NodeOUs strict;
  strict.enable = true;
  const IdentityValidator validator(IdentityValidator::Orgs{
      {"PlainMSP", {{read_text(ca_certificate_file(n.out(), n.plain))}, strict}}});
  const Status status =
      validator.validate(identity_of(peer_msp_folder(n.out(), n.plain, "peer0"), "PlainMSP"),
                         testing::kDuringValidity);
  ASSERT_FALSE(status);
  EXPECT_TRUE(contains(status.error(), "not a combination of them")) << status.error();
}

}  // namespace
}  // namespace fabnet::crypto
