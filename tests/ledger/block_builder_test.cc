#include "ledger/block_builder.h"

#include <gtest/gtest.h>

#include "ledger/block_hash.h"

namespace fabnet::ledger {
namespace {

std::string fake_sign(std::string_view payload) {
  return "sig(" + std::string(payload) + ")";
}

TEST(BlockBuilderTest, MakesAChainedBlockWithFabricsMetadataSlots) {
  BlockBuilder builder(5, "previous");
  const auto block = builder.next({"e1", "e2"});
  EXPECT_EQ(block.header().number(), 5u);
  EXPECT_EQ(block.header().previous_hash(), "previous");
  EXPECT_EQ(block.header().data_hash(), data_hash(block.data()));
  ASSERT_EQ(block.data().data_size(), 2);
  EXPECT_EQ(block.metadata().metadata_size(), 5);
  EXPECT_EQ(builder.next_number(), 6u);
  EXPECT_EQ(builder.previous_hash(), header_hash(block.header()));
  EXPECT_EQ(builder.next({}).header().previous_hash(), header_hash(block.header()));
}

TEST(BlockBuilderTest, SignatureCoversValueSignatureHeaderAndHeaderDer) {
  auto block = make_block(3, "prev", {"e"});
  sign_block(block, "orderer-identity", fake_sign, "value", "nonce");

  common::Metadata signatures;
  ASSERT_TRUE(signatures.ParseFromString(block.metadata().metadata(common::SIGNATURES)));
  EXPECT_EQ(signatures.value(), "value");
  ASSERT_EQ(signatures.signatures_size(), 1);
  common::SignatureHeader signature_header;
  ASSERT_TRUE(signature_header.ParseFromString(signatures.signatures(0).signature_header()));
  EXPECT_EQ(signature_header.creator(), "orderer-identity");
  EXPECT_EQ(signature_header.nonce(), "nonce");
  EXPECT_EQ(signatures.signatures(0).signature(),
            fake_sign("value" + signatures.signatures(0).signature_header() +
                      header_der(block.header())));
}

TEST(BlockBuilderTest, SecondSignerKeepsTheValueAndAddsASignature) {
  auto block = make_block(0, "", {"e"});
  sign_block(block, "first", fake_sign, "value");
  sign_block(block, "second", fake_sign, "ignored");
  common::Metadata signatures;
  ASSERT_TRUE(signatures.ParseFromString(block.metadata().metadata(common::SIGNATURES)));
  EXPECT_EQ(signatures.value(), "value");
  ASSERT_EQ(signatures.signatures_size(), 2);
  common::SignatureHeader first;
  ASSERT_TRUE(first.ParseFromString(signatures.signatures(0).signature_header()));
  EXPECT_EQ(first.nonce().size(), 24u);
}

}  // namespace
}  // namespace fabnet::ledger
