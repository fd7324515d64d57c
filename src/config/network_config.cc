#include "config/network_config.h"

#include "config/duration.h"
#include "config/yaml_text.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

namespace fabnet::config {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPemCertificate = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kExpectHostPort =
    "host:port with a port from 1 to 65535, e.g. peer0.org1.example.com:7051";
constexpr std::string_view kExpectDnsName =
    "letters, digits, '-' and '.', not starting or ending with '.' or '-'";
// A guard against typos like 3000 for 3; cryptogen has no limit.
constexpr int kMaxPeersPerOrg = 1000;

std::string shown(const YAML::Node& n) {
  std::string text;
  if (n.IsScalar()) {
    text = n.Scalar();
  } else if (n.IsMap() || n.IsSequence()) {
    YAML::Emitter out;
    out << flow_copy(n);
    text = out.c_str();
  }
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string kind_of(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (!n.IsDefined() || n.IsNull()) return "an empty value";
  return "a scalar";
}

std::string index_key(std::string_view list_key, size_t i) {
  return fmt::format("{}[{}]", list_key, i);
}
std::string child_key(std::string_view parent, std::string_view child) {
  return parent.empty() ? std::string(child) : fmt::format("{}.{}", parent, child);
}

// The YAML document being read, for errors that point at a file and line.
class Doc {
 public:
  explicit Doc(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }

  std::string where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return source_;
    return fmt::format("{}:{}", source_, m.line + 1);
  }

  [[noreturn]] void fail(const YAML::Node& n, std::string key, std::string value,
                         std::string problem, std::string_view expected) const {
    throw ConfigError(where(n), std::move(key), std::move(value), std::move(problem),
                      std::string(expected));
  }

  [[noreturn]] void wrong_type(const YAML::Node& n, std::string key,
                               std::string_view expected) const {
    const std::string value = shown(n);
    std::string problem = "found " + kind_of(n);
    if (n.IsScalar()) {
      problem += fmt::format(" \"{}\"", value);
    } else if (n.IsMap() || n.IsSequence()) {
      problem += " " + value;
    }
    fail(n, std::move(key), value, std::move(problem), expected);
  }

  // Checks that `map` is a mapping with only `allowed` keys, naming any other.
  void expect_map(const YAML::Node& map, const std::string& key,
                  std::initializer_list<std::string_view> allowed,
                  std::string_view expected) const {
    if (!map.IsMap()) wrong_type(map, key.empty() ? "(top level)" : key, expected);
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : shown(it->first);
      bool known = false;
      for (std::string_view a : allowed) known = known || a == name;
      if (!known) {
        fail(it->first, child_key(key, name), name, "unknown key",
             fmt::format("one of: {}", fmt::join(allowed, ", ")));
      }
    }
  }

  // The value under `name` in `map`, or an undefined node when absent or null.
  static YAML::Node optional(const YAML::Node& map, std::string_view name) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == name) {
        if (it->second.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
        return it->second;
      }
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  YAML::Node required(const YAML::Node& map, const std::string& map_key, std::string_view name,
                      std::string_view expected) const {
    YAML::Node n = optional(map, name);
    if (!n.IsDefined()) fail(map, child_key(map_key, name), "", "is missing or empty", expected);
    return n;
  }

  std::string string(const YAML::Node& n, const std::string& key, std::string_view expected) const {
    if (!n.IsScalar()) wrong_type(n, key, expected);
    if (n.Scalar().empty()) fail(n, key, "", "is empty", expected);
    return n.Scalar();
  }

  std::string required_string(const YAML::Node& map, const std::string& map_key,
                              std::string_view name, std::string_view expected) const {
    return string(required(map, map_key, name, expected), child_key(map_key, name), expected);
  }

  // A list; an absent key gives an empty list when `optional_key`.
  YAML::Node list(const YAML::Node& map, const std::string& map_key, std::string_view name,
                  std::string_view expected, bool optional_key) const {
    YAML::Node n = optional_key ? optional(map, name) : required(map, map_key, name, expected);
    if (!n.IsDefined()) return YAML::Node(YAML::NodeType::Sequence);
    if (!n.IsSequence()) wrong_type(n, child_key(map_key, name), expected);
    return n;
  }

 private:
  std::string source_;
};

