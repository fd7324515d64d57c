#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/common.pb.h"
#include "orderer/ab.pb.h"

namespace fabnet::orderer {

// Signs bytes as the holder of `creator` (an msp.SerializedIdentity).
using SignFn = std::function<std::string(std::string_view payload)>;

// A client's common.Envelope (protocol.md §2.2): ChannelHeader{type, channel,
// timestamp, tx_id}, SignatureHeader{creator, 24-byte nonce}, `data`, and the
// signature over the payload bytes (§3.2). tx_id is Fabric's: hex of
// SHA-256(nonce || creator).
struct SignedEnvelope {
  std::string bytes;
  std::string tx_id;
};
SignedEnvelope make_signed_envelope(const std::string& channel, common::HeaderType type,
                                    std::string data, const std::string& creator,
                                    const SignFn& sign, std::chrono::system_clock::time_point now);

// The Deliver request of protocol.md §10.1 carrying `seek_info`; `tls_cert_hash` (the
// client TLS certificate's SHA-256) binds it to a mutual-TLS stream.
std::string make_seek_envelope(const std::string& channel, const ::orderer::SeekInfo& seek_info,
                               const std::string& creator, const SignFn& sign,
                               std::chrono::system_clock::time_point now,
                               const std::string& tls_cert_hash = {});

// Fabric's names for statuses: "SUCCESS", "BAD_REQUEST", ...
std::string status_name(common::Status status);

// The tx_id of each envelope in a block ("" where an envelope does not parse).
std::vector<std::string> tx_ids_of(const common::Block& block);

}  // namespace fabnet::orderer
