#include "crypto/identity.h"

#include <fmt/format.h>
#include <openssl/objects.h>

#include "crypto/ecdsa_signature.h"
#include "crypto/openssl_handles.h"
#include "crypto/pem.h"
#include "msp/identities.pb.h"

namespace fabnet::crypto {

namespace {

constexpr std::string_view kExpectPem =
    "exactly one PEM block \"-----BEGIN CERTIFICATE-----\" ... \"-----END CERTIFICATE-----\"";

// Fabric's isIdentitySignedInCanonicalForm: the issuer's ECDSA signature must
// re-encode to the same DER bytes.
Status check_signature_encoding(const Certificate& certificate) {
  int key_type = NID_undef;
  if (OBJ_find_sigid_algs(X509_get_signature_nid(certificate.get()), nullptr, &key_type) != 1 ||
      key_type != NID_X9_62_id_ecPublicKey) {
    return {};
  }
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, certificate.get());
  const std::string_view der(reinterpret_cast<const char*>(ASN1_STRING_get0_data(signature)),
                             static_cast<std::size_t>(ASN1_STRING_length(signature)));
  if (!detail::parse_signature(der)) {
    return Error{"the certificate's ECDSA signature is not in canonical DER form with r, s > 0"};
  }
  return {};
}

}  // namespace

std::string serialize_identity(std::string_view msp_id, std::string_view pem) {
  msp::SerializedIdentity identity;
  identity.set_mspid(std::string(msp_id));
  identity.set_id_bytes(std::string(pem));
  return identity.SerializeAsString();
}

Result<Identity> parse_identity(std::string_view serialized) {
  msp::SerializedIdentity parsed;
  if (!parsed.ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    return Error{fmt::format("identity: {} bytes do not decode as msp.SerializedIdentity",
                             serialized.size())};
  }
  if (parsed.mspid().empty()) {
    return Error{"identity: mspid is empty; expected the MSP ID of the signer's org"};
  }
  if (parsed.id_bytes().empty()) {
    return Error{fmt::format("identity of {}: id_bytes is empty; expected a PEM certificate",
                             parsed.mspid())};
  }
  return Identity{std::move(*parsed.mutable_mspid()), std::move(*parsed.mutable_id_bytes())};
}

std::string pki_id(const Identity& identity) {
  return detail::sha256(identity.msp_id, identity.id_bytes);
}

Result<std::string> pki_id(std::string_view serialized_identity) {
  auto identity = parse_identity(serialized_identity);
  if (!identity) return Error{identity.error()};
  return pki_id(*identity);
}

Result<Certificate> certificate_of(const Identity& identity) {
  const auto refuse = [&](std::string_view problem) {
    return Error{fmt::format("identity of {}: id_bytes {}; expected {}", identity.msp_id, problem,
                             kExpectPem)};
  };
  const auto block = decode_pem(identity.id_bytes);
  if (!block) return refuse("hold no PEM block");
  if (!block->rest.empty()) {
    return refuse(fmt::format("have {} trailing bytes after the PEM block", block->rest.size()));
  }
  if (block->type != "CERTIFICATE" && !block->type.empty()) {
    return refuse(fmt::format("hold a PEM block of type \"{}\"", block->type));
  }
  auto certificate = Certificate::from_der(block->bytes);
  if (!certificate)
    return refuse(
        fmt::format("hold a PEM block that is not a certificate: {}", certificate.error()));
  if (auto encoding = check_signature_encoding(*certificate); !encoding) {
    return Error{fmt::format("identity of {}: {}", identity.msp_id, encoding.error())};
  }
  return certificate;
}

}  // namespace fabnet::crypto