YAML::Node parse_yaml(std::string_view text, const std::string& source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(fmt::format("{}:{}:{}", source, e.mark.line + 1, e.mark.column + 1), "", "",
                      fmt::format("malformed YAML: {}", e.msg), "a valid YAML document");
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, "", "", fmt::format("malformed YAML: {}", e.what()),
                      "a valid YAML document");
  }
}

std::string read_text(const fs::path& path, std::string_view expected) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw ConfigError(path.string(), "", "", "cannot read: is a directory", std::string(expected));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path.string(), "", "", fmt::format("cannot open: {}", std::strerror(errno)),
                      std::string(expected));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError(path.string(), "", "", fmt::format("cannot read: {}", std::strerror(errno)),
                      std::string(expected));
  }
  return text.str();
}

// cryptogen's host name rule, as crypto::generate_crypto_material checks it.
bool is_dns_like(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.front() == '-' || name.back() == '.' ||
      name.back() == '-' || name.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

// Fabric's channel name rule (configtx): [a-z][a-z0-9.-]*, fewer than 250 characters.
bool is_channel_name(std::string_view name) {
  if (name.empty() || name.size() >= 250 || !(name.front() >= 'a' && name.front() <= 'z')) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool has_space(std::string_view text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return false;
}

bool is_host_port(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || has_space(text)) return false;
  const std::string_view port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return !port.empty() && ec == std::errc() && end == port.data() + port.size() && value >= 1 &&
         value <= 65535;
}

std::string msp_id_of(const Doc& doc, const YAML::Node& map, const std::string& key) {
  constexpr std::string_view kExpect = "an MSP ID without spaces, e.g. Org1MSP";
  const std::string id = doc.required_string(map, key, "msp_id", kExpect);
  if (has_space(id)) doc.fail(map, child_key(key, "msp_id"), id, "contains a space", kExpect);
  return id;
}

std::string channel_name_of(const Doc& doc, const YAML::Node& map, const std::string& key) {
  constexpr std::string_view kExpect =
      "a channel name: lower-case letters, digits, '.' and '-', starting with a letter, e.g. "
      "mychannel";
  const YAML::Node n = doc.required(map, key, "name", kExpect);
  const std::string name = doc.string(n, child_key(key, "name"), kExpect);
  if (!is_channel_name(name)) {
    doc.fail(n, child_key(key, "name"), name,
             fmt::format("\"{}\" is not a valid channel name", name), kExpect);
  }
  return name;
}

std::vector<std::string> anchor_peers_of(const Doc& doc, const YAML::Node& map,
                                         const std::string& key) {
  const std::string list_key = child_key(key, "anchor_peers");
  const YAML::Node list =
      doc.list(map, key, "anchor_peers", fmt::format("a list of {}", kExpectHostPort), true);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item_key = index_key(list_key, i);
    const std::string peer = doc.string(list[i], item_key, kExpectHostPort);
    if (!is_host_port(peer)) {
      doc.fail(list[i], item_key, peer, fmt::format("\"{}\" is not host:port", peer),
               kExpectHostPort);
    }
    if (!seen.insert(peer).second) {
      doc.fail(list[i], item_key, peer, fmt::format("\"{}\" is listed twice", peer),
               "each anchor peer once");
    }
    out.push_back(peer);
  }
  return out;
}

