#include "ledger/block_verifier.h"

#include <fmt/format.h>

#include "ledger/block_hash.h"
#include "ledger/chain.h"

namespace fabnet::ledger {
namespace {

// The channel named by the first envelope's ChannelHeader, or nullopt if any layer of
// it does not parse (protocol.md §3.5 rule 2).
std::optional<std::string> channel_of_first_envelope(const common::BlockData& data) {
  if (data.data_size() == 0) return std::nullopt;
  common::Envelope envelope;
  common::Payload payload;
  common::ChannelHeader channel_header;
  if (!envelope.ParseFromString(data.data(0)) || !payload.ParseFromString(envelope.payload()) ||
      !payload.has_header() || !channel_header.ParseFromString(payload.header().channel_header())) {
    return std::nullopt;
  }
  return channel_header.channel_id();
}

}  // namespace

BlockVerifier::BlockVerifier(std::string channel,
                             std::set<std::string, std::less<>> orderer_msp_ids,
                             const CryptoService& crypto, IdentityCheck identity_check)
    : channel_(std::move(channel)),
      orderer_msp_ids_(std::move(orderer_msp_ids)),
      crypto_(crypto),
      identity_check_(std::move(identity_check)) {}

AppendResult BlockVerifier::verify(const common::Block& block,
                                   std::uint64_t expected_number) const {
  auto result = check(block, expected_number);
  if (!result.ok) refusals_.add(result.reason);
  return result;
}

AppendResult BlockVerifier::check(const common::Block& block, std::uint64_t expected_number) const {
  if (!block.has_header()) return refused(RefusalReason::kMalformed, "block has no header");
  const auto number = block.header().number();
  if (number != expected_number) {
    return refused(RefusalReason::kWrongNumber,
                   fmt::format("block number {} but {} was expected", number, expected_number));
  }
  if (!block.has_data() || block.data().data_size() == 0) {
    return refused(RefusalReason::kMalformed, fmt::format("block {} has no data", number));
  }
  const auto channel = channel_of_first_envelope(block.data());
  if (!channel) {
    return refused(RefusalReason::kMalformed,
                   fmt::format("block {}: first envelope's channel header does not parse", number));
  }
  if (*channel != channel_) {
    return refused(
        RefusalReason::kWrongChannel,
        fmt::format("block {} is for channel '{}', not '{}'", number, *channel, channel_));
  }
  common::Metadata signatures;
  if (!block.has_metadata() || block.metadata().metadata_size() <= common::SIGNATURES ||
      !signatures.ParseFromString(block.metadata().metadata(common::SIGNATURES))) {
    return refused(RefusalReason::kMalformed,
                   fmt::format("block {}: metadata[SIGNATURES] is missing or unparsable", number));
  }
  if (block.header().data_hash() != data_hash(block.data())) {
    return refused(RefusalReason::kWrongDataHash,
                   fmt::format("block {}: data_hash does not match its data", number));
  }
  return check_signatures(block, signatures);
}

AppendResult BlockVerifier::check_signatures(const common::Block& block,
                                             const common::Metadata& metadata) const {
  const auto number = block.header().number();
  // Signed bytes = value || signature_header || DER(header); DER computed once.
  const auto header = header_der(block.header());
  int orderer_signatures = 0;
  std::string first_problem;
  for (const auto& signature : metadata.signatures()) {
    common::SignatureHeader signature_header;
    if (!signature_header.ParseFromString(signature.signature_header())) {
      if (first_problem.empty()) first_problem = "a signature header does not parse";
      continue;
    }
    const auto& creator = signature_header.creator();
    const auto org = crypto_.org_of(creator);
    if (!org || !orderer_msp_ids_.contains(*org)) {
      if (first_problem.empty()) {
        first_problem = fmt::format("signer of org '{}' is not an orderer org", org.value_or("?"));
      }
      continue;
    }
    if (identity_check_ && !identity_check_(creator)) {
      if (first_problem.empty()) {
        first_problem = fmt::format("signer is not a valid {} member", *org);
      }
      continue;
    }
    ++orderer_signatures;
    std::string payload;
    payload.reserve(metadata.value().size() + signature.signature_header().size() + header.size());
    payload.append(metadata.value()).append(signature.signature_header()).append(header);
    if (crypto_.verify(creator, payload, signature.signature())) return accepted();
    if (first_problem.empty()) first_problem = fmt::format("signature by {} does not verify", *org);
  }
  if (orderer_signatures > 0) {
    return refused(
        RefusalReason::kBadSignature,
        fmt::format("block {}: no orderer signature verifies ({})", number, first_problem));
  }
  return refused(RefusalReason::kNoOrdererSignature,
                 fmt::format("block {}: no signature from an orderer org{}", number,
                             first_problem.empty() ? "" : " (" + first_problem + ")"));
}

AppendResult verify_and_append(const BlockVerifier& verifier, Ledger& ledger,
                               const common::Block& block, std::string_view bytes) {
  auto verified = verifier.verify(block, ledger.height());
  if (!verified.ok) return verified;
  return ledger.append(block, bytes);
}

}  // namespace fabnet::ledger
