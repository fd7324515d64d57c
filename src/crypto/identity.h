#pragma once

#include <string>
#include <string_view>

#include "crypto/certificate.h"
#include "crypto/result.h"

namespace fabnet::crypto {

// msp.SerializedIdentity (protocol.md §2.4): the org's MSP ID and, for X.509
// MSPs, the PEM text of the certificate, carried byte for byte.
struct Identity {
  std::string msp_id;
  std::string id_bytes;
};

// Bytes of msp.SerializedIdentity{mspid, id_bytes = pem}: a peer's gossip identity.
std::string serialize_identity(std::string_view msp_id, std::string_view pem);

// Decodes msp.SerializedIdentity; both fields must be non-empty. Nothing about
// the certificate is checked here (see certificate_of).
Result<Identity> parse_identity(std::string_view serialized);

// PKI-ID (protocol.md §3.1): SHA-256(mspid bytes ‖ id_bytes exactly as carried),
// 32 bytes. Not a hash of the protobuf, nor of the DER certificate.
std::string pki_id(const Identity& identity);
Result<std::string> pki_id(std::string_view serialized_identity);

// The certificate of an identity whose id_bytes pass the X.509 MSP's
// well-formedness check (protocol.md §2.4): one PEM block, of type CERTIFICATE
// (or none, as Fabric allows), nothing after it, a DER certificate inside, and
// for ECDSA-signed certificates a canonically DER-encoded signature.
Result<Certificate> certificate_of(const Identity& identity);

}  // namespace fabnet::crypto