// `peers: 3` (peer0..peer2, cryptogen's Template.Count) or `peers: [peer0, ...]`.
std::vector<std::string> peers_of(const Doc& doc, const YAML::Node& org, const std::string& key) {
  const std::string peers_key = child_key(key, "peers");
  const std::string expect = fmt::format(
      "a number of peers from 1 to {} (named peer0, peer1, ...) or a list of peer names",
      kMaxPeersPerOrg);
  const YAML::Node n = doc.required(org, key, "peers", expect);
  std::vector<std::string> peers;
  if (n.IsScalar()) {
    const std::string& text = n.Scalar();
    int count = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (ec != std::errc() || end != text.data() + text.size() || count < 1 ||
        count > kMaxPeersPerOrg) {
      doc.fail(n, peers_key, text, fmt::format("\"{}\" is not a peer count", text), expect);
    }
    for (int i = 0; i < count; ++i) peers.push_back(fmt::format("peer{}", i));
    return peers;
  }
  if (!n.IsSequence()) doc.wrong_type(n, peers_key, expect);
  if (n.size() == 0) doc.fail(n, peers_key, "[]", "is an empty list", expect);
  const std::string expect_name = fmt::format("a peer host name such as peer0: {}", kExpectDnsName);
  std::set<std::string> seen;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string item_key = index_key(peers_key, i);
    const std::string name = doc.string(n[i], item_key, expect_name);
    if (!is_dns_like(name)) {
      doc.fail(n[i], item_key, name, fmt::format("\"{}\" is not a host name", name), expect_name);
    }
    if (!seen.insert(name).second) {
      doc.fail(n[i], item_key, name, fmt::format("\"{}\" is listed twice", name),
               "a different name per peer of an org");
    }
    peers.push_back(name);
  }
  return peers;
}

NetworkConfig::Org org_of(const Doc& doc, const YAML::Node& n, const std::string& key) {
  doc.expect_map(n, key, {"name", "msp_id", "domain", "peers", "anchor_peers"},
                 "an org: a mapping with name, msp_id, domain, peers and optional anchor_peers");
  NetworkConfig::Org org;
  org.name = doc.required_string(n, key, "name", "an org name, e.g. Org1");
  org.msp_id = msp_id_of(doc, n, key);
  const std::string expect_domain =
      fmt::format("a domain such as org1.example.com: {}", kExpectDnsName);
  const YAML::Node domain = doc.required(n, key, "domain", expect_domain);
  org.domain = doc.string(domain, child_key(key, "domain"), expect_domain);
  if (!is_dns_like(org.domain)) {
    doc.fail(domain, child_key(key, "domain"), org.domain,
             fmt::format("\"{}\" is not a domain", org.domain), expect_domain);
  }
  org.peers = peers_of(doc, n, key);
  org.anchor_peers = anchor_peers_of(doc, n, key);
  return org;
}

// "99 MB", "512 KB", "10MB" or plain bytes, as Fabric's configtx reads BatchSize.
bool parse_byte_size(std::string_view text, std::uint64_t& out) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return false;
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc() || end != text.data() + i) return false;
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  std::uint64_t scale = 1;
  if (unit == "KB") {
    scale = 1024;
  } else if (unit == "MB") {
    scale = 1024 * 1024;
  } else if (unit == "GB") {
    scale = 1024ull * 1024 * 1024;
  } else if (!unit.empty() && unit != "B") {
    return false;
  }
  if (number > UINT64_MAX / scale) return false;
  out = number * scale;
  return true;
}

