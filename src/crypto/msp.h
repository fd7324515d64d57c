#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "crypto/certificate.h"
#include "crypto/result.h"
#include "crypto/signer.h"

namespace fabnet::crypto {

// This peer's signing identity, from a Fabric-style local MSP folder.
struct LocalMsp {
  std::string msp_id;                        // peer.localMspId
  Certificate signing_certificate;           // signcerts/
  Signer signer;                             // the keystore/ key of that certificate
  std::vector<Certificate> ca_certificates;  // cacerts/
  // serialize_identity(msp_id, signing_certificate.pem()): the certificate is
  // re-encoded from DER as Fabric's Serialize does, whatever the file's layout.
  std::string identity;
};

// Loads the MSP folder `msp_dir` (peer.mspConfigPath): exactly one certificate in
// signcerts/, a PKCS#8 PEM private key for it anywhere in keystore/ (any file
// name, e.g. priv_sk), at least one certificate in cacerts/, and the signing
// certificate issued by one of them (validity dates are not checked here).
// Throws CryptoError naming the path and what was expected.
LocalMsp load_local_msp(const std::filesystem::path& msp_dir, std::string_view msp_id);

// Decides whether a peer identity belongs to the org it claims: its certificate
// passes the well-formedness check (protocol.md §2.4), is not a CA, chains to a
// CA certificate of that org and, like every certificate of the chain, is within
// its validity period at the given time (protocol.md §3.1). Immutable after
// construction; validate() may run on several threads.
class IdentityValidator {
 public:
  // MSP ID → PEM texts of that org's CA certificates (each may hold several).
  using CaCertificates = std::map<std::string, std::vector<std::string>, std::less<>>;

  // Throws CryptoError naming the org when one of its CA PEMs does not parse or
  // it has none.
  explicit IdentityValidator(const CaCertificates& ca_pems_by_msp);

  Status validate(std::string_view serialized_identity,
                  std::chrono::system_clock::time_point at) const;
  bool knows(std::string_view msp_id) const { return stores_.contains(msp_id); }

 private:
  std::map<std::string, std::shared_ptr<X509_STORE>, std::less<>> stores_;
};

}  // namespace fabnet::crypto
