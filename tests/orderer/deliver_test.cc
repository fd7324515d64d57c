#include <gtest/gtest.h>

#include "crypto/identity.h"
#include "orderer_fixture.h"

namespace fabnet::orderer::testing {
namespace {

using namespace std::chrono_literals;
using ::orderer::SeekInfo;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

struct DeliverTest : ::testing::Test {
  config::BatchSettings batch = [] {
    config::BatchSettings b;
    b.max_message_count = 1;  // one block per envelope keeps heights obvious
    return b;
  }();
  OrdererHarness h{batch};
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  Orderer::SessionId session = h.orderer().open_deliver(sink);

  void grow_to(std::uint64_t height) {
    while (h.ledger().height() < height) h.broadcast(h.envelope());
  }
  void request(const std::string& envelope) {
    h.orderer().deliver_request(session, h.validator().check_deliver(envelope));
  }
  void seek(const ::orderer::SeekPosition& start, const ::orderer::SeekPosition& stop,
            SeekInfo::SeekBehavior behavior = SeekInfo::BLOCK_UNTIL_READY) {
    request(h.seek(seek_info(start, stop, behavior)));
  }
};

TEST_F(DeliverTest, OldestToNewestSendsTheStoredBytesThenSuccess) {
  grow_to(4);
  seek(oldest(), newest());
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{0, 1, 2, 3}));
  for (std::uint64_t n = 0; n < 4; ++n) EXPECT_EQ(sink->blocks[n], *h.ledger().block_bytes(n));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::SUCCESS}));
}

TEST_F(DeliverTest, SpecifiedRangeAndNewestAlone) {
  grow_to(6);
  seek(specified(2), specified(4));
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{2, 3, 4}));
  seek(newest(), newest());  // the next SeekInfo on the same stream, after SUCCESS
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::SUCCESS, common::SUCCESS}));
}

TEST_F(DeliverTest, BeyondHeightWithFailIfNotReadyIsNotFound) {
  grow_to(3);
  seek(specified(3), specified(5), SeekInfo::FAIL_IF_NOT_READY);
  EXPECT_TRUE(sink->numbers.empty());
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::NOT_FOUND}));
}

TEST_F(DeliverTest, FailIfNotReadyStopsWithNotFoundAtTheHead) {
  grow_to(3);
  seek(specified(1), specified(5), SeekInfo::FAIL_IF_NOT_READY);
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::NOT_FOUND}));
}

TEST_F(DeliverTest, BlockUntilReadyStreamsBlocksAsTheyAreCut) {
  grow_to(2);
  seek(specified(1), specified(kMax));
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(sink->statuses.empty());
  h.broadcast(h.envelope());
  h.broadcast(h.envelope());
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(sink->blocks.back(), *h.ledger().block_bytes(3));
}

TEST_F(DeliverTest, BlockUntilReadyFromAFutureBlockWaitsForIt) {
  grow_to(2);
  seek(specified(4), specified(4));
  grow_to(4);
  EXPECT_TRUE(sink->numbers.empty());
  grow_to(5);
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::SUCCESS}));
}

TEST_F(DeliverTest, FullSinkPausesUntilReady) {
  grow_to(5);
  sink->room = 2;
  seek(oldest(), newest());
  EXPECT_EQ(sink->numbers.size(), 2u);
  sink->room = SIZE_MAX;
  h.orderer().deliver_ready(session);
  EXPECT_EQ(sink->numbers.size(), 5u);
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::SUCCESS}));
}

TEST_F(DeliverTest, MalformedSeekInfoIsBadRequest) {
  request(h.seek(std::string("\xff\xff\xff", 3)));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::BAD_REQUEST}));
}

TEST_F(DeliverTest, SeekInfoWithoutPositionsIsBadRequest) {
  request(h.seek(SeekInfo().SerializeAsString()));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::BAD_REQUEST}));
}

TEST_F(DeliverTest, StartAfterStopIsBadRequest) {
  grow_to(4);
  seek(specified(3), specified(1));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::BAD_REQUEST}));
}

TEST_F(DeliverTest, UnknownChannelIsNotFound) {
  request(h.seek(seek_info(oldest(), newest(), SeekInfo::BLOCK_UNTIL_READY), "nochannel"));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::NOT_FOUND}));
}

TEST_F(DeliverTest, UnsignedRequestIsForbidden) {
  request(h.seek(seek_info(oldest(), newest(), SeekInfo::BLOCK_UNTIL_READY), "mychannel", false));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::FORBIDDEN}));
  EXPECT_TRUE(sink->numbers.empty());
}