// BatchTimeout and BatchSize inside `map` (the orderer section), Fabric's names.
BatchSettings batch_of(const Doc& doc, const YAML::Node& map, const std::string& key) {
  BatchSettings batch;
  constexpr std::string_view kExpectTimeout = "a positive Go duration such as 2s or 500ms";
  const YAML::Node timeout = Doc::optional(map, "BatchTimeout");
  if (timeout.IsDefined()) {
    const std::string k = child_key(key, "BatchTimeout");
    const std::string text = doc.string(timeout, k, kExpectTimeout);
    std::chrono::nanoseconds d{};
    try {
      d = parse_go_duration(text);
    } catch (const DurationError& e) {
      doc.fail(timeout, k, text, fmt::format("invalid duration \"{}\": {}", text, e.what()),
               kExpectTimeout);
    }
    if (d <= std::chrono::nanoseconds::zero()) {
      doc.fail(timeout, k, text, "must be greater than zero", kExpectTimeout);
    }
    batch.batch_timeout = d;
  }
  const YAML::Node size = Doc::optional(map, "BatchSize");
  if (!size.IsDefined()) return batch;
  const std::string size_key = child_key(key, "BatchSize");
  doc.expect_map(size, size_key, {"MaxMessageCount", "AbsoluteMaxBytes", "PreferredMaxBytes"},
                 "a mapping with MaxMessageCount, AbsoluteMaxBytes and PreferredMaxBytes");
  constexpr std::string_view kExpectCount = "a whole number from 1 to 4294967295, e.g. 10";
  const YAML::Node count = Doc::optional(size, "MaxMessageCount");
  if (count.IsDefined()) {
    const std::string k = child_key(size_key, "MaxMessageCount");
    const std::string text = doc.string(count, k, kExpectCount);
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0) {
      doc.fail(count, k, text, fmt::format("\"{}\" is not a message count", text), kExpectCount);
    }
    batch.max_message_count = value;
  }
  constexpr std::string_view kExpectBytes =
      "a positive size in bytes, or with KB, MB or GB, e.g. 512 KB";
  const auto bytes = [&](std::string_view name, std::uint64_t& out) {
    const YAML::Node n = Doc::optional(size, name);
    if (!n.IsDefined()) return;
    const std::string k = child_key(size_key, name);
    const std::string text = doc.string(n, k, kExpectBytes);
    std::uint64_t value = 0;
    if (!parse_byte_size(text, value) || value == 0) {
      doc.fail(n, k, text, fmt::format("\"{}\" is not a size", text), kExpectBytes);
    }
    out = value;
  };
  bytes("AbsoluteMaxBytes", batch.absolute_max_bytes);
  bytes("PreferredMaxBytes", batch.preferred_max_bytes);
  if (batch.preferred_max_bytes > batch.absolute_max_bytes) {
    doc.fail(size, child_key(size_key, "PreferredMaxBytes"),
             std::to_string(batch.preferred_max_bytes),
             fmt::format("is larger than AbsoluteMaxBytes ({})", batch.absolute_max_bytes),
             "PreferredMaxBytes no larger than AbsoluteMaxBytes (Fabric's rule)");
  }
  return batch;
}

std::vector<std::string> host_ports_of(const Doc& doc, const YAML::Node& map,
                                       const std::string& key, std::string_view name) {
  const std::string list_key = child_key(key, name);
  const YAML::Node list =
      doc.list(map, key, name, fmt::format("a list of {}", kExpectHostPort), true);
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item_key = index_key(list_key, i);
    const std::string value = doc.string(list[i], item_key, kExpectHostPort);
    if (!is_host_port(value)) {
      doc.fail(list[i], item_key, value, fmt::format("\"{}\" is not host:port", value),
               kExpectHostPort);
    }
    if (std::find(out.begin(), out.end(), value) != out.end()) {
      doc.fail(list[i], item_key, value, fmt::format("\"{}\" is listed twice", value),
               "each endpoint once");
    }
    out.push_back(value);
  }
  return out;
}

