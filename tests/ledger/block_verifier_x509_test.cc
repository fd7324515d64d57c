// BlockVerifier with real identities: ECDSA P-256 X.509 material as cryptogen lays it out.

#include <gtest/gtest.h>

#include "../crypto/generated_network.h"
#include "../crypto/test_support.h"
#include "crypto/msp.h"
#include "crypto/x509_crypto_service.h"
#include "fake_block_crypto.h"
#include "ledger/block_builder.h"
#include "ledger/block_verifier.h"

namespace fabnet::ledger {
namespace {

using crypto::testing::shared_network;

// Org2 plays the orderer org; Org1 is an application org.
class BlockVerifierX509Test : public ::testing::Test {
 protected:
  BlockVerifierX509Test()
      : orderer_(crypto::load_local_msp(shared_network().msp(1, "peer0"), "Org2MSP")),
        peer_(crypto::load_local_msp(shared_network().msp(0, "peer0"), "Org1MSP")),
        validator_(crypto::IdentityValidator::CaCertificates{{"Org1MSP", {read_ca(0)}},
                                                             {"Org2MSP", {read_ca(1)}}}),
        verifier_("mychannel", {"Org2MSP"}, peer_, [this](std::string_view identity) {
          return validator_.validate(identity, crypto::testing::kDuringValidity).ok();
        }) {}

  static std::string read_ca(std::size_t org) {
    return crypto::testing::read_text(
        crypto::ca_certificate_file(shared_network().out(), shared_network().org(org)));
  }
  static common::Block block() {
    return make_block(7, "previous", {testing::envelope_for("mychannel", "tx")});
  }

  crypto::X509CryptoService orderer_;
  crypto::X509CryptoService peer_;
  crypto::IdentityValidator validator_;
  BlockVerifier verifier_;
};

TEST_F(BlockVerifierX509Test, AcceptsABlockSignedByTheOrdererOrgsKey) {
  auto signed_block = block();
  sign_block(signed_block, orderer_.identity(),
             [this](std::string_view payload) { return orderer_.sign(payload); });
  const auto result = verifier_.verify(signed_block, 7);
  EXPECT_TRUE(result.ok) << result.detail;
}

TEST_F(BlockVerifierX509Test, RefusesASignatureMadeOverOtherBytes) {
  auto signed_block = block();
  sign_block(signed_block, orderer_.identity(), [this](std::string_view payload) {
    return orderer_.sign(std::string(payload) + "!");
  });
  EXPECT_EQ(verifier_.verify(signed_block, 7).reason, RefusalReason::kBadSignature);
}

TEST_F(BlockVerifierX509Test, RefusesAValidSignatureFromAnApplicationOrg) {
  auto signed_block = block();
  sign_block(signed_block, peer_.identity(),
             [this](std::string_view payload) { return peer_.sign(payload); });
  EXPECT_EQ(verifier_.verify(signed_block, 7).reason, RefusalReason::kNoOrdererSignature);
}

TEST_F(BlockVerifierX509Test, RefusesAnApplicationKeyClaimingTheOrdererOrg) {
  msp::SerializedIdentity impostor;
  ASSERT_TRUE(impostor.ParseFromString(peer_.identity()));
  impostor.set_mspid("Org2MSP");
  auto signed_block = block();
  sign_block(signed_block, impostor.SerializeAsString(),
             [this](std::string_view payload) { return peer_.sign(payload); });
  const auto result = verifier_.verify(signed_block, 7);
  EXPECT_EQ(result.reason, RefusalReason::kNoOrdererSignature) << result.detail;
}

}  // namespace
}  // namespace fabnet::ledger
