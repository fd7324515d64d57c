#include "crypto/x509_crypto_service.h"

#include <gtest/gtest.h>

#include "crypto/identity.h"
#include "generated_network.h"
#include "test_support.h"

namespace fabnet::crypto {
namespace {

using testing::read_text;
using testing::reference_sha256;
using testing::shared_network;

X509CryptoService service_of(std::size_t org, std::string_view peer) {
  const auto& network = shared_network();
  return X509CryptoService(load_local_msp(network.msp(org, peer), network.org(org).msp_id));
}

TEST(X509CryptoService, PkiIdAndOrgOfAPeerIdentity) {
  const X509CryptoService org1_peer0 = service_of(0, "peer0");
  const X509CryptoService org2_peer0 = service_of(1, "peer0");
  const std::string pem =
      read_text(shared_network().msp(1, "peer0") / "signcerts" / "peer0.org2.example.com-cert.pem");
  EXPECT_EQ(org1_peer0.pki_id_of(org2_peer0.identity()), reference_sha256("Org2MSP" + pem));
  EXPECT_EQ(org1_peer0.pki_id_of(org2_peer0.identity()), org2_peer0.pki_id());
  EXPECT_EQ(org1_peer0.org_of(org2_peer0.identity()), "Org2MSP");
  EXPECT_EQ(org1_peer0.org_of(org1_peer0.identity()), "Org1MSP");
  EXPECT_NE(org1_peer0.pki_id(), org2_peer0.pki_id());
}

TEST(X509CryptoService, OnePeersSignatureVerifiesAtAnother) {
  const X509CryptoService signer = service_of(0, "peer1");
  const X509CryptoService verifier = service_of(1, "peer0");
  const std::string signature = signer.sign("alive message");
  EXPECT_TRUE(verifier.verify(signer.identity(), "alive message", signature));
  EXPECT_TRUE(verifier.verify(signer.identity(), "alive message", signature));  // cached key
  EXPECT_FALSE(verifier.verify(signer.identity(), "alive messagE", signature));
  EXPECT_FALSE(verifier.verify(verifier.identity(), "alive message", signature));
}

TEST(X509CryptoService, HighSSignatureIsRefused) {
  const X509CryptoService signer = service_of(0, "peer0");
  const std::string signature = signer.sign("leadership");
  EXPECT_TRUE(signer.verify(signer.identity(), "leadership", signature));
  EXPECT_FALSE(signer.verify(signer.identity(), "leadership", testing::flip_s(signature)));
}

TEST(X509CryptoService, MalformedIdentityHasNoPkiIdAndVerifiesNothing) {
  const X509CryptoService service = service_of(0, "peer0");
  const std::string signature = service.sign("x");
  const std::string pem =
      read_text(shared_network().msp(0, "peer0") / "signcerts" / "peer0.org1.example.com-cert.pem");
  for (const std::string& identity :
       {std::string("garbage"), serialize_identity("Org1MSP", "not pem"),
        serialize_identity("Org1MSP", pem + "trailing"), serialize_identity("", pem)}) {
    EXPECT_FALSE(service.pki_id_of(identity));
    EXPECT_FALSE(service.verify(identity, "x", signature));
  }
  EXPECT_FALSE(service.org_of("garbage"));
}

}  // namespace
}  // namespace fabnet::crypto