NetworkConfig::OrdererOrg orderer_org_of(const Doc& doc, const YAML::Node& n) {
  const std::string key = "orderer";
  doc.expect_map(n, key,
                 {"name", "msp_id", "domain", "hosts", "endpoints", "BatchTimeout", "BatchSize"},
                 "the orderer org: a mapping with name, msp_id, domain and optional hosts, "
                 "endpoints, BatchTimeout, BatchSize");
  NetworkConfig::OrdererOrg org;
  org.name = doc.required_string(n, key, "name", "an org name, e.g. Orderer");
  org.msp_id = msp_id_of(doc, n, key);
  const std::string expect_domain = fmt::format("a domain such as example.com: {}", kExpectDnsName);
  const YAML::Node domain = doc.required(n, key, "domain", expect_domain);
  org.domain = doc.string(domain, child_key(key, "domain"), expect_domain);
  if (!is_dns_like(org.domain)) {
    doc.fail(domain, child_key(key, "domain"), org.domain,
             fmt::format("\"{}\" is not a domain", org.domain), expect_domain);
  }
  const std::string expect_host =
      fmt::format("a list of host names such as orderer: {}", kExpectDnsName);
  const YAML::Node hosts = doc.list(n, key, "hosts", expect_host, true);
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string item_key = index_key(child_key(key, "hosts"), i);
    const std::string host = doc.string(hosts[i], item_key, expect_host);
    if (!is_dns_like(host)) {
      doc.fail(hosts[i], item_key, host, fmt::format("\"{}\" is not a host name", host),
               expect_host);
    }
    if (std::find(org.hosts.begin(), org.hosts.end(), host) != org.hosts.end()) {
      doc.fail(hosts[i], item_key, host, fmt::format("\"{}\" is listed twice", host),
               "each host once");
    }
    org.hosts.push_back(host);
  }
  if (org.hosts.empty()) org.hosts.push_back("orderer");
  org.endpoints = host_ports_of(doc, n, key, "endpoints");
  if (org.endpoints.empty()) {
    for (const std::string& host : org.hosts) {
      org.endpoints.push_back(fmt::format("{}.{}:7050", host, org.domain));
    }
  }
  org.batch = batch_of(doc, n, key);
  return org;
}

NetworkConfig network_of(const Doc& doc, const YAML::Node& root) {
  constexpr std::string_view kExpectRoot = "a mapping with orgs and optional channels and orderer";
  if (!root.IsDefined() || root.IsNull()) {
    throw ConfigError(doc.source(), "", "", "is empty", std::string(kExpectRoot));
  }
  doc.expect_map(root, "", {"orgs", "channels", "orderer"}, kExpectRoot);
  NetworkConfig network;
  network.source = doc.source();

  const YAML::Node orgs = doc.list(root, "", "orgs", "a list of orgs", false);
  if (orgs.size() == 0) doc.fail(orgs, "orgs", "[]", "is an empty list", "at least one org");
  std::set<std::string> names, msp_ids, domains;
  for (size_t i = 0; i < orgs.size(); ++i) {
    const std::string key = index_key("orgs", i);
    NetworkConfig::Org org = org_of(doc, orgs[i], key);
    const auto unique = [&](std::set<std::string>& seen, const std::string& value,
                            std::string_view field) {
      if (!seen.insert(value).second) {
        doc.fail(orgs[i], child_key(key, field), value,
                 fmt::format("\"{}\" is used by an earlier org", value),
                 fmt::format("a different {} per org", field));
      }
    };
    unique(names, org.name, "name");
    unique(msp_ids, org.msp_id, "msp_id");
    unique(domains, org.domain, "domain");
    network.orgs.push_back(std::move(org));
  }

  const YAML::Node channels = doc.list(root, "", "channels", "a list of channels", true);
  std::set<std::string> channel_names;
  for (size_t i = 0; i < channels.size(); ++i) {
    const std::string key = index_key("channels", i);
    const YAML::Node& n = channels[i];
    doc.expect_map(n, key, {"name", "orgs"}, "a channel: a mapping with name and orgs");
    NetworkConfig::Channel channel;
    channel.name = channel_name_of(doc, n, key);
    if (!channel_names.insert(channel.name).second) {
      doc.fail(n, child_key(key, "name"), channel.name,
               fmt::format("\"{}\" is defined twice", channel.name), "each channel once");
    }
    const std::string orgs_key = child_key(key, "orgs");
    const std::string expect_member =
        fmt::format("the msp_id of an org above: {}", fmt::join(msp_ids, ", "));
    const YAML::Node members = doc.list(n, key, "orgs", "a list of MSP IDs", false);
    if (members.size() == 0) doc.fail(members, orgs_key, "[]", "is an empty list", expect_member);
    for (size_t j = 0; j < members.size(); ++j) {
      const std::string item_key = index_key(orgs_key, j);
      const std::string id = doc.string(members[j], item_key, expect_member);
      if (!msp_ids.contains(id)) {
        doc.fail(members[j], item_key, id, fmt::format("\"{}\" is not an org of the network", id),
                 expect_member);
      }
      if (std::find(channel.orgs.begin(), channel.orgs.end(), id) != channel.orgs.end()) {
        doc.fail(members[j], item_key, id, fmt::format("\"{}\" is listed twice", id),
                 "each member org once");
      }
      channel.orgs.push_back(id);
    }
    network.channels.push_back(std::move(channel));
  }

  const YAML::Node orderer = Doc::optional(root, "orderer");
  if (orderer.IsDefined()) {
    network.orderer = orderer_org_of(doc, orderer);
    const auto clash = [&](const std::string& value, std::string_view field,
                           const std::set<std::string>& used) {
      if (used.contains(value)) {
        doc.fail(orderer, child_key("orderer", field), value,
                 fmt::format("\"{}\" is used by an org", value),
                 fmt::format("a {} no peer org uses", field));
      }
    };
    clash(network.orderer->msp_id, "msp_id", msp_ids);
    clash(network.orderer->domain, "domain", domains);
  }
  return network;
}

