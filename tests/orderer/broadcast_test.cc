#include <gtest/gtest.h>

#include "block_check.h"
#include "orderer_fixture.h"

namespace fabnet::orderer::testing {
namespace {

using namespace std::chrono_literals;

TEST(OrdererGenesis, EachChannelStartsWithASignedConfigBlockZero) {
  OrdererHarness h;
  ASSERT_EQ(h.ledger().height(), 1u);
  common::Block block = *h.ledger().block(0);
  ASSERT_EQ(block.data().data_size(), 1);
  common::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(block.data().data(0)));
  common::Payload payload;
  ASSERT_TRUE(payload.ParseFromString(envelope.payload()));
  common::ChannelHeader ch;
  ASSERT_TRUE(ch.ParseFromString(payload.header().channel_header()));
  EXPECT_EQ(ch.type(), common::CONFIG);
  EXPECT_EQ(ch.channel_id(), "mychannel");
  EXPECT_EQ(payload.data(), "channel definition");
  EXPECT_EQ(check_chain(h.ledger(), h.crypto(), "OrdererMSP"), "");
}

TEST(OrdererBroadcast, SuccessOnlyOnceTheEnvelopesBlockIsAppended) {
  OrdererHarness h;
  auto status = h.broadcast(h.envelope());
  EXPECT_FALSE(status->has_value());  // pending in the cutter: not durable yet
  EXPECT_EQ(h.ledger().height(), 1u);
  h.scheduler().run_for(2s);  // BatchTimeout
  ASSERT_TRUE(status->has_value());
  EXPECT_EQ(**status, common::SUCCESS);
  EXPECT_EQ(h.ledger().height(), 2u);
  EXPECT_EQ(check_chain(h.ledger(), h.crypto(), "OrdererMSP"), "");
}

TEST(OrdererBroadcast, BlocksCarryEnvelopeBytesInArrivalOrderAndChain) {
  OrdererHarness h;
  std::vector<std::string> sent;
  std::vector<std::shared_ptr<std::optional<common::Status>>> statuses;
  for (int i = 0; i < 25; ++i) {
    sent.push_back(h.envelope({.data = "tx" + std::to_string(i)}));
    statuses.push_back(h.broadcast(sent.back()));
  }
  h.scheduler().run_for(2s);
  for (const auto& s : statuses) EXPECT_EQ(s->value_or(common::UNKNOWN), common::SUCCESS);
  ASSERT_EQ(h.ledger().height(), 4u);  // genesis + 10 + 10 + 5
  std::vector<std::string> stored;
  for (std::uint64_t n = 1; n < h.ledger().height(); ++n) {
    const common::Block block = *h.ledger().block(n);
    for (const auto& e : block.data().data()) stored.push_back(e);
  }
  EXPECT_EQ(stored, sent);
  EXPECT_EQ(check_chain(h.ledger(), h.crypto(), "OrdererMSP"), "");
}

// Each refusal: the right status at once, and the ledger never changes.
struct Refusal {
  const char* name;
  common::Status status;
  std::function<std::string(OrdererHarness&)> envelope;
};

class OrdererRefuses : public ::testing::TestWithParam<Refusal> {};

TEST_P(OrdererRefuses, WithItsStatusAndLeavesTheLedgerUnchanged) {
  config::BatchSettings batch;
  batch.absolute_max_bytes = 4096;
  OrdererHarness h(batch);
  auto status = h.broadcast(GetParam().envelope(h));
  ASSERT_TRUE(status->has_value()) << "a refusal is answered at once";
  EXPECT_EQ(**status, GetParam().status);
  h.scheduler().run_for(10s);
  EXPECT_EQ(h.ledger().height(), 1u);
  EXPECT_EQ(h.orderer().awaiting_ack(), 0u);
}

const crypto::LocalMsp& org2_user() {
  static const crypto::LocalMsp msp = material().user(1);
  return msp;
}
const crypto::LocalMsp& org3_user() {
  static const crypto::LocalMsp msp = material().user(2);
  return msp;
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, OrdererRefuses,
    ::testing::Values(
        Refusal{"Unsigned", common::FORBIDDEN,
                [](OrdererHarness& h) { return h.envelope({.sign = false}); }},
        Refusal{"WronglySigned", common::FORBIDDEN,
                [](OrdererHarness& h) {
                  EnvelopeSpec spec;
                  spec.signer = &org2_user();  // Org1's creator, Org2's key
                  static const crypto::LocalMsp org1 = material().user(0);
                  spec.creator = &org1;
                  return h.envelope(spec);
                }},
        Refusal{"CreatorFromNoChannelOrg", common::FORBIDDEN,
                [](OrdererHarness& h) { return h.envelope({.signer = &org3_user()}); }},
        Refusal{"UnknownChannel", common::NOT_FOUND,
                [](OrdererHarness& h) { return h.envelope({.channel = "nochannel"}); }},
        Refusal{"Oversize", common::BAD_REQUEST,
                [](OrdererHarness& h) { return h.envelope({.data = std::string(5000, 'x')}); }},
        Refusal{"StaleTimestamp", common::BAD_REQUEST,
                [](OrdererHarness& h) {
                  return h.envelope({.timestamp = wall_time(h.scheduler()) - 16min});
                }},
        Refusal{"FutureTimestamp", common::BAD_REQUEST,
                [](OrdererHarness& h) {
                  return h.envelope({.timestamp = wall_time(h.scheduler()) + 16min});
                }},
        Refusal{"ConfigUpdateNotImplemented", common::BAD_REQUEST,
                [](OrdererHarness& h) { return h.envelope({.type = common::CONFIG_UPDATE}); }},
        Refusal{"DeliverSeekInfoType", common::BAD_REQUEST,
                [](OrdererHarness& h) { return h.envelope({.type = common::DELIVER_SEEK_INFO}); }},
        Refusal{"Garbage", common::BAD_REQUEST,
                [](OrdererHarness&) { return std::string("\xff\xff\xff", 3); }},
        Refusal{"EmptyPayload", common::BAD_REQUEST,
                [](OrdererHarness&) { return std::string(); }}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

TEST(OrdererBroadcast, TimestampJustInsideTheWindowIsAccepted) {
  OrdererHarness h;
  auto status = h.broadcast(h.envelope({.timestamp = wall_time(h.scheduler()) - 14min}));
  h.scheduler().run_for(2s);
  EXPECT_EQ(status->value_or(common::UNKNOWN), common::SUCCESS);
}

TEST(OrdererBroadcast, SecondOrgOfTheChannelIsAccepted) {
  OrdererHarness h;
  auto status = h.broadcast(h.envelope({.signer = &org2_user()}));
  h.scheduler().run_for(2s);
  EXPECT_EQ(status->value_or(common::UNKNOWN), common::SUCCESS);
}

TEST(OrdererBroadcast, StopCutsWhatIsPendingAndRefusesMore) {
  OrdererHarness h;
  auto first = h.broadcast(h.envelope());
  h.orderer().stop();
  EXPECT_EQ(first->value_or(common::UNKNOWN), common::SUCCESS);
  EXPECT_EQ(h.ledger().height(), 2u);
  auto later = h.broadcast(h.envelope());
  EXPECT_EQ(later->value_or(common::UNKNOWN), common::SERVICE_UNAVAILABLE);
}

}  // namespace
}  // namespace fabnet::orderer::testing