TEST_F(DeliverTest, CreatorFromNoChannelOrgIsForbidden) {
  static const crypto::LocalMsp org3 = material().user(2);
  EnvelopeSpec spec;
  spec.type = common::DELIVER_SEEK_INFO;
  spec.data = seek_info(oldest(), newest(), SeekInfo::BLOCK_UNTIL_READY);
  spec.signer = &org3;
  request(h.envelope(spec));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::FORBIDDEN}));
}

TEST_F(DeliverTest, WrongHeaderTypeAndStaleTimestampAreBadRequest) {
  request(h.envelope({.data = seek_info(oldest(), newest(), SeekInfo::BLOCK_UNTIL_READY)}));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::BAD_REQUEST}));
  auto second = std::make_shared<RecordingSink>();
  auto id = h.orderer().open_deliver(second);
  EnvelopeSpec spec;
  spec.type = common::DELIVER_SEEK_INFO;
  spec.data = seek_info(oldest(), newest(), SeekInfo::BLOCK_UNTIL_READY);
  spec.timestamp = wall_time(h.scheduler()) - 20min;
  h.orderer().deliver_request(id, h.validator().check_deliver(h.envelope(spec)));
  EXPECT_EQ(second->statuses, (std::vector<common::Status>{common::BAD_REQUEST}));
}

TEST_F(DeliverTest, ClosedSessionGetsNothingMore) {
  grow_to(2);
  seek(specified(1), specified(kMax));
  h.orderer().close_deliver(session);
  grow_to(4);
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(h.orderer().open_sessions(), 0u);
}

}  // namespace
}  // namespace fabnet::orderer::testing

namespace fabnet::orderer::testing {
namespace {

TEST_F(DeliverTest, StartBeyondHeightIsNotFoundEvenWhenStopIsNewest) {
  grow_to(3);
  seek(specified(50), newest(), SeekInfo::FAIL_IF_NOT_READY);
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::NOT_FOUND}));
}

}  // namespace
}  // namespace fabnet::orderer::testing

// Access is re-evaluated per block (Fabric's deliver session access control).
namespace fabnet::orderer::testing {
namespace {

// Orders an envelope without the validator (whose clock would refuse it once the
// test moved past the client's certificate).
void order_unchecked(OrdererHarness& h) {
  h.orderer().order("mychannel", h.envelope(), [](common::Status, const std::string&) {});
}

TEST_F(DeliverTest, AStreamOutlivingTheRequestersCertificateEndsForbiddenAtTheNextBlock) {
  grow_to(2);
  seek(specified(1), specified(kMax));
  ASSERT_EQ(sink->numbers, (std::vector<std::uint64_t>{1}));
  const auto user = material().user(0);
  const auto identity = crypto::parse_identity(user.identity);
  ASSERT_TRUE(identity);
  const auto certificate = crypto::certificate_of(*identity);
  ASSERT_TRUE(certificate);
  order_unchecked(h);  // still valid: delivered
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1, 2}));
  h.scheduler().run_for(certificate->not_after() - wall_time(h.scheduler()) + 1s);
  order_unchecked(h);
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1, 2})) << "block 3 sent after expiry";
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::FORBIDDEN}));
}

TEST_F(DeliverTest, AnAccessChangeIsReEvaluatedBeforeTheNextBlockOnly) {
  int checks = 0;
  std::string verdict;
  h.orderer().set_access_check([&](const std::string& channel, const std::string& creator) {
    ++checks;
    EXPECT_EQ(channel, "mychannel");
    EXPECT_EQ(creator, material().user(0).identity);
    return verdict;
  });
  grow_to(2);
  seek(specified(1), specified(kMax));
  grow_to(3);
  EXPECT_EQ(checks, 0) << "no change, no re-evaluation";
  h.orderer().access_changed("mychannel");
  grow_to(4);  // still allowed: re-evaluated once, delivered
  EXPECT_EQ(checks, 1);
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1, 2, 3}));
  verdict = "creator's org Org1MSP is no longer a member of channel mychannel";
  h.orderer().access_changed("mychannel");
  grow_to(5);
  EXPECT_EQ(checks, 2);
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(sink->statuses, (std::vector<common::Status>{common::FORBIDDEN}));
}

TEST(RequestValidatorAccess, ReEvaluatesMembershipAndValidityWithoutASignature) {
  OrdererHarness h;
  EXPECT_EQ(h.validator().access_problem("mychannel", material().user(0).identity), "");
  EXPECT_NE(h.validator().access_problem("mychannel", material().user(2).identity), "");
  EXPECT_NE(h.validator().access_problem("nochannel", material().user(0).identity), "");
}

}  // namespace
}  // namespace fabnet::orderer::testing