// Inline PEM or a file relative to base_dir; either must hold a PEM certificate.
void read_ca_cert(const Doc& doc, const YAML::Node& n, const std::string& key,
                  const fs::path& base_dir, ChannelOrg& org) {
  constexpr std::string_view kExpect =
      "a PEM certificate file (relative to the channel definitions file) or inline PEM text";
  const std::string value = doc.string(n, key, kExpect);
  if (value.find("-----BEGIN") != std::string::npos) {
    if (value.find(kPemCertificate) == std::string::npos) {
      doc.fail(n, key, shown(n), "inline PEM holds no certificate", kExpect);
    }
    org.ca_cert_pem = value;
    return;
  }
  fs::path file(value);
  if (file.is_relative()) file = (base_dir / file).lexically_normal();
  std::error_code ec;
  if (fs::is_directory(file, ec))
    doc.fail(n, key, value, fmt::format("{} is a directory", file.string()), kExpect);
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    doc.fail(n, key, value, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)),
             kExpect);
  }
  std::ostringstream text;
  text << in.rdbuf();
  org.ca_cert_pem = text.str();
  if (org.ca_cert_pem.find(kPemCertificate) == std::string::npos) {
    doc.fail(n, key, value, fmt::format("{} holds no PEM certificate", file.string()), kExpect);
  }
  org.ca_cert_file = file;
}

