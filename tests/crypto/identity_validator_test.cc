#include <gtest/gtest.h>

#include "crypto/error.h"
#include "crypto/identity.h"
#include "crypto/msp.h"
#include "generated_network.h"
#include "test_support.h"

namespace fabnet::crypto {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::kDuringValidity;
using testing::kValidFrom;
using testing::read_text;
using testing::shared_network;

IdentityValidator two_org_validator() {
  const auto& network = shared_network();
  IdentityValidator::CaCertificates cas;
  for (const auto& org : network.spec().orgs) {
    cas[org.msp_id] = {read_text(ca_certificate_file(network.out(), org))};
  }
  return IdentityValidator(cas);
}

std::string peer_pem(std::size_t org, std::string_view peer) {
  const auto& network = shared_network();
  const std::string host = std::string(peer) + "." + network.org(org).domain;
  return read_text(network.msp(org, peer) / "signcerts" / (host + "-cert.pem"));
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(IdentityValidator, AcceptsPeersOfTheOrgTheyClaim) {
  const IdentityValidator validator = two_org_validator();
  for (std::string_view peer : {"peer0", "peer1"}) {
    const Status verdict =
        validator.validate(serialize_identity("Org1MSP", peer_pem(0, peer)), kDuringValidity);
    EXPECT_TRUE(verdict) << verdict.error();
  }
  EXPECT_TRUE(
      validator.validate(serialize_identity("Org2MSP", peer_pem(1, "peer0")), kDuringValidity));
}

TEST(IdentityValidator, RefusesCertificateOfOtherOrgsCaClaimingThisOrg) {
  const IdentityValidator validator = two_org_validator();
  const Status verdict =
      validator.validate(serialize_identity("Org1MSP", peer_pem(1, "peer0")), kDuringValidity);
  ASSERT_FALSE(verdict);
  EXPECT_TRUE(contains(verdict.error(), "Org1MSP")) << verdict.error();
  EXPECT_TRUE(contains(verdict.error(), "issuer")) << verdict.error();
}

TEST(IdentityValidator, RefusesUnknownOrg) {
  const IdentityValidator validator = two_org_validator();
  const Status verdict =
      validator.validate(serialize_identity("Org3MSP", peer_pem(0, "peer0")), kDuringValidity);
  ASSERT_FALSE(verdict);
  EXPECT_TRUE(contains(verdict.error(), "Org3MSP")) << verdict.error();
  EXPECT_FALSE(validator.knows("Org3MSP"));
  EXPECT_TRUE(validator.knows("Org1MSP"));
}

TEST(IdentityValidator, RefusesExpiredCertificate) {
  const IdentityValidator validator = two_org_validator();
  const std::string identity = serialize_identity("Org1MSP", peer_pem(0, "peer0"));
  const auto not_after = kValidFrom + kCertificateLifetime;
  EXPECT_TRUE(validator.validate(identity, not_after - seconds(1)));
  const Status verdict = validator.validate(identity, not_after + seconds(1));
  ASSERT_FALSE(verdict);
  EXPECT_TRUE(contains(verdict.error(), "expired")) << verdict.error();
}

TEST(IdentityValidator, RefusesCertificateNotYetValid) {
  const IdentityValidator validator = two_org_validator();
  const Status verdict = validator.validate(serialize_identity("Org1MSP", peer_pem(0, "peer0")),
                                            kValidFrom - hours(1));
  ASSERT_FALSE(verdict);
  EXPECT_TRUE(contains(verdict.error(), "not yet valid")) << verdict.error();
}

// Validations are cached per identity; the cache must still answer by the time.
TEST(IdentityValidator, ACachedIdentityIsStillCheckedAgainstTheTime) {
  const IdentityValidator validator = two_org_validator();
  const std::string identity = serialize_identity("Org1MSP", peer_pem(0, "peer0"));
  const auto not_after = kValidFrom + kCertificateLifetime;
  ASSERT_TRUE(validator.validate(identity, kDuringValidity));
  EXPECT_FALSE(validator.validate(identity, kValidFrom - seconds(1)));
  EXPECT_FALSE(validator.validate(identity, not_after + seconds(1)));
  EXPECT_TRUE(validator.validate(identity, kDuringValidity));
  EXPECT_TRUE(validator.validate(identity, not_after));
  // Another org's claim on the same certificate is another identity.
  EXPECT_FALSE(
      validator.validate(serialize_identity("Org2MSP", peer_pem(0, "peer0")), kDuringValidity));
}

TEST(IdentityValidator, RefusesCaCertificateUsedAsIdentity) {
  const auto& network = shared_network();
  const IdentityValidator validator = two_org_validator();
  const std::string ca_pem = read_text(ca_certificate_file(network.out(), network.org(0)));
  const Status verdict = validator.validate(serialize_identity("Org1MSP", ca_pem), kDuringValidity);
  ASSERT_FALSE(verdict);
  EXPECT_TRUE(contains(verdict.error(), "CA certificate")) << verdict.error();
}

TEST(IdentityValidator, RefusesMalformedIdentities) {
  const IdentityValidator validator = two_org_validator();
  EXPECT_FALSE(validator.validate("\x01\x02garbage", kDuringValidity));
  EXPECT_FALSE(validator.validate(serialize_identity("Org1MSP", "not a pem"), kDuringValidity));
  EXPECT_FALSE(validator.validate(serialize_identity("Org1MSP", peer_pem(0, "peer0") + "\n"),
                                  kDuringValidity));
}

TEST(IdentityValidator, BadCaCertificatesAreNamedAtConstruction) {
  try {
    IdentityValidator validator(
        IdentityValidator::CaCertificates{{"Org1MSP", {"not a certificate"}}});
    ADD_FAILURE() << "no CryptoError";
  } catch (const CryptoError& error) {
    EXPECT_TRUE(contains(error.what(), "CA certificates of Org1MSP")) << error.what();
  }
  EXPECT_THROW(IdentityValidator(IdentityValidator::CaCertificates{{"Org1MSP", {}}}), CryptoError);
}

}  // namespace
}  // namespace fabnet::crypto
