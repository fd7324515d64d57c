#include "ledger/block_verifier.h"

#include <gtest/gtest.h>

#include "fake_block_crypto.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "ledger/memory_ledger.h"

namespace fabnet::ledger {
namespace {

using testing::envelope_for;
using testing::FakeBlockCrypto;
using testing::identity_of;

const std::string kChannel = "mychannel";

class BlockVerifierTest : public ::testing::Test {
 protected:
  // Block `number` of kChannel with `envelopes` entries, signed by the orderer.
  common::Block signed_block(std::uint64_t number, int envelopes = 3,
                             std::string_view previous_hash = "prev") const {
    auto block = unsigned_block(number, envelopes, previous_hash);
    sign_block(block, orderer_, FakeBlockCrypto::signer_for(orderer_), "value", "nonce");
    return block;
  }
  common::Block unsigned_block(std::uint64_t number, int envelopes = 3,
                               std::string_view previous_hash = "prev") const {
    std::vector<std::string> data;
    for (int i = 0; i < envelopes; ++i) data.push_back(envelope_for(kChannel, std::to_string(i)));
    return make_block(number, previous_hash, std::move(data));
  }
  void expect_refused(const common::Block& block, std::uint64_t number,
                      RefusalReason reason) const {
    const auto result = verifier_.verify(block, number);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.reason, reason) << refusal_name(result.reason) << ": " << result.detail;
    EXPECT_FALSE(result.detail.empty());
  }

