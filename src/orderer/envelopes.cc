#include "orderer/envelopes.h"

#include <fmt/format.h>

#include "ledger/block_builder.h"
#include "ledger/block_hash.h"

namespace fabnet::orderer {

namespace {

std::string hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

void stamp(common::ChannelHeader& header, std::chrono::system_clock::time_point now) {
  const auto since = now.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
  header.mutable_timestamp()->set_seconds(seconds.count());
  header.mutable_timestamp()->set_nanos(static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since - seconds).count()));
}

}  // namespace

SignedEnvelope make_signed_envelope(const std::string& channel, common::HeaderType type,
                                    std::string data, const std::string& creator,
                                    const SignFn& sign, std::chrono::system_clock::time_point now) {
  const std::string nonce = ledger::random_nonce();
  SignedEnvelope out;
  out.tx_id = hex(ledger::sha256(nonce + creator));
  common::ChannelHeader channel_header;
  channel_header.set_type(type);
  channel_header.set_channel_id(channel);
  channel_header.set_tx_id(out.tx_id);
  stamp(channel_header, now);
  common::SignatureHeader signature_header;
  signature_header.set_creator(creator);
  signature_header.set_nonce(nonce);
  common::Payload payload;
  payload.mutable_header()->set_channel_header(channel_header.SerializeAsString());
  payload.mutable_header()->set_signature_header(signature_header.SerializeAsString());
  payload.set_data(std::move(data));
  common::Envelope envelope;
  envelope.set_payload(payload.SerializeAsString());
  envelope.set_signature(sign(envelope.payload()));
  out.bytes = envelope.SerializeAsString();
  return out;
}

std::string make_seek_envelope(const std::string& channel, const ::orderer::SeekInfo& seek_info,
                               const std::string& creator, const SignFn& sign,
                               std::chrono::system_clock::time_point now,
                               const std::string& tls_cert_hash) {
  // §10.1: tx_id empty, epoch 0, version 0.
  common::ChannelHeader channel_header;
  if (!tls_cert_hash.empty()) channel_header.set_tls_cert_hash(tls_cert_hash);
  channel_header.set_type(common::DELIVER_SEEK_INFO);
  channel_header.set_channel_id(channel);
  channel_header.mutable_timestamp()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  common::SignatureHeader signature_header;
  signature_header.set_creator(creator);
  signature_header.set_nonce(ledger::random_nonce());
  common::Payload payload;
  payload.mutable_header()->set_channel_header(channel_header.SerializeAsString());
  payload.mutable_header()->set_signature_header(signature_header.SerializeAsString());
  payload.set_data(seek_info.SerializeAsString());
  common::Envelope envelope;
  envelope.set_payload(payload.SerializeAsString());
  envelope.set_signature(sign(envelope.payload()));
  return envelope.SerializeAsString();
}

std::string status_name(common::Status status) {
  const std::string& name = common::Status_Name(status);
  return name.empty() ? std::to_string(static_cast<int>(status)) : name;
}

std::vector<std::string> tx_ids_of(const common::Block& block) {
  std::vector<std::string> ids;
  for (const std::string& bytes : block.data().data()) {
    common::Envelope envelope;
    common::Payload payload;
    common::ChannelHeader header;
    if (envelope.ParseFromString(bytes) && payload.ParseFromString(envelope.payload()) &&
        header.ParseFromString(payload.header().channel_header())) {
      ids.push_back(header.tx_id());
    } else {
      ids.emplace_back();
    }
  }
  return ids;
}

}  // namespace fabnet::orderer