ChannelDefinitions definitions_of(const Doc& doc, const YAML::Node& root,
                                  const fs::path& base_dir) {
  constexpr std::string_view kExpectRoot = "a mapping with a list of channels and optional orderer";
  if (!root.IsDefined() || root.IsNull()) {
    throw ConfigError(doc.source(), "", "", "is empty", std::string(kExpectRoot));
  }
  doc.expect_map(root, "", {"channels", "orderer"}, kExpectRoot);
  ChannelDefinitions defs;
  defs.source = doc.source();
  const YAML::Node orderer = Doc::optional(root, "orderer");
  if (orderer.IsDefined()) {
    doc.expect_map(orderer, "orderer",
                   {"msp_id", "ca_cert", "endpoints", "BatchTimeout", "BatchSize", "tls_ca_cert"},
                   "the ordering service: a mapping with msp_id, ca_cert, endpoints and optional "
                   "BatchTimeout, BatchSize");
    OrdererDefinition def;
    def.msp_id = msp_id_of(doc, orderer, "orderer");
    const YAML::Node ca =
        doc.required(orderer, "orderer", "ca_cert", "a PEM file path or inline PEM");
    ChannelOrg as_org;
    read_ca_cert(doc, ca, "orderer.ca_cert", base_dir, as_org);
    def.ca_cert_pem = std::move(as_org.ca_cert_pem);
    def.ca_cert_file = std::move(as_org.ca_cert_file);
    if (const YAML::Node tls_ca = Doc::optional(orderer, "tls_ca_cert"); tls_ca.IsDefined()) {
      ChannelOrg tls_as_org;
      read_ca_cert(doc, tls_ca, "orderer.tls_ca_cert", base_dir, tls_as_org);
      def.tls_ca_cert_pem = std::move(tls_as_org.ca_cert_pem);
      def.tls_ca_cert_file = std::move(tls_as_org.ca_cert_file);
    }
    def.endpoints = host_ports_of(doc, orderer, "orderer", "endpoints");
    def.batch = batch_of(doc, orderer, "orderer");
    defs.orderer = std::move(def);
  }
  const YAML::Node channels = doc.list(root, "", "channels", "a list of channels", false);
  std::set<std::string> channel_names;
  for (size_t i = 0; i < channels.size(); ++i) {
    const std::string key = index_key("channels", i);
    const YAML::Node& n = channels[i];
    doc.expect_map(n, key, {"name", "orgs"}, "a channel: a mapping with name and orgs");
    ChannelDefinition channel;
    channel.name = channel_name_of(doc, n, key);
    if (!channel_names.insert(channel.name).second) {
      doc.fail(n, child_key(key, "name"), channel.name,
               fmt::format("\"{}\" is defined twice", channel.name), "each channel once");
    }
    const std::string orgs_key = child_key(key, "orgs");
    const YAML::Node orgs = doc.list(n, key, "orgs", "a list of member orgs", false);
    if (orgs.size() == 0) doc.fail(orgs, orgs_key, "[]", "is an empty list", "at least one org");
    for (size_t j = 0; j < orgs.size(); ++j) {
      const std::string org_key = index_key(orgs_key, j);
      const YAML::Node& o = orgs[j];
      doc.expect_map(o, org_key, {"msp_id", "ca_cert", "anchor_peers"},
                     "a member org: a mapping with msp_id, ca_cert and optional anchor_peers");
      ChannelOrg org;
      org.msp_id = msp_id_of(doc, o, org_key);
      if (channel.find_org(org.msp_id) != nullptr) {
        doc.fail(o, child_key(org_key, "msp_id"), org.msp_id,
                 fmt::format("\"{}\" is listed twice in channel {}", org.msp_id, channel.name),
                 "each member org once");
      }
      const YAML::Node ca = doc.required(o, org_key, "ca_cert", "a PEM file path or inline PEM");
      read_ca_cert(doc, ca, child_key(org_key, "ca_cert"), base_dir, org);
      org.anchor_peers = anchor_peers_of(doc, o, org_key);
      channel.orgs.push_back(std::move(org));
    }
    defs.channels.push_back(std::move(channel));
  }
  return defs;
}

// Never let a yaml-cpp exception escape as anything but ConfigError.
template <class F>
auto guarded(const std::string& source, std::string_view expected, F&& read) {
  try {
    return read();
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, "", "", fmt::format("unreadable YAML structure: {}", e.what()),
                      std::string(expected));
  }
}

fs::path directory_of(const fs::path& file) {
  fs::path dir = file.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

fs::path relative_to(const fs::path& file, const fs::path& base_dir) {
  std::error_code ec;
  const fs::path abs_file = fs::absolute(file, ec).lexically_normal();
  const fs::path abs_base = fs::absolute(base_dir, ec).lexically_normal();
  const fs::path rel = abs_file.lexically_relative(abs_base);
  return rel.empty() ? abs_file : rel;
}

}  // namespace

const NetworkConfig::Org* NetworkConfig::find_org(std::string_view msp_id) const {
  for (const Org& org : orgs) {
    if (org.msp_id == msp_id) return &org;
  }
  return nullptr;
}

const ChannelOrg* ChannelDefinition::find_org(std::string_view msp_id) const {
  for (const ChannelOrg& org : orgs) {
    if (org.msp_id == msp_id) return &org;
  }
  return nullptr;
}

const ChannelDefinition* ChannelDefinitions::find(std::string_view channel) const {
  for (const ChannelDefinition& def : channels) {
    if (def.name == channel) return &def;
  }
  return nullptr;
}

NetworkConfig load_network_config_string(std::string_view yaml_text, std::string_view source_name) {
  const std::string source(source_name);
  const YAML::Node root = parse_yaml(yaml_text, source);
  return guarded(source, "a network file", [&] { return network_of(Doc(source), root); });
}

