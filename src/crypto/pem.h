#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fabnet::crypto {

struct PemBlock {
  std::string type;       // text between "-----BEGIN " and "-----", e.g. "CERTIFICATE"
  std::string bytes;      // base64-decoded body (DER)
  std::string_view rest;  // input after the END line and its line break
};

// The first PEM block of `text`, with the semantics of Go's encoding/pem.Decode,
// which Fabric's MSP uses to judge identities (protocol.md §2.4): bytes before
// the BEGIN line are skipped, malformed candidates are skipped, and whatever
// follows the END line's line break is returned as `rest`. nullopt if no block.
std::optional<PemBlock> decode_pem(std::string_view text);

// Go's pem.EncodeToMemory without headers: 64-column base64 lines, every line
// (the END line included) ending in "\n". Fabric serializes identities this way.
std::string encode_pem(std::string_view type, std::string_view bytes);

}  // namespace fabnet::crypto