  FakeBlockCrypto crypto_;
  const std::string orderer_ = identity_of("OrdererMSP", "orderer0");
  const std::string peer_ = identity_of("Org1MSP", "peer0");
  BlockVerifier verifier_{kChannel, {"OrdererMSP"}, crypto_};
};

TEST_F(BlockVerifierTest, AcceptsABlockSignedByAnOrdererOrg) {
  const auto result = verifier_.verify(signed_block(4), 4);
  EXPECT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(verifier_.refusals().total(), 0u);
}

TEST_F(BlockVerifierTest, AcceptsWhenAnyOneSignatureIsAValidOrdererSignature) {
  auto block = unsigned_block(1);
  sign_block(block, peer_, FakeBlockCrypto::signer_for(peer_), "value", "n1");
  sign_block(
      block, orderer_, [](std::string_view) { return std::string("forged"); }, "", "n2");
  sign_block(block, orderer_, FakeBlockCrypto::signer_for(orderer_), "", "n3");
  EXPECT_TRUE(verifier_.verify(block, 1).ok);
}

TEST_F(BlockVerifierTest, RefusesAnUnexpectedNumber) {
  expect_refused(signed_block(5), 4, RefusalReason::kWrongNumber);
}

TEST_F(BlockVerifierTest, RefusesABlockForAnotherChannel) {
  auto block = make_block(0, "", {envelope_for("otherchannel", "x"), envelope_for(kChannel, "y")});
  sign_block(block, orderer_, FakeBlockCrypto::signer_for(orderer_));
  expect_refused(block, 0, RefusalReason::kWrongChannel);
}

TEST_F(BlockVerifierTest, RefusesAWrongDataHash) {
  auto block = signed_block(2);
  block.mutable_data()->set_data(1, envelope_for(kChannel, "swapped"));
  expect_refused(block, 2, RefusalReason::kWrongDataHash);
}

TEST_F(BlockVerifierTest, RefusesMissingOrUnparsableSignaturesMetadata) {
  auto no_metadata = signed_block(0);
  no_metadata.clear_metadata();
  expect_refused(no_metadata, 0, RefusalReason::kMalformed);
  auto garbage = signed_block(0);
  garbage.mutable_metadata()->set_metadata(common::SIGNATURES, "\xff\xff\xff");
  expect_refused(garbage, 0, RefusalReason::kMalformed);
}

TEST_F(BlockVerifierTest, RefusesMalformedBlocks) {
  auto headless = signed_block(0);
  headless.clear_header();
  expect_refused(headless, 0, RefusalReason::kMalformed);
  expect_refused(unsigned_block(0, 0), 0, RefusalReason::kMalformed);  // no envelopes
  auto bad_envelope = make_block(0, "", {"\xff not an envelope"});
  sign_block(bad_envelope, orderer_, FakeBlockCrypto::signer_for(orderer_));
  expect_refused(bad_envelope, 0, RefusalReason::kMalformed);
}

TEST_F(BlockVerifierTest, RefusesAForgedSignature) {
  auto block = unsigned_block(3);
  sign_block(block, orderer_, [](std::string_view) { return std::string("forged"); });
  expect_refused(block, 3, RefusalReason::kBadSignature);
}

TEST_F(BlockVerifierTest, RefusesAHeaderChangedAfterSigning) {
  auto block = signed_block(3);
  block.mutable_header()->set_previous_hash("another chain");
  expect_refused(block, 3, RefusalReason::kBadSignature);
  // The signature also covers the metadata value.
  auto revalued = signed_block(3);
  common::Metadata metadata;
  ASSERT_TRUE(metadata.ParseFromString(revalued.metadata().metadata(common::SIGNATURES)));
  metadata.set_value("other value");
  revalued.mutable_metadata()->set_metadata(common::SIGNATURES, metadata.SerializeAsString());
  expect_refused(revalued, 3, RefusalReason::kBadSignature);
}

TEST_F(BlockVerifierTest, RefusesASignerFromANonOrdererOrg) {
  auto block = unsigned_block(0);
  sign_block(block, peer_, FakeBlockCrypto::signer_for(peer_));
  expect_refused(block, 0, RefusalReason::kNoOrdererSignature);
  EXPECT_EQ(crypto_.verifications, 0);  // no signature check for an identity that cannot count
}

TEST_F(BlockVerifierTest, RefusesAnUnsignedBlock) {
  expect_refused(unsigned_block(0), 0, RefusalReason::kNoOrdererSignature);
}

TEST_F(BlockVerifierTest, RefusesASignerTheIdentityCheckRejects) {
  const BlockVerifier strict(kChannel, {"OrdererMSP"}, crypto_,
                             [](std::string_view) { return false; });
  const auto result = strict.verify(signed_block(0), 0);
  EXPECT_EQ(result.reason, RefusalReason::kNoOrdererSignature) << result.detail;
}

TEST_F(BlockVerifierTest, CountsRefusalsByReason) {
  expect_refused(signed_block(5), 4, RefusalReason::kWrongNumber);
  expect_refused(signed_block(5), 4, RefusalReason::kWrongNumber);
  expect_refused(unsigned_block(0), 0, RefusalReason::kNoOrdererSignature);
  const auto counts = verifier_.refusals();
  EXPECT_EQ(counts[RefusalReason::kWrongNumber], 2u);
  EXPECT_EQ(counts[RefusalReason::kNoOrdererSignature], 1u);
  EXPECT_EQ(counts.total(), 3u);
}

TEST_F(BlockVerifierTest, VerifyAndAppendBuildsAChainAndRefusesBadLinks) {
  MemoryLedger ledger;
  BlockBuilder builder;
  for (int n = 0; n < 3; ++n) {
    auto block = builder.next({envelope_for(kChannel, std::to_string(n))});
    sign_block(block, orderer_, FakeBlockCrypto::signer_for(orderer_));
    const auto result = verify_and_append(verifier_, ledger, block, block.SerializeAsString());
    ASSERT_TRUE(result.ok) << result.detail;
  }
  // Well signed but forked: the ledger's chain check refuses it.
  auto forked = make_block(3, "not the last hash", {envelope_for(kChannel, "f")});
  sign_block(forked, orderer_, FakeBlockCrypto::signer_for(orderer_));
  EXPECT_EQ(verify_and_append(verifier_, ledger, forked, forked.SerializeAsString()).reason,
            RefusalReason::kBrokenHashChain);
  // Chained but unsigned: the verifier refuses it.
  const auto unsigned_next = builder.next({envelope_for(kChannel, "u")});
  EXPECT_EQ(
      verify_and_append(verifier_, ledger, unsigned_next, unsigned_next.SerializeAsString()).reason,
      RefusalReason::kNoOrdererSignature);
  EXPECT_EQ(ledger.height(), 3u);
}

}  // namespace
}  // namespace fabnet::ledger