NetworkConfig load_network_config_file(const fs::path& path) {
  return load_network_config_string(read_text(path, "a readable network YAML file"), path.string());
}

crypto::NetworkSpec to_network_spec(const NetworkConfig& network) {
  crypto::NetworkSpec spec;
  for (const NetworkConfig::Org& org : network.orgs) {
    spec.orgs.push_back({org.name, org.msp_id, org.domain, org.peers});
  }
  if (network.orderer) {
    spec.orderer = crypto::NetworkSpec::Org{network.orderer->name, network.orderer->msp_id,
                                            network.orderer->domain, network.orderer->hosts};
  }
  return spec;
}

ChannelDefinitions load_channel_definitions_string(std::string_view yaml_text,
                                                   std::string_view source_name,
                                                   const fs::path& base_dir) {
  const std::string source(source_name);
  const YAML::Node root = parse_yaml(yaml_text, source);
  return guarded(source, "a channel definitions file",
                 [&] { return definitions_of(Doc(source), root, base_dir); });
}

ChannelDefinitions load_channel_definitions_file(const fs::path& path) {
  return load_channel_definitions_string(
      read_text(path, "a readable channel definitions YAML file"), path.string(),
      directory_of(path));
}

std::string format_channel_definitions(const ChannelDefinitions& definitions,
                                       const fs::path& base_dir) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "channels" << YAML::Value << YAML::BeginSeq;
  for (const ChannelDefinition& channel : definitions.channels) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << channel.name;
    out << YAML::Key << "orgs" << YAML::Value << YAML::BeginSeq;
    for (const ChannelOrg& org : channel.orgs) {
      out << YAML::BeginMap << YAML::Key << "msp_id" << YAML::Value << org.msp_id;
      out << YAML::Key << "ca_cert" << YAML::Value;
      if (org.ca_cert_file.empty()) {
        out << YAML::Literal << org.ca_cert_pem;
      } else {
        out << relative_to(org.ca_cert_file, base_dir).string();
      }
      if (!org.anchor_peers.empty()) {
        out << YAML::Key << "anchor_peers" << YAML::Value << YAML::Flow << org.anchor_peers;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
  if (definitions.orderer) {
    const OrdererDefinition& o = *definitions.orderer;
    out << YAML::Key << "orderer" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "msp_id" << YAML::Value << o.msp_id;
    out << YAML::Key << "ca_cert" << YAML::Value;
    if (o.ca_cert_file.empty()) {
      out << YAML::Literal << o.ca_cert_pem;
    } else {
      out << relative_to(o.ca_cert_file, base_dir).string();
    }
    out << YAML::Key << "endpoints" << YAML::Value << YAML::Flow << o.endpoints;
    if (!o.tls_ca_cert_pem.empty() || !o.tls_ca_cert_file.empty()) {
      out << YAML::Key << "tls_ca_cert" << YAML::Value;
      if (o.tls_ca_cert_file.empty()) {
        out << YAML::Literal << o.tls_ca_cert_pem;
      } else {
        out << relative_to(o.tls_ca_cert_file, base_dir).string();
      }
    }
    out << YAML::Key << "BatchTimeout" << YAML::Value << format_duration(o.batch.batch_timeout);
    out << YAML::Key << "BatchSize" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "MaxMessageCount" << YAML::Value << o.batch.max_message_count;
    out << YAML::Key << "AbsoluteMaxBytes" << YAML::Value << o.batch.absolute_max_bytes;
    out << YAML::Key << "PreferredMaxBytes" << YAML::Value << o.batch.preferred_max_bytes;
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void write_channel_definitions(const ChannelDefinitions& definitions, const fs::path& file) {
  const std::string text = format_channel_definitions(definitions, directory_of(file));
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  if (f) f << text;
  if (f) f.flush();
  if (!f) {
    throw ConfigError(file.string(), "", "",
                      fmt::format("cannot write channel definitions: {}", std::strerror(errno)),
                      "a writable file path");
  }
}

}  // namespace fabnet::config
