#include "deliver/seek.h"

#include <limits>

#include "common/common.pb.h"
#include "orderer/ab.pb.h"

namespace fabnet::deliver {

std::string make_seek_envelope(const SeekRequest& request, const SignFunction& sign) {
  common::ChannelHeader channel_header;
  channel_header.set_type(common::DELIVER_SEEK_INFO);
  channel_header.set_version(0);
  channel_header.mutable_timestamp()->set_seconds(request.unix_seconds);
  channel_header.mutable_timestamp()->set_nanos(0);
  channel_header.set_channel_id(request.channel);
  // tx_id "", epoch 0; tls_cert_hash only with mutual TLS (protocol.md §10.1).
  if (!request.tls_cert_hash.empty()) channel_header.set_tls_cert_hash(request.tls_cert_hash);

  common::SignatureHeader signature_header;
  signature_header.set_creator(request.creator);
  signature_header.set_nonce(request.nonce);

  orderer::SeekInfo seek;
  seek.mutable_start()->mutable_specified()->set_number(request.start);
  seek.mutable_stop()->mutable_specified()->set_number(std::numeric_limits<std::uint64_t>::max());
  seek.set_behavior(orderer::SeekInfo::BLOCK_UNTIL_READY);
  seek.set_error_response(orderer::SeekInfo::STRICT);

  common::Payload payload;
  payload.mutable_header()->set_channel_header(channel_header.SerializeAsString());
  payload.mutable_header()->set_signature_header(signature_header.SerializeAsString());
  payload.set_data(seek.SerializeAsString());

  common::Envelope envelope;
  envelope.set_payload(payload.SerializeAsString());
  envelope.set_signature(sign(envelope.payload()));
  return envelope.SerializeAsString();
}

}  // namespace fabnet::deliver
